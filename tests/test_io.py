import json
import os
import re

import numpy as np
import pytest

from engine import PlaygroundError
from engine.project.files import (
    atomic_write,
    export_data,
    load_project,
    load_weights,
    read_weights,
    save_project,
    save_weights,
)
from engine.run.training import Trainer
from tests.helpers import project


@pytest.fixture
def trained():
    tr = Trainer(
        project(
            data={"source": "spiral", "noise": 0.1, "features": ["x1", "x2", "x1*x2", "sin(x1)"]},
            network={
                "layers": [
                    {"units": 6, "activation": "relu"},
                    {"units": 4, "activation": {"name": "leaky_relu", "alpha": 0.1}},
                ]
            },
            training={"optimizer": {"name": "adam", "learning_rate": 0.01}},
        )
    )
    tr.fit(3)
    return tr


@pytest.mark.parametrize("ext", [".npz", ".json"])
def test_weights_round_trip_and_predictions_match(tmp_path, trained, ext):
    path = tmp_path / f"w{ext}"
    save_weights(path, trained.network, trained.project)
    fresh = Trainer(trained.project)
    assert not np.allclose(fresh.predict(trained.data.x_test), trained.predict(trained.data.x_test))
    config = load_weights(path, fresh.network)
    np.testing.assert_allclose(fresh.predict(trained.data.x_test), trained.predict(trained.data.x_test), rtol=1e-12)
    assert config == trained.project


def test_npz_names_and_shapes(tmp_path, trained):
    save_weights(tmp_path / "w.npz", trained.network, trained.project)
    with np.load(tmp_path / "w.npz", allow_pickle=False) as f:
        assert sorted(f.files) == [
            "config",
            "layers.0.bias",
            "layers.0.kernel",
            "layers.1.bias",
            "layers.1.kernel",
            "layers.2.bias",
            "layers.2.kernel",
        ]
        assert f["layers.0.kernel"].shape == (4, 6) and f["layers.2.bias"].shape == (1,)
        assert json.loads(str(f["config"]))["format"] == "nn-playground/1"


def test_importing_weights_of_the_wrong_shape_names_the_array(tmp_path, trained):
    arrays = {
        f"layers.{i}.{p}": a
        for i, (w, b) in enumerate(zip(trained.network.kernels, trained.network.biases))
        for p, a in (("kernel", w), ("bias", b))
    }
    arrays["layers.1.kernel"] = np.zeros((6, 5))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(PlaygroundError, match=r"bad.npz: layers\.1\.kernel has shape \(6, 5\), expected \(6, 4\)"):
        load_weights(tmp_path / "bad.npz", trained.network)
    del arrays["layers.2.bias"]
    arrays["layers.1.kernel"] = np.zeros((6, 4))
    np.savez(tmp_path / "short.npz", **arrays)
    with pytest.raises(PlaygroundError, match="short.npz: missing layers.2.bias"):
        load_weights(tmp_path / "short.npz", trained.network)


def test_pickled_weights_are_never_loaded(tmp_path, trained):
    np.savez(tmp_path / "evil.npz", **{"layers.0.kernel": np.array([object()], dtype=object)})
    with pytest.raises(PlaygroundError, match=r"evil.npz: [\w.]+ holds Python objects"):
        read_weights(tmp_path / "evil.npz")


def test_weights_must_be_finite(tmp_path, trained):
    save_weights(tmp_path / "w.json", trained.network)
    doc = json.loads((tmp_path / "w.json").read_text())
    doc["weights"]["layers.0.bias"][0] = 1e400  # parses as inf
    (tmp_path / "w.json").write_text(json.dumps(doc).replace("Infinity", "1e400"))
    with pytest.raises(PlaygroundError, match="NaN or infinite"):
        load_weights(tmp_path / "w.json", trained.network)


def test_onnx_export_matches_the_engine(tmp_path, trained):
    ort = pytest.importorskip("onnxruntime")
    save_weights(tmp_path / "m.onnx", trained.network)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"] and [o.name for o in session.get_outputs()] == ["output"]
    x = trained.data.x_test.astype(np.float32)
    (got,) = session.run(["output"], {"input": x})
    np.testing.assert_allclose(got, trained.predict(trained.data.x_test), atol=1e-5)


@pytest.mark.parametrize(
    "act, loss, classes", [("softmax", "categorical_crossentropy", 3), ("linear", "multiclass_hinge", 3)]
)
def test_onnx_multiclass_outputs(tmp_path, act, loss, classes):
    ort = pytest.importorskip("onnxruntime")
    tr = Trainer(
        project(
            data={"source": "blobs", "classes": classes},
            network={
                "layers": [
                    {"units": 5, "activation": "elu"},
                    {"units": 3, "activation": "softplus"},
                    {"units": 3, "activation": "sigmoid"},
                ],
                "output_activation": act,
            },
            training={"loss": loss},
        )
    )
    tr.fit(1)
    save_weights(tmp_path / "m.onnx", tr.network)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": tr.data.x_test.astype(np.float32)})
    np.testing.assert_allclose(got, tr.predict(tr.data.x_test), atol=1e-5)


@pytest.mark.parametrize(
    "data",
    [
        {"source": "spiral", "normalize": "standardize", "features": ["x1", "x2", "x1^2", "sin(x1)"]},
        {"source": "shapes", "classes": 4, "samples": 200, "normalize": "unit"},
    ],
    ids=["standardized features", "unit-scaled pixels"],
)
def test_onnx_takes_the_data_before_normalisation(tmp_path, data):
    """The graph starts with the fitted Sub/Div, so a data file's rows (after the feature maps)
    give evaluate's accuracy: fed raw to a graph without it, a standardised net scored 0.33."""
    ort = pytest.importorskip("onnxruntime")
    from engine.data import apply_features

    multi = data.get("classes", 2) > 2
    tr = Trainer(
        project(
            data=data,
            network={
                "layers": [{"units": 8, "activation": "relu"}],
                "output_activation": "softmax" if multi else "sigmoid",
            },
            training={"loss": "categorical_crossentropy" if multi else "binary_crossentropy", "optimizer": "adam"},
        )
    )
    tr.fit(5)
    save_weights(tmp_path / "m.onnx", tr.network, tr.project, tr.data.normalizer)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    d = tr.data
    feats = d.features if d.dataset.columns == ["x1", "x2"] else None
    raw = apply_features(d.dataset.x[d.test], feats).astype(np.float32)  # as a file holds them
    (got,) = session.run(None, {"input": raw})
    np.testing.assert_allclose(got, tr.predict(d.x_test), atol=1e-4)
    accuracy = float(np.mean(tr.predict_labels(got) == d.y_test))
    assert accuracy == pytest.approx(tr.evaluate()["test"]["accuracy"])


def test_project_round_trip(tmp_path):
    p = project(data={"source": "moons", "noise": 0.2}, training={"optimizer": {"name": "rmsprop", "rho": 0.8}})
    save_project(tmp_path / "p.json", p)
    assert load_project(tmp_path / "p.json") == p


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not valid JSON"),
        ("[]", "must be an object"),
        ('{"format": "nn-playground/1", "seed": NaN}', "NaN is not a number JSON allows"),
        ('{"format": "nn-playground/1", "seed": -1}', "seed must be >= 0"),
    ],
)
def test_bad_project_files_name_the_file(tmp_path, text, message):
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(PlaygroundError, match=f"bad.json: .*{message}"):
        load_project(tmp_path / "bad.json")


LONG = "7" * 5000  # Python's int() refuses past 4,300 digits: this used to escape as a ValueError


@pytest.mark.parametrize("where, text", [
    ("seed", '{"format": "nn-playground/1", "seed": BIG}'),
    ("network.layers[1].units",
     '{"format": "nn-playground/1", "network": {"layers": [{"units": 4}, {"units": -BIG}]}}'),
    ("app.note", '{"format": "nn-playground/1", "app": {"note": BIG}}'),
])  # fmt: skip
def test_an_integer_of_any_length_in_a_project_is_refused_by_its_key(tmp_path, where, text):
    """Issue 28, item 7: 400 digits were refused by the setting's range; 5,000 raised
    `ValueError: Exceeds the limit (4300 digits)` from the JSON reader itself."""
    (tmp_path / "big.json").write_text(text.replace("BIG", LONG))
    with pytest.raises(PlaygroundError, match=rf"^big\.json: {re.escape(where)} is a 5,000-digit whole number"):
        load_project(tmp_path / "big.json")


def test_an_integer_of_any_length_in_a_link_is_refused():
    import base64
    import zlib

    from engine.project.links import from_project_link

    packed = zlib.compress(('{"format": "nn-playground/1", "seed": ' + LONG + "}").encode())
    link = "nnp:" + base64.urlsafe_b64encode(packed).decode().rstrip("=")
    with pytest.raises(PlaygroundError, match=r"^the link: seed is a 5,000-digit whole number"):
        from_project_link(link)


def test_huge_integers_in_a_json_weight_file_are_refused_by_name(tmp_path):
    path = tmp_path / "w.json"
    doc = '{"weights": {"layers.0.kernel": [[1, 2], [BIG, 3]], "layers.0.bias": [0, 0]}}'
    path.write_text(doc.replace("BIG", LONG))
    with pytest.raises(PlaygroundError, match=r"^w\.json: weights\.layers\.0\.kernel\[1\]\[0\] is a 5,000-digit"):
        read_weights(path)
    path.write_text(doc.replace("BIG", LONG[:400]))  # converts, but no float holds it
    with pytest.raises(PlaygroundError, match=r"^w\.json: layers\.0\.kernel holds a number too large for a float"):
        read_weights(path)
    path.write_text(doc.replace("BIG", LONG[:300]))
    assert read_weights(path)[0]["layers.0.kernel"][1, 0] == pytest.approx(float(LONG[:300]))


def test_a_failed_write_leaves_the_old_file_intact(tmp_path):
    target = tmp_path / "keep.json"
    target.write_text("old contents")

    def crash(f):
        f.write(b"half of the new")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, crash)
    assert target.read_text() == "old contents"
    assert os.listdir(tmp_path) == ["keep.json"]  # no temporary file left behind


def test_export_data_csv_and_npz(tmp_path, trained):
    export_data(tmp_path / "d.csv", trained.data)
    lines = (tmp_path / "d.csv").read_text().splitlines()
    assert lines[0] == "x1,x2,label,split" and len(lines) == 501
    first = lines[1].split(",")
    np.testing.assert_allclose([float(first[0]), float(first[1])], trained.data.dataset.x[0])
    assert {line.rsplit(",", 1)[1] for line in lines[1:]} == {"train", "test"}
    export_data(tmp_path / "d.npz", trained.data)
    with np.load(tmp_path / "d.npz", allow_pickle=False) as f:
        np.testing.assert_array_equal(f["x"], trained.data.dataset.x)
        assert (f["split"] == "train").sum() == trained.n_train
    with pytest.raises(PlaygroundError, match="as .csv or .npz"):
        export_data(tmp_path / "d.txt", trained.data)


def test_json_nested_too_deep_is_refused_before_parsing(tmp_path):
    from engine.project.files import MAX_JSON_DEPTH, check_depth, load_weights, parse_project

    with pytest.raises(PlaygroundError, match=f"nested more than {MAX_JSON_DEPTH} levels"):
        parse_project("[" * 5000 + "]" * 5000, "deep.json")
    check_depth('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"["}', "ok")
    weights = tmp_path / "w.json"
    weights.write_text('{"config": ' + "[" * 3000 + "]" * 3000 + "}")
    from helpers import dense

    with pytest.raises(PlaygroundError, match="w.json: JSON nested more than"):
        load_weights(weights, dense(2, [3], 1))


@pytest.mark.parametrize(("layers", "shape"), [
    ([{"units": 6}], [256]),  # a dense project on images: rows, as its exports always took
    ([{"type": "flatten"}, {"units": 6}], [16, 16, 1]),  # a flatten the project asked for: images
    ([{"type": "max_pooling2d", "pool_size": 2}, {"units": 6}], [16, 16, 1]),
])  # fmt: skip
def test_onnx_input_is_what_the_project_always_took(tmp_path, layers, shape):
    """Issue 36: one model for both kinds of project kept each one's ONNX input."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    p = project(data={"source": "shapes", "classes": 4, "samples": 40, "normalize": "unit", "features": None},
                network={"layers": layers, "output_activation": "softmax"},
                training={"loss": "categorical_crossentropy"})  # fmt: skip
    tr = Trainer(p)
    save_weights(tmp_path / "m.onnx", tr.network, p, tr.data.normalizer)
    model = onnx.load(tmp_path / "m.onnx")
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    assert dims == shape
    raw = tr.data.dataset.x[:5]
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": raw.reshape(5, *shape).astype(np.float32)})[0]
    np.testing.assert_allclose(got, tr.network.predict(tr.data.normalizer(raw)), rtol=1e-4, atol=1e-5)


def test_export_data_keeps_a_files_label_column_and_its_labels(tmp_path):
    """Issue 31, item 13: the user's "target" column came back as "label", its 1..3 as 0..2."""
    from engine.data.loaders import load_csv
    from engine.project import prepare_data

    src = tmp_path / "wine.csv"
    rows = [f"{i * 0.5:.1f},{100 + i},{(i % 3) + 1}" for i in range(60)]
    src.write_text("hue,proline,target\n" + "\n".join(rows) + "\n")
    p = project(data={"source": {"csv": str(src)}, "problem": "classification", "test_fraction": 0.25})
    data = prepare_data(p)
    assert data.dataset.label_column == "target" and data.dataset.class_names == ["1", "2", "3"]
    export_data(tmp_path / "out.csv", data)
    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines[0] == "hue,proline,target,split"
    assert [line.split(",")[2] for line in lines[1:4]] == ["1", "2", "3"]  # as the file wrote them
    again = load_csv(tmp_path / "out.csv")
    np.testing.assert_array_equal(again.y, data.dataset.y)
    np.testing.assert_allclose(again.x, data.dataset.x)
    # A label column named like the split column would be ambiguous: it is written as "label".
    clash = tmp_path / "clash.csv"
    clash.write_text("a,b,split\n" + "\n".join(f"{i},{i * 2},{'xy'[i % 2]}" for i in range(40)) + "\n")
    data = prepare_data(project(data={"source": {"csv": str(clash)}, "problem": "classification"}))
    export_data(tmp_path / "clash_out.csv", data)
    assert (tmp_path / "clash_out.csv").read_text().splitlines()[0] == "a,b,label,split"
