"""TensorFlow Playground links in and out, TFP's maths, and nnp: project links."""

import base64
import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from engine import PlaygroundError
from engine.cli import main
from engine.project.links import (
    MAX_LINK_CHARS,
    LinkTooLong,
    from_project_link,
    from_tfp,
    is_tfp_link,
    our_defaults,
    project_link,
    read_project_link,
    to_tfp,
)
from engine.run.training import Trainer

DEFAULT = "https://playground.tensorflow.org/#activation=tanh&batchSize=10&dataset=circle&regDataset=reg-plane&learningRate=0.03&regularizationRate=0&noise=0&networkShape=4,2&seed=0.45796&showTestData=false&discretize=false&percTrainData=50&x=true&y=true&xTimesY=false&xSquared=false&ySquared=false&cosX=false&sinX=false&cosY=false&sinY=false&collectStats=false&problem=classification&initZero=false&hideText=false"


def test_tfps_default_link_becomes_its_experiment_with_its_maths():
    p, notes = from_tfp(DEFAULT)
    d, n, t = p["data"], p["network"], p["training"]
    assert d["source"] == "circle" and d["samples"] == 500 and d["noise"] == 0 and d["test_fraction"] == 0.5
    assert d["features"] == ["x1", "x2"] and d["normalize"] == "none" and p["seed"] == 45796
    assert [(layer["units"], layer["activation"]) for layer in n["layers"]] == [(4, "tanh"), (2, "tanh")]
    assert n["output_activation"] == "tanh" and n["initializer"] == "tfp_uniform" and n["bias_init"] == 0.1
    assert t["loss"] == "tfp_square" and t["optimizer"]["name"] == "sgd" and t["optimizer"]["learning_rate"] == 0.03
    assert t["batch_size"] == 10 and t["regularization"] == {"kind": "none", "rate": 0.0, "l1_rule": "tfp"}
    # TFP's order and batches: one shuffle when the data are made, walked every epoch; the last
    # partial batch carried into the next epoch's first update.
    assert d["split"] == "shuffled" and t["shuffle"] is False and t["last_batch"] == "carry"
    assert p["app"]["tfp"]["maths"] and p["app"]["output"] == {"show_test_data": False, "discretize": False}
    assert any("seed 0.45796 becomes seed 45796" in note for note in notes)


def test_missing_keys_take_tfps_defaults():
    bare, _ = from_tfp("https://playground.tensorflow.org/")
    full, _ = from_tfp(DEFAULT.replace("seed=0.45796", "seed=0"))
    assert {k: v for k, v in bare.items() if k != "app"} == {k: v for k, v in full.items() if k != "app"}


@pytest.mark.parametrize(
    "change, check",
    [
        ("networkShape=", lambda p: p["network"]["layers"] == []),
        ("networkShape=8,8,8,8,8,8", lambda p: [la["units"] for la in p["network"]["layers"]] == [8] * 6),
        ("activation=relu", lambda p: {la["activation"] for la in p["network"]["layers"]} == {"relu"}),
        ("dataset=spiral", lambda p: p["data"]["source"] == "spiral"),
        ("noise=35", lambda p: p["data"]["noise"] == pytest.approx(0.35)),
        ("percTrainData=80", lambda p: p["data"]["test_fraction"] == pytest.approx(0.2)),
        ("batchSize=1", lambda p: p["training"]["batch_size"] == 1),
        ("learningRate=3", lambda p: p["training"]["optimizer"]["learning_rate"] == 3),
        ("xSquared=true&sinY=true", lambda p: p["data"]["features"] == ["x1", "x2", "x1^2", "sin(x2)"]),
        ("x=false&y=false&xTimesY=true", lambda p: p["data"]["features"] == ["x1*x2"]),
        ("initZero=true", lambda p: p["network"]["initializer"] == "zeros" and p["network"]["bias_init"] == 0),
        ("showTestData=true&discretize=true",
         lambda p: p["app"]["output"] == {"show_test_data": True, "discretize": True}),
        ("regularization=L1&regularizationRate=0.003",
         lambda p: p["training"]["regularization"] == {"kind": "l1", "rate": 0.003, "l1_rule": "tfp"}),
        ("regularization=L2&regularizationRate=0.01",
         lambda p: p["training"]["regularization"] == {"kind": "l2", "rate": 0.005, "l1_rule": "tfp"}),
    ],
)  # fmt: skip
def test_each_key_maps(change, check):
    link = DEFAULT
    for part in change.split("&"):
        key = part.split("=")[0]
        link = "&".join(p for p in link.split("&") if p.split("=")[0] != key and not p.endswith("#" + key)) + "&" + part
    p, _ = from_tfp(link)
    assert check(p)


def test_regression_links_use_tfps_regression_maths():
    p, _ = from_tfp(DEFAULT + "&problem=regression&regDataset=reg-gauss")
    assert p["data"]["source"] == "multi_gaussian" and p["data"]["samples"] == 1200
    assert p["training"]["loss"] == "half_squared" and p["network"]["output_activation"] == "linear"


def test_hidden_controls_and_ignored_keys_are_kept_or_noted():
    p, notes = from_tfp(DEFAULT + "&learningRate_hide=true&noise_hide=true&dataset_hide=false&cosX=true&bogus=1")
    assert p["app"]["lesson"]["hide"] == ["learningRate", "noise"]
    assert any("cosX is ignored" in n for n in notes) and any("bogus is not a TensorFlow Playground setting" in n
                                                                   for n in notes)  # fmt: skip


@pytest.mark.parametrize(
    "link, message",
    [
        (DEFAULT.replace("networkShape=4,2", "networkShape=4,x"), "networkShape='4,x' is not a list"),
        (DEFAULT.replace("networkShape=4,2", "networkShape=0"), "at least one neuron"),
        (DEFAULT.replace("batchSize=10", "batchSize=2.5"), "batchSize=2.5 is not a whole number"),
        (DEFAULT.replace("learningRate=0.03", "learningRate=Infinity"), "not a finite number"),
        (DEFAULT.replace("learningRate=0.03", "learningRate=-1"), "training.optimizer.learning_rate"),
        ("#" + "a=1&" * 300_000, "not read past"),
    ],
)
def test_bad_links_are_refused_with_the_key(link, message):
    with pytest.raises(PlaygroundError, match=message.replace("(", r"\(")):
        from_tfp(link)


def test_tfps_maths_in_training():
    p, _ = from_tfp(DEFAULT)
    tr = Trainer(p)
    w = np.concatenate([k.ravel() for k in tr.network.kernels])
    assert -0.5 <= w.min() and w.max() <= 0.5 and np.all(np.concatenate(tr.network.biases) == 0.1)
    # The loss of one point is ½(output − (±1))², and class 1 means output > 0.
    x, y = tr.data.x_train[:4], tr.data.y_train[:4]
    out = tr.network.forward(x)
    loss = tr.loss.value(tr.network.pre_activations()[-1], out, y, tr.network.activations[-1])
    assert loss == pytest.approx(np.mean(0.5 * (out[:, 0] - (2 * y - 1)) ** 2))
    assert np.array_equal(tr.predict_labels(out), (out[:, 0] > 0).astype(int))
    tr.fit(300)
    assert tr.evaluate()["test"]["accuracy"] > 0.95  # TFP's default experiment: the circle, learned


def test_tfps_l2_step():
    """TFP (nn.ts updateWeights): w' = w − α·mean(∂L/∂w), then w' − α·λ·w with the derivative of
    ½w² taken at w, the weight before the step. Here λ/2 on Σw² gives w − α·(g + λ·w) in one
    step: the same step exactly (to rounding), not only to first order in α."""
    p, _ = from_tfp(DEFAULT.replace("regularizationRate=0", "regularizationRate=0.1") + "&regularization=L2")
    tr = Trainer({**p, "training": {**p["training"], "shuffle": False}})
    net = tr.network
    w0 = net.params.copy()
    x, y = tr.data.x_train[:10], tr.data.y_train[:10]
    net.loss_and_grad(x, y, tr.loss)  # the data gradient alone
    g = net.grads.copy()
    tr.train_batch()
    nk = net.n_kernel
    ours = w0[:nk] - 0.03 * (g[:nk] + 0.1 * w0[:nk])
    np.testing.assert_allclose(net.params[:nk], ours, rtol=1e-12, atol=1e-15)
    tfps = (w0[:nk] - 0.03 * g[:nk]) - (0.03 * 0.1) * w0[:nk]
    np.testing.assert_allclose(net.params[:nk], tfps, rtol=1e-13, atol=1e-16)
    shrunk_after = (w0[:nk] - 0.03 * g[:nk]) * (1 - 0.03 * 0.1)  # the derivative at w' would differ
    assert np.max(np.abs(net.params[:nk] - shrunk_after)) > 1e-7


def test_a_tfp_project_goes_back_to_a_link_and_says_what_does_not_fit():
    p, _ = from_tfp(DEFAULT + "&noise_hide=true")
    link, unfit = to_tfp(p)
    assert unfit == [] and is_tfp_link(link) and "noise_hide=true" in link
    again, _ = from_tfp(link)
    strip = lambda q: {k: v for k, v in q.items() if k != "app"}  # noqa: E731
    assert strip(again) == strip(p)
    from helpers import project

    other = project(data={"source": "blobs", "classes": 3, "validation_fraction": 0.1, "normalize": "standardize"},
                    network={"layers": [{"units": 12, "activation": "elu", "dropout": 0.2}],
                             "output_activation": "softmax"},
                    training={"loss": "categorical_crossentropy", "optimizer": {"name": "adam"},
                              "regularization": {"kind": "l1", "rate": 0.01}})  # fmt: skip
    _, unfit = to_tfp(other)
    text = " ".join(unfit)
    for word in ("blobs", "elu", "8 neurons", "dropout", "adam", "categorical_crossentropy", "3 classes",
                 "standardize", "validation", "L1 by the subgradient rule", "order of the points",
                 "last partial batch"):  # fmt: skip
        assert word in text, word


def test_our_defaults_undo_tfps_maths():
    p, _ = from_tfp(DEFAULT)
    changes = our_defaults(p)
    assert changes["training.loss"] == "binary_crossentropy" and changes["network.output_activation"] == "sigmoid"
    assert changes["network.initializer"] == "glorot_uniform"
    assert changes["data.split"] == "stratified" and changes["training.shuffle"] is True
    assert changes["training.last_batch"] == "partial" and changes["training.regularization.l1_rule"] == "subgradient"


def test_project_links_round_trip_and_refuse_damage():
    p, _ = from_tfp(DEFAULT)
    link = project_link(p)
    assert link.startswith("nnp:") and "\n" not in link and "=" not in link and "+" not in link and "/" not in link
    assert from_project_link(link) == p
    with pytest.raises(PlaygroundError, match="damaged"):
        from_project_link(link[:-10])
    with pytest.raises(PlaygroundError, match="starts with nnp:"):
        from_project_link("http://x")
    bomb = "nnp:" + base64.urlsafe_b64encode(zlib.compress(b" " * (40 * 2**20), 9)).decode()
    with pytest.raises(PlaygroundError, match="larger than 16 MB"):
        from_project_link(bomb)
    bad = "nnp:" + base64.urlsafe_b64encode(zlib.compress(json.dumps({"format": "x"}).encode())).decode()
    with pytest.raises(PlaygroundError, match="the link: format must be"):
        from_project_link(bad)


def test_cli_import_tfp(tmp_path, capsys):
    out = tmp_path / "lesson.json"
    assert main(["import-tfp", DEFAULT, str(out)]) == 0
    text = capsys.readouterr().out
    assert "circle (classification), layers 4, 2" in text and "note: seed" in text
    assert json.loads(out.read_text())["training"]["loss"] == "tfp_square"
    assert main(["train", str(out), "--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(["import-tfp", DEFAULT, str(tmp_path / "x.txt")]) == 2
    assert "can be saved as .json" in capsys.readouterr().err
    assert main(["import-tfp", DEFAULT.replace("4,2", "4,q"), str(out)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def _unknown_keys(n: int) -> str:
    return DEFAULT + "&" + "&".join(f"k{i}=v" for i in range(n))


def test_a_link_with_100000_unknown_keys_names_a_few_and_counts_the_rest_quickly():
    """Such a link (889 k characters) built a 100,001-line dialog: 44 s of silence, 100 s in all."""
    import time

    link = _unknown_keys(100_000)
    assert len(link) < MAX_LINK_CHARS
    p, notes = from_tfp(link)
    assert p["data"]["source"] == "circle" and len(notes) <= 15
    assert sum("is not a TensorFlow Playground setting" in n for n in notes) == 10
    assert "… and 99,990 more unknown keys; ignored" in notes
    _, notes = from_tfp(DEFAULT + "&" + "k" * 500_000 + "=1&" + "&".join(f"c{i}_hide=true" for i in range(50)))
    assert max(map(len, notes)) < 200  # a half-megabyte key is quoted cut
    assert "… and 40 more _hide keys for controls this app does not have; ignored" in notes

    def best(n):
        text = _unknown_keys(n)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            from_tfp(text)
            times.append(time.perf_counter() - started)
        return min(times)

    small, large = best(10_000), best(100_000)
    assert large < 5 and large < 40 * small  # linear: ten times the keys, about ten times the time


@pytest.mark.parametrize("text", ["nnp:abc", "hello", "https://example.com/#foo=1", "", "seed"])
def test_only_a_tensorflow_playground_link_is_read_as_one(text, tmp_path, capsys):
    """`import-tfp "nnp:abc" out.json` wrote a default circle project and exited 0."""
    assert not is_tfp_link(text)
    with pytest.raises(PlaygroundError, match="not a TensorFlow Playground link; one looks like https://playground"):
        from_tfp(text)
    out = tmp_path / "out.json"
    assert main(["import-tfp", text, str(out)]) == 2
    err = capsys.readouterr().err
    assert "not a TensorFlow Playground link" in err and "playground.tensorflow.org/#" in err and err.count("\n") == 1
    assert not out.exists()


def test_what_is_a_tensorflow_playground_link():
    for text in (DEFAULT, "https://playground.tensorflow.org/", "playground.tensorflow.org/#noise=10",
                 "Try https://playground.tensorflow.org/#networkShape=3 in class", "#activation=relu&networkShape=3",
                 "activation=relu", "http://localhost:5000/#dataset=xor&noise=5", "learningRate_hide=true"):
        assert is_tfp_link(text), text
    with pytest.raises(PlaygroundError, match=r"project link \(nnp:…\)"):
        from_tfp("nnp:abc")


def _points_project(n: int) -> dict:
    from helpers import project

    rng = np.random.default_rng(0)
    return project(data={"source": {"points": {"x": rng.uniform(-6, 6, (n, 2)).tolist(),
                                               "y": rng.integers(0, 2, n).tolist()}}})  # fmt: skip


def test_no_link_is_made_that_would_not_be_read():
    """100,000 drawn points made a 2,495,650-character link that pasting refused."""
    with pytest.raises(LinkTooLong, match="too big for a link: .* 100,000 drawn points .* read up to 1,000,000"):
        project_link(_points_project(100_000))
    with pytest.raises(LinkTooLong, match="too big for a link: it would be 1,1"):  # past the limit, under 1.5 times it
        project_link(_points_project(45_000))
    fits = _points_project(40_000)  # 999,876 characters: just under the limit, and read back
    link = project_link(fits)
    assert MAX_LINK_CHARS - 1000 < len(link) <= MAX_LINK_CHARS and from_project_link(link) == fits


def test_a_project_links_data_files_are_marked_as_named_by_the_link(tmp_path, monkeypatch):
    from helpers import project

    base = project()
    for source, files in (
        ({"csv": "/etc/passwd"}, ("/etc/passwd",)),
        ({"npz": "~/data.npz"}, (str(Path.home() / "data.npz"),)),
        ({"csv": "rel/data.csv", "label": 0}, (str(tmp_path / "rel" / "data.csv"),)),
        ({"idx": {"images": "/proc/self/environ", "labels": "/etc/shadow"}}, ("/proc/self/environ", "/etc/shadow")),
        ("spiral", ()),
    ):
        monkeypatch.chdir(tmp_path)
        linked = read_project_link(project_link({**base, "data": {**base["data"], "source": source}}))
        assert linked.files == files and linked.project["data"]["source"] == source
