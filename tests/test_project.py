import json

import pytest
from helpers import project

from engine import PlaygroundError
from engine.project import build_network, default_project, normalize_project, output_width, prepare_data

ISSUE_EXAMPLE = json.loads("""
{"format": "nn-playground/1", "seed": 0,
 "data": {"source": "spiral", "problem": "classification", "samples": 500, "noise": 0.1, "classes": 2,
          "features": ["x1", "x2"], "normalize": "none", "test_fraction": 0.5, "validation_fraction": 0.0},
 "network": {"layers": [{"units": 8, "activation": "tanh", "dropout": 0.0}],
             "output_activation": "sigmoid", "initializer": "glorot_uniform"},
 "training": {"loss": "binary_crossentropy",
              "optimizer": {"name": "adam", "learning_rate": 0.001},
              "regularization": {"kind": "l2", "rate": 0.001},
              "batch_size": 10, "shuffle": true, "epochs": 100,
              "early_stopping": {"monitor": "val_loss", "patience": 10, "min_delta": 0.0,
                                 "restore_best_weights": true}}}
""")


def test_the_documented_example_is_valid_and_kept():
    p = normalize_project(ISSUE_EXAMPLE)
    for section in ("data", "network", "training"):
        for key, value in ISSUE_EXAMPLE[section].items():
            if key in ("optimizer", "regularization"):  # kept, with the keys the file leaves out filled in
                assert p[section][key] | value == p[section][key], f"{section}.{key}"
            else:
                assert p[section][key] == value, f"{section}.{key}"


@pytest.mark.parametrize("spec", ["adam", {"name": "adam"}, {"name": "adam", "beta_1": 0.8}])
def test_an_optimizer_gets_every_hyperparameter_with_keras_defaults_where_the_file_is_silent(spec):
    from engine.core.optimizers import OPTIMIZERS

    opt = normalize_project({"format": "nn-playground/1", "training": {"optimizer": spec}})["training"]["optimizer"]
    expected = {"name": "adam", **OPTIMIZERS.get("adam").defaults}
    if isinstance(spec, dict) and "beta_1" in spec:
        expected["beta_1"] = 0.8
    assert opt == expected and opt["learning_rate"] == 0.001


def test_defaults_fill_a_minimal_project_and_follow_the_generator():
    p = normalize_project({"format": "nn-playground/1"})
    assert p == normalize_project(default_project())
    reg = normalize_project(
        {
            "format": "nn-playground/1",
            "data": {"source": "plane"},
            "network": {"output_activation": "linear"},
            "training": {"loss": "mse"},
        }
    )
    assert reg["data"]["problem"] == "regression" and reg["data"]["samples"] == 1200


@pytest.mark.parametrize(
    "patch, message",
    [
        ({"training": {"batch_size": 0}}, "training.batch_size must be >= 1, got 0"),
        ({"training": {"batch_size": 2.5}}, "training.batch_size must be a whole number"),
        ({"data": {"noise": "lots"}}, "data.noise must be a number, got 'lots'"),
        ({"data": {"sample": 10}}, "data.sample is not a known key"),
        ({"colour": "red"}, "colour is not a known key"),
        ({"data": {"source": "donut"}}, "data.source must be one of"),
        ({"data": {"test_fraction": 0.6, "validation_fraction": 0.4}}, "must be < 1"),
        ({"data": {"classes": 3}}, "data.classes must be 2 for circle"),
        ({"network": {"layers": [{"units": 0}]}}, r"network.layers\[0\].units must be >= 1"),
        ({"network": {"layers": [{"units": 3, "dropout": 1}]}}, r"network.layers\[0\].dropout must be < 1"),
        ({"network": {"output_activation": "softmax"}}, "needs network.output_activation 'sigmoid'"),
        ({"training": {"optimizer": {"name": "adam", "beta_1": 1.5}}}, "training.optimizer.beta_1 must be < 1"),
        ({"training": {"optimizer": {"name": "sgd", "beta_1": 0.5}}}, "training.optimizer.beta_1 is not a known key"),
        ({"training": {"regularization": {"kind": "l3"}}}, "training.regularization.kind must be one of none, l1, l2"),
        ({"training": {"early_stopping": {"patience": -1}}}, "training.early_stopping.patience must be >= 0"),
        ({"format": "nn-playground/9"}, "format must be 'nn-playground/1'"),
        (
            {"data": {"source": "plane"}, "network": {"output_activation": "linear"}},
            "training.loss must be mse, mae, huber or half_squared",
        ),
        ({"data": {"source": "blobs", "classes": 3}}, "is for two classes; use categorical_crossentropy"),
    ],
)
def test_bad_values_are_named(patch, message):
    raw = {"format": "nn-playground/1", **{k: v for k, v in patch.items() if k != "format"}}
    if "format" in patch:
        raw["format"] = patch["format"]
    with pytest.raises(PlaygroundError, match=message):
        normalize_project(raw)


@pytest.mark.parametrize(
    "source, classes, loss, out_act, width",
    [
        ("circle", 2, "binary_crossentropy", "sigmoid", 1),
        ("circle", 2, "mse", "tanh", 1),
        ("circle", 2, "hinge", "tanh", 1),
        ("circle", 2, "categorical_crossentropy", "softmax", 2),
        ("blobs", 4, "categorical_crossentropy", "softmax", 4),
        ("blobs", 4, "mse", "softmax", 4),
        ("blobs", 3, "multiclass_hinge", "linear", 3),
        ("plane", 0, "mse", "linear", 1),
    ],
)
def test_output_width_follows_data_and_loss(source, classes, loss, out_act, width):
    data = {"source": source} | ({"classes": classes} if classes else {})
    p = normalize_project(
        {
            "format": "nn-playground/1",
            "data": data,
            "network": {"output_activation": out_act},
            "training": {"loss": loss},
        }
    )
    assert output_width(p) == width
    prepared = prepare_data(p)
    assert build_network(p, prepared.n_inputs).n_outputs == width


def test_feature_maps_and_normalisation_reach_the_network():
    p = normalize_project(
        {"format": "nn-playground/1", "data": {"features": ["x1", "x2", "x1*x2"], "normalize": "standardize"}}
    )
    d = prepare_data(p)
    assert d.n_inputs == 3 and abs(d.x_train.mean(axis=0)).max() < 1e-9
    assert d.transform(d.dataset.x[:4]).shape == (4, 3)


def test_file_sources_resolve_relative_to_the_project(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pts.csv").write_text("x,y,label\n" + "\n".join(f"{i},{-i},{i % 2}" for i in range(20)))
    p = normalize_project({"format": "nn-playground/1", "data": {"source": {"csv": "data/pts.csv"}, "features": None}})
    d = prepare_data(p, base_dir=tmp_path)
    assert d.dataset.n == 20 and d.features == ["x", "y"]
    with pytest.raises(PlaygroundError, match="not found"):
        prepare_data(p, base_dir=tmp_path / "elsewhere")
    p2 = normalize_project({"format": "nn-playground/1", "data": {"source": {"csv": "data"}}})
    with pytest.raises(PlaygroundError, match="not a regular file"):
        prepare_data(p2, base_dir=tmp_path)


@pytest.mark.parametrize(
    "loss, name",
    [
        ("sparse_categorical_crossentropy", "categorical_crossentropy"),
        ("SparseCategoricalCrossentropy", "categorical_crossentropy"),
        ("mean_squared_error", "mse"),
        ("MeanSquaredError", "mse"),
        ("mean_absolute_error", "mae"),
        ("MSE", "mse"),
        ("BinaryCrossentropy", "binary_crossentropy"),
    ],
)
def test_keras_loss_spellings_are_read_and_normalised(loss, name):
    data = {"source": "blobs", "classes": 3} if "categorical" in name else {"source": "plane"}
    if name == "binary_crossentropy":
        data = {"source": "circle"}
    out = {"categorical_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}.get(name, "linear")
    p = project(data=data, training={"loss": loss}, network={"output_activation": out})
    assert p["training"]["loss"] == name


@pytest.mark.parametrize(
    "spelling, name",
    [("SGD", "sgd"), ("RMSprop", "rmsprop"), ("Adam", "adam"), ("Adagrad", "adagrad"), ("AdamW", "adamw")],
)
def test_keras_optimizer_spellings_are_read_and_normalised(spelling, name):
    p = project(training={"optimizer": {"name": spelling, "learning_rate": 0.01}})
    assert p["training"]["optimizer"]["name"] == name
    assert project(training={"optimizer": spelling})["training"]["optimizer"]["name"] == name


def test_keras_activation_and_initializer_spellings_are_normalised():
    p = project(
        network={
            "layers": [
                {"units": 3, "activation": "ReLU"},
                {"units": 2, "activation": {"name": "LeakyReLU", "alpha": 0.1}},
            ],
            "output_activation": "Sigmoid",
            "initializer": "GlorotUniform",
        },
        training={"schedule": {"name": "CosineDecay", "decay_steps": 100}},
    )
    n = p["network"]
    assert [layer["activation"] for layer in n["layers"]] == ["relu", {"name": "leaky_relu", "alpha": 0.1}]
    assert n["output_activation"] == "sigmoid" and n["initializer"] == "glorot_uniform"
    assert p["training"]["schedule"]["name"] == "cosine"
    with pytest.raises(PlaygroundError, match="training.loss must be one of mse, .*, got 'kl_divergence'"):
        project(training={"loss": "kl_divergence"})


def test_a_project_with_older_keras_keys_opens_with_notes_and_trains_their_schedule():
    """Issue 29, item 13: {"lr": ..., "decay": ...} was refused as "not a known key"."""
    from engine.run.training import Trainer

    notes: list[str] = []
    raw = {"format": "nn-playground/1",
           "training": {"optimizer": {"name": "sgd", "lr": 0.1, "decay": 0.01, "momentum": 0.9}}}  # fmt: skip
    p = normalize_project(raw, notes=notes)
    assert p["training"]["optimizer"]["learning_rate"] == 0.1 and "lr" not in p["training"]["optimizer"]
    assert p["training"]["schedule"] == {"name": "inverse_time", "decay_rate": 0.01, "decay_steps": 1}
    assert len(notes) == 2 and "training.optimizer.lr" in notes[0] and "inverse_time" in notes[1]
    tr = Trainer(p)
    for k in range(25):
        assert tr.current_lr == pytest.approx(0.1 / (1 + 0.01 * k), rel=1e-15)
        tr.train_batch()
    with pytest.raises(PlaygroundError, match="training.optimizer.decay is older Keras's .* training.schedule sets"):
        normalize_project({**raw, "training": {**raw["training"], "schedule": {"name": "cosine"}}})
    normalize_project({"format": "nn-playground/1", "training": {"optimizer": {"name": "adam", "lr": 0.01}}})  # no list
