"""Conformance: every registered item carries everything its consumers need. Adding an
activation without an ONNX form, a loss without its problems, a data set without its kind, an
optimizer hyperparameter without bounds, or a layer kind without its keys, words, gradients,
walk step or export forms fails here, not in a user's export."""

import dataclasses

import numpy as np
import pytest

from engine.core.activations import ACTIVATIONS
from engine.core.initializers import INITIALIZERS
from engine.core.losses import LOSSES, Loss, get_loss
from engine.core.optimizers import HYPERPARAMETER_BOUNDS, OPTIMIZERS, SCHEDULE_BOUNDS, SCHEDULE_DEFAULTS, SCHEDULES
from engine.data import DATASETS, generate
from engine.project.fields import field

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
    # Its formula on torch tensors too, for train --backend torch (tests/test_torch_backend.py compares them).
    assert type(loss).torch_per_sample is not Loss.torch_per_sample


@pytest.mark.parametrize("name", DATASETS.names())
def test_every_data_set_knows_its_problem_classes_samples_and_kind(name):
    info = DATASETS.get(name)
    assert info.name == name and info.note and info.kind in ("points", "images", "table", "sequence")
    assert (info.default_length > 0) == (info.kind == "sequence")
    lo, hi = info.classes
    if info.problem == "classification":
        assert 2 <= lo <= info.default_classes <= hi
    else:
        assert info.problem == "regression" and (lo, hi) == (0, 0)
    assert field("data.samples").lo <= info.default_samples <= field("data.samples").hi
    ds = generate(name, samples=20, seed=1, classes=info.default_classes if lo else None)
    assert ds.problem == info.problem and (ds.image_shape is not None) == (info.kind == "images")
    assert (ds.sequence_shape is not None) == (info.kind == "sequence")
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


# ----------------------------------------------------------------- layer kinds (issue 36)
def _built() -> dict[str, list]:
    """Every layer object the written kinds' entries make, by kind: each written kind's new-layer
    entry, its number keys set inside their range (a dense layer's dropout makes a Dropout)."""
    from engine.core.layers import new_entry
    from engine.core.layers.base import LAYERS

    made: dict[str, list] = {}
    for name in LAYERS.written():
        kind = LAYERS.get(name)
        entry = new_entry(name)
        for key in kind.keys:
            if key.kind == "number":
                entry[key.name] = (key.lo + key.hi) / 2
        for layer in kind.build(entry):
            made.setdefault(layer.name, []).append((name, layer))
    return made


def _chain(name: str, switched: bool = False) -> tuple:
    """(the layers a written kind's entry makes, each one's input shape, and its output shape);
    `switched`: its boolean keys flipped (a recurrent layer's return_sequences; a dense layer's batch_norm
    makes three layers)."""
    from engine.core.layers import new_entry
    from engine.core.layers.base import LAYERS

    kind = LAYERS.get(name)
    entry = new_entry(name)
    for key in kind.keys:
        if key.kind == "number":
            entry[key.name] = (key.lo + key.hi) / 2
        elif key.kind == "boolean" and switched:
            entry[key.name] = not key.default
    layers = kind.build(entry)
    shape = {"image": (5, 6, 2), "sequence": (4, 3)}.get(kind.takes, (7,))
    out = []
    for layer in layers:
        nxt = tuple(layer.output_shape(shape))
        out.append((layer, shape, nxt))
        shape = nxt
    return out


def _every_layer() -> list:
    from engine.core.layers.base import LAYERS

    switches = [(name, flip) for name in LAYERS.written() for flip in (False, True)
                if not flip or any(key.kind == "boolean" for key in LAYERS.get(name).keys)]  # fmt: skip
    return [(layer, inp, out) for name, flip in switches for layer, inp, out in _chain(name, flip)]


def test_every_layer_kind_is_made_by_a_project_entry_and_declares_its_words_and_keys():
    from engine.core.layers import offered
    from engine.core.layers.base import LAYERS
    from engine.project.fields import field

    made = _built()
    assert set(made) == set(LAYERS.names())  # a kind no entry makes could never be in a model
    assert LAYERS.default in LAYERS.written() and [k.name for k in offered()] != []
    shared = {}
    for name in LAYERS.names():
        kind = LAYERS.get(name)
        assert kind.name == name and kind.keras and kind.help and kind.formula, name
        assert kind.forward_words and kind.backward_words, name
        assert kind.takes in ("image", "sequence", "flat", "any"), name
        assert kind.gives in ("image", "sequence", "flat", "same") and kind.gives_for(kind.new) in (
            "image", "sequence", "flat", "same"), name
        for key in kind.keys:
            assert key.kind in ("integer", "number", "boolean", "choice", "activation") and key.label and key.help, (
                name, key)
            assert "{}" in key.shown, (name, key)
            f = field(f"network.layers[].{key.name}")  # the field table knows it
            assert f.label == key.label and (f.lo, f.hi) == (key.lo, key.hi), (name, key)
            if key.kind == "choice":
                assert tuple(f.choices()) == key.choices
            assert shared.setdefault(key.name, (key.kind, key.label, key.lo, key.hi, key.choices)) == (
                key.kind, key.label, key.lo, key.hi, key.choices), (name, key)  # kinds sharing a key agree
            if not key.required:
                assert key.name in kind.defaults()
                if key.kind == "choice":
                    assert key.default in key.choices
                elif key.kind in ("integer", "number"):
                    assert key.lo <= key.default <= key.hi
                elif key.kind == "boolean":
                    assert isinstance(key.default, bool) and f.kind == "boolean"
            # One default: the class's own, where it has the setting, is what a file that leaves it out means.
            defaults = {f.name: f.default for f in dataclasses.fields(kind) if f.default is not dataclasses.MISSING}
            if key.name in defaults and not key.required:
                assert defaults[key.name] == key.default, (name, key.name)
        if kind.written:
            entry = {k: v for k, v in kind.new.items() if k in [key.name for key in kind.keys]}
            assert set(kind.new) == {key.name for key in kind.keys}, name  # a new layer sets every key
            assert isinstance(kind.label(entry), str) and kind.label(entry), name
            assert isinstance(kind.neurons(entry), int) and kind.neurons(entry) >= 0, name


def test_a_file_that_leaves_a_layers_keys_out_means_the_kinds_defaults():
    from engine.core.layers.base import LAYERS
    from engine.project import normalize_project

    images = {"source": "shapes", "classes": 4, "samples": 40, "features": None}
    for name in LAYERS.written():
        kind = LAYERS.get(name)
        entry = {k.name: kind.new[k.name] for k in kind.keys if k.required}
        if name != LAYERS.default:
            entry["type"] = name
        p = normalize_project({"format": "nn-playground/1", "data": images, "network": {
            "layers": [entry], "output_activation": "softmax"}, "training": {"loss": "categorical_crossentropy"}})
        got = p["network"]["layers"][0]
        given = {k: v for k, v in entry.items() if k != "type"}
        later = {k.name for k in kind.keys if not k.written_at_default}  # left out at their default
        want = {k: v for k, v in {**kind.defaults(), **given}.items() if k not in later or v != kind.defaults()[k]}
        assert {k: v for k, v in got.items() if k != "type"} == want, name
        for key in kind.keys:
            if key.name in later:  # the other value is written, and read back as given
                flipped = normalize_project({**p, "network": {**p["network"], "layers": [
                    {**entry, key.name: not key.default if key.kind == "boolean" else key.hi}]}})
                assert flipped["network"]["layers"][0][key.name] != key.default, (name, key.name)
        assert ("type" in got) == (name != LAYERS.default)


LAYER_CASES = _every_layer()


@pytest.mark.parametrize("case", LAYER_CASES, ids=[layer.name for layer, _i, _o in LAYER_CASES])
def test_every_layers_forward_backward_and_trace_agree_with_central_differences(case):
    layer, inp, out = case
    layer = layer.clone()
    rng = np.random.default_rng(len(LAYER_CASES))
    params = {k: rng.normal(0, 0.5, s) for k, s in layer.param_shapes(inp).items()}
    for name in layer.non_trainable:  # moving statistics: a variance must be positive
        params[name] = rng.uniform(0.5, 1.5, params[name].shape)
    grads = {k: np.zeros_like(v) for k, v in params.items() if k not in layer.non_trainable}
    layer.bind(params, grads)
    x = rng.normal(size=(2, *inp))
    up = rng.normal(size=(2, *out))

    def run(inputs):
        return layer.forward(inputs, training=True, rng=np.random.default_rng(7))

    assert run(x).shape == (2, *out) and layer.count_params(inp) == sum(v.size for v in params.values())
    dx = layer.backward(up.copy())
    loss = lambda: float(np.sum(up * run(x)))  # noqa: E731

    def numeric(arr):
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + 1e-6
            hi = loss()
            arr[idx] = old - 1e-6
            lo = loss()
            arr[idx] = old
            g[idx] = (hi - lo) / 2e-6
        return g

    np.testing.assert_allclose(dx, numeric(x), rtol=1e-5, atol=1e-7, err_msg=layer.name)
    for name, value in params.items():  # a non-trainable array gets no gradient, and a training pass needs none
        want = grads[name] if name in grads else np.zeros_like(value)
        np.testing.assert_allclose(want, numeric(value), rtol=1e-5, atol=1e-7, err_msg=f"{layer.name} {name}")
    # The walk's step for one example, worked out apart from backward, gives the same numbers.
    first = x[:1]
    a = layer.forward(first)
    step = layer.trace(up[0], 0, 0 if params else None)
    want_dx = layer.backward(up[:1].copy())
    assert step.kind == layer.name and np.allclose(step.a, a[0]) and np.allclose(step.inputs, first[0])
    np.testing.assert_allclose(step.grad_input, want_dx[0], rtol=1e-10, atol=1e-12)
    assert set(step.gradients()) == set(grads), layer.name  # every trainable array's gradient, by name
    for name, g in step.gradients().items():  # a recurrent layer's: the sum over the steps
        np.testing.assert_allclose(g, grads[name], rtol=1e-10, atol=1e-12, err_msg=f"{layer.name} {name}")
    where = {"unit": "unit 1 of layer 1", "source": "x1", "upstream": "∂L/∂a (from the loss)"}
    if step.grad_kernel is not None:
        row = tuple(0 for _ in step.grad_kernel.shape[:-1])
        row = row if len(row) > 1 else row[0]
        said = layer.explain(step, row, 0, where)
        assert said.head and said.formula and said.numbers and said.analytic == pytest.approx(
            float(step.grad_kernel[(*row, 0)] if isinstance(row, tuple) else step.grad_kernel[row, 0]))
    elif grads:
        for row in (None, 0):  # the shift-like parameter, then the scale-like one
            said = layer.explain(step, row, 0, where)
            assert said.head and said.formula and said.numbers
            assert any(said.analytic == pytest.approx(float(g[0])) for g in step.gradients().values())
        assert all(isinstance(line, str) for line in type(layer).routing_words(step, 0))
    else:
        assert all(isinstance(line, str) for line in type(layer).routing_words(step, 0))
    # Shapes alone: what a training step and inference cost.
    cache, temp = layer.step_values(inp, out, True, 8)
    assert cache >= 0 and temp >= 0 and layer.macs(inp, out) >= 0 and layer.inference_values(inp, out) >= 0
    assert layer.summary_name("x_1").startswith(("x_1", "flatten")) and isinstance(layer.title(), str)


@pytest.mark.parametrize("case", LAYER_CASES, ids=[layer.name for layer, _i, _o in LAYER_CASES])
def test_every_layers_export_forms_run_and_predict_what_the_engine_does(case):
    """Each kind's ONNX nodes, checked with onnxruntime inside a model, and its torch and Keras
    lines, which must be Python."""
    import ast

    from engine.core.layers import Dense, flattener, new_entry
    from engine.core.layers.base import LAYERS, CodeContext
    from engine.core.model import LayerStack

    layer, inp, out = case
    image = len(inp) == 3
    code = CodeContext(image)
    for lines in (layer.torch(code, inp, out), layer.keras_code(CodeContext(image), inp, out)):
        assert all(line.split("  # ")[0].endswith(",") for line in lines)  # a line may end with a comment
        ast.parse("[" + "\n".join(lines) + "\n]")
    if layer.torch_helpers:
        ast.parse(layer.torch_helpers)
    # The torch line holding its parameters, and for each of its tensors the array and its axes in torch's
    # order (after taking a row, where a recurrent layer's spec takes one).
    shapes = layer.param_shapes(inp)
    assert len(code.holders) == (1 if shapes else 0)
    for i, tensors in code.holders:
        assert 0 <= i < len(layer.torch(CodeContext(image), inp, out))
        specs = [(name, axes, *more) for name, axes, *more in tensors.values() if name is not None]
        assert {name for name, *_ in specs} == set(shapes)
        for name, axes, *more in specs:
            row = more[1] if len(more) == 2 else None
            assert len(axes) == len(shapes[name]) - (row is not None), (name, axes)
    # After image maps a flatten, after every step's state (a recurrent layer's sequence) the same kind
    # giving its last step's.
    tail = flattener()() if len(out) == 3 else LAYERS.get(layer.name).build(new_entry(layer.name))[0] if (
        len(out) == 2) else None  # fmt: skip
    stack = [layer.clone()] + ([tail] if tail is not None else []) + [Dense(3, "softmax")]
    net = LayerStack(inp, stack, seed=3)
    net.params[...] = np.random.default_rng(3).normal(0, 0.5, net.params.size)
    net.params[net.n_trainable :] = np.random.default_rng(4).uniform(0.5, 1.5, net.params.size - net.n_trainable)
    ort = pytest.importorskip("onnxruntime")
    from engine.core.onnx import onnx_model_bytes

    session = ort.InferenceSession(onnx_model_bytes(net), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).normal(size=(4, net.n_inputs))
    feed = x.reshape(4, *inp) if net.exports_images else x
    got = session.run(None, {"input": feed.astype(np.float32)})[0]
    np.testing.assert_allclose(got, net.predict(x), rtol=1e-4, atol=1e-5, err_msg=layer.name)


def every_registry():
    """Every Registry the engine holds: each engine module imported, then every instance found
    (a registry added later is checked without being listed here)."""
    import gc
    import importlib
    import pkgutil

    import engine
    from engine.core.registry import Registry

    for mod in pkgutil.walk_packages(engine.__path__, "engine."):
        try:
            importlib.import_module(mod.name)
        except ModuleNotFoundError as exc:  # a module of an optional extra (torch_parts: torch) holds no registry
            if exc.name not in ("torch", "onnx", "h5py", "keras"):
                raise
    # type(), not isinstance(): isinstance reads __class__, which some objects of other libraries
    # in the process (torch's deprecated aliases) answer with a warning.
    found = {id(r): r for r in gc.get_objects() if issubclass(type(r), Registry)}
    return sorted(found.values(), key=lambda r: r.kind)


def test_every_registered_entry_has_its_words():
    """Issue 31, item 10: the app showed "half_squared", "glorot_uniform". Each entry brings the
    words the app shows for it in its one registration; an identifier stays the files' name."""
    registries = every_registry()
    kinds = {r.kind for r in registries}
    assert {"loss", "initializer", "activation", "optimizer", "regularization", "learning-rate schedule", "data set",
            "input feature", "layer type"} <= kinds  # fmt: skip
    lacking = [f"{r.kind} {name!r}" for r in registries for name in r.names() if not r.given_words(name)]
    assert not lacking, f"registered without words: {', '.join(lacking)}"
    for r in registries:
        shown = [r.words(name) for name in r.names()]
        assert not [w for w in shown if "_" in w], f"{r.kind}: words that read as identifiers"
        assert len(set(shown)) == len(shown), f"{r.kind}: two entries shown alike"
        for name in r.names():
            assert name in r.tooltip(name) and r.words(name) in r.tooltip(name)


def test_an_entry_registered_without_words_is_caught():
    from engine.core.registry import Registry

    r = Registry("example")
    r.register("plain_name")(object())
    r.register("worded", "In words")(object())
    assert r.given_words("plain_name") is None and r.words("plain_name") == "plain name"
    assert r.given_words("worded") == "In words" and r.words("WORDED") == "In words"


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_setting_that_is_a_word_has_words(name):
    cls = OPTIMIZERS.get(name)
    for key, default in cls.defaults.items():
        if isinstance(default, str):
            assert "_" not in cls.key_words(key) and cls.key_words(key) != key  # "update rule", not "rules"
            for choice in cls.choices[key]:
                assert cls.choice_words(key, choice) != choice  # "PyTorch", not "torch"
