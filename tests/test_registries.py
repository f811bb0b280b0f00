"""Conformance: every registered item carries everything its consumers need. Adding an
activation without an ONNX form, a loss without its problems, a data set without its kind, or
an optimizer hyperparameter without bounds fails here, not in a user's export."""

import pytest

from engine.activations import ACTIVATIONS
from engine.data import DATASETS, generate
from engine.fields import field
from engine.initializers import INITIALIZERS
from engine.losses import LOSSES, get_loss
from engine.optimizers import HYPERPARAMETER_BOUNDS, OPTIMIZERS, SCHEDULE_BOUNDS, SCHEDULE_DEFAULTS, SCHEDULES

ONNX_OPS = {"Identity", "Sigmoid", "Tanh", "Relu", "LeakyRelu", "Elu", "Softplus", "Softmax"}  # opset 17's


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_every_activation_has_a_formula_ranges_and_its_onnx_torch_and_keras_forms(name):
    act = ACTIVATIONS.get(name)()
    assert act.name == name and act.formula
    assert act.onnx in ONNX_OPS
    assert act.torch is None if name == "linear" else act.torch.startswith("nn.")
    dense, layer = act.keras
    assert dense and (layer is None or layer.startswith("layers."))
    params = act.params()
    assert set(params) == set(act.param_ranges)
    for key, value in params.items():
        lo, hi = act.param_ranges[key]
        assert lo <= value <= hi
        assert ("{" + key + "!r}") in (act.torch or "") and ("{" + key + "!r}") in (layer or "")


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_knows_its_problems_outputs_and_class_limit(name):
    loss = get_loss(name)
    assert loss.formula and set(loss.problems) <= {"classification", "regression"} and loss.problems
    assert loss.output_activations is None or set(loss.output_activations) <= set(ACTIVATIONS.names())
    assert loss.max_classes in (None, 2)
    assert not (loss.max_classes == 2 and not loss.single_output)


@pytest.mark.parametrize("name", DATASETS.names())
def test_every_data_set_knows_its_problem_classes_samples_and_kind(name):
    info = DATASETS.get(name)
    assert info.name == name and info.note and info.kind in ("points", "images", "table")
    lo, hi = info.classes
    if info.problem == "classification":
        assert 2 <= lo <= info.default_classes <= hi
    else:
        assert info.problem == "regression" and (lo, hi) == (0, 0)
    assert field("data.samples").lo <= info.default_samples <= field("data.samples").hi
    ds = generate(name, samples=20, seed=1, classes=info.default_classes if lo else None)
    assert ds.problem == info.problem and (ds.image_shape is not None) == (info.kind == "images")
    assert (ds.columns == ["x1", "x2"]) == (info.kind == "points")  # only points are drawn on the plane
    if info.max_samples is not None:
        assert info.default_samples <= info.max_samples


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_has_a_label_formula_and_bounded_hyperparameters(name):
    cls = OPTIMIZERS.get(name)
    assert cls.name == name and cls.label and cls.formula
    for key, default in cls.defaults.items():
        if isinstance(default, str):
            assert default in cls.choices[key]
        elif not isinstance(default, bool):
            lo, hi, lo_open, hi_open = HYPERPARAMETER_BOUNDS[key]
            assert (lo < default if lo_open else lo <= default) and (default < hi if hi_open else default <= hi)


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_every_schedule_parameter_has_bounds(name):
    for key, default in SCHEDULE_DEFAULTS[name].items():
        lo, hi = SCHEDULE_BOUNDS[key]
        assert lo <= default <= hi


def test_initializers_are_listed():
    assert {"glorot_uniform", "he_normal", "zeros"} <= set(INITIALIZERS.names())
