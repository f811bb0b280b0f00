"""What every importer produces: the engine's layers in order, their weights in Keras's layouts,
and from them a validated project and the weight arrays by their weight-file names.

An importer reads its format and calls a `Builder` once per layer it finds (dense, conv2d,
pooling, flatten, batch normalization, an activation, dropout, a recurrent layer), each with
weights already converted to Keras's layout. The builder follows the shape through the engine's
own layer kinds, folds an activation into the layer before it where Keras would hold it there
(Dense(activation=...)), makes the last dense layer the output, picks data that fit the input,
and checks the result by building the engine's model and loading the weights into it: a model
that does not fit is refused whole, nothing half-made comes out.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.errors import PlaygroundError
from ..core.i18n import _, ngettext
from ..core.layers import LAYERS
from ..core.layers.base import Shape
from ..core.model import LayerStack, build_model
from ..core.registry import spec_name
from ..data import CLASS_RANGE, DATASETS
from ..data.generators import MAX_SEQUENCE_LENGTH, MIN_SEQUENCE_LENGTH
from ..project import normalize_project
from ..project.files import apply_weights

#: The defaults of the BatchNormalization a dense or conv2d entry's batch_norm key makes.
_BN_DEFAULTS = {"momentum": 0.99, "epsilon": 1e-3, "center": True, "scale": True}


@dataclass
class Imported:
    """An imported model: the validated project, its weights by weight-file name
    (layers.{k}.kernel, ... in Keras's order) and what the user should know (notes)."""

    project: dict[str, Any]
    weights: dict[str, np.ndarray]
    notes: list[str] = field(default_factory=list)
    source: str = ""  # the format's name: "ONNX", "Keras", "PyTorch"

    input_shape: Shape = ()  # (features,), (H, W, C) or, with sequence, (T, F)
    sequence: bool = False

    def model(self) -> LayerStack:
        """The engine's model of the project on the imported input shape, holding the weights."""
        return _model(self.project, self.input_shape, self.sequence, self.weights)

    def weight_list(self) -> list[np.ndarray]:
        """The weights in Keras's order (what Model.set_weights takes)."""
        return self.model().get_weights()


def _model(project: dict[str, Any], shape: Shape, sequence: bool, weights: dict[str, np.ndarray]) -> LayerStack:
    n = project["network"]
    model = build_model(shape, n["layers"], _out_units(weights), n["output_activation"], n["initializer"], 0.0,
                        np.dtype(n["dtype"]), 0, sequence=sequence)  # fmt: skip
    apply_weights(model, weights, _("imported weights"))
    return model


def _out_units(weights: dict[str, np.ndarray]) -> int:
    """The output layer's width: its bias's (the last layer with weights)."""
    last = max(weights, key=lambda k: int(k.split(".")[1]))
    k = int(last.split(".")[1])
    return int(weights[f"layers.{k}.bias"].shape[-1])


def activation_spec(name: str, where: str, alpha: float | None = None) -> Any:
    """An activation as a project writes it ("relu", {"name": "leaky_relu", "alpha": 0.1}), or a
    refusal naming the node and what it is."""
    canonical = ACTIVATIONS.canonical(name)
    if canonical is None:
        raise PlaygroundError(_("{where} is the activation {name}: the playground has no such activation (it has "
                                "{names})").format(
                                  where=where, name=name, names=', '.join(ACTIVATIONS.names())))  # fmt: skip
    ranges = ACTIVATIONS.get(canonical).param_ranges
    if "alpha" in ranges and alpha is not None:
        lo, hi = ranges["alpha"][:2]
        if not lo <= alpha <= hi:
            raise PlaygroundError(_("{where} is {canonical} with alpha {alpha:g}: the playground's takes alpha from "
                                    "{lo:g} to {hi:g}").format(
                                      where=where, canonical=canonical, alpha=alpha, lo=lo, hi=hi))  # fmt: skip
        return {"name": canonical, "alpha": float(alpha)}
    return canonical


class Builder:
    """Collects the engine's layers of an imported model in order (see the module's docstring).

    `shape` is the input in the engine's terms: (features,), (H, W, C) for images, or (T, F) for
    sequences with `sequence`."""

    def __init__(self, source: str, shape: Shape, sequence: bool = False) -> None:
        self.source = source
        self.input_shape = tuple(int(v) for v in shape)
        self.sequence = sequence
        self.shape: Shape = self.input_shape if len(self.input_shape) != 2 or sequence else (*self.input_shape, 1)
        if len(self.shape) == 3:
            self.input_shape = self.shape
        self.entries: list[dict[str, Any]] = []
        self.params: list[dict[str, np.ndarray]] = []  # per layer with weights, in order
        self.notes: list[str] = []
        self.float64 = False  # any weight array came as float64
        self._chw: Shape | None = None  # (H, W, C) flattened channels-first: the next dense kernel's rows

    # ----------------------------------------------------------------- layers
    def _add(self, entry: dict[str, Any], params: dict[str, np.ndarray] | None, where: str) -> None:
        kind = LAYERS.get(entry.get("type", "dense"))
        shape = self.shape
        if kind.takes == "flat" and len(shape) == 3:  # the engine's own flatten before a dense layer
            shape = (int(np.prod(shape)),)
        try:
            for layer in kind.build(entry):
                layer.check_fits(shape)
                shape = layer.output_shape(shape)
        except PlaygroundError as exc:
            raise PlaygroundError(_("{where}: {exc}").format(where=where, exc=exc)) from None
        if params is not None:
            for name, arr in params.items():
                if np.asarray(arr).dtype == np.float64:
                    self.float64 = True
                params[name] = np.asarray(arr, dtype=np.float64)
            self.params.append(params)
        self.entries.append(entry)
        self.shape = shape

    def dense(self, kernel: np.ndarray, bias: np.ndarray | None, where: str) -> None:
        """kernel (in, units) as Keras's; a missing bias is zeros."""
        kernel = np.asarray(kernel)
        if int(np.prod(self.shape)) != kernel.shape[0]:
            raise PlaygroundError(_("{where} takes {shape} inputs, but {shape2} reach it (shape {self_shape})").format(
                                      where=where, shape=kernel.shape[0], shape2=int(np.prod(self.shape)),
                                      self_shape=self.shape))  # fmt: skip
        if self._chw is not None:  # rows in (C, H, W) order, as a channels-first flatten lays them
            h, w, c = self._chw
            kernel = kernel.reshape(c, h, w, -1).transpose(1, 2, 0, 3).reshape(h * w * c, -1)
            self._chw = None
        bias = np.zeros(kernel.shape[1]) if bias is None else np.asarray(bias).reshape(-1)
        self._add({"units": int(kernel.shape[1]), "activation": "linear", "dropout": 0.0},
                  {"kernel": kernel, "bias": bias}, where)  # fmt: skip

    def conv2d(self, kernel: np.ndarray, bias: np.ndarray | None, strides: int, padding: str, where: str) -> None:
        """kernel (kh, kw, in, out) as Keras's; square kernels and strides, 'valid' or 'same' padding."""
        kh, kw, _cin, cout = kernel.shape
        if kh != kw:
            raise PlaygroundError(_("{where} is a {kh}×{kw} convolution: the playground's kernels are square").format(
                                      where=where, kh=kh, kw=kw))
        bias = np.zeros(cout) if bias is None else np.asarray(bias).reshape(-1)
        entry = {"type": "conv2d", "filters": int(cout), "kernel_size": int(kh), "strides": int(strides),
                 "padding": padding, "activation": "linear"}  # fmt: skip
        self._add(entry, {"kernel": kernel, "bias": bias}, where)

    def set_bias(self, bias: np.ndarray, where: str) -> None:
        """The bias of the dense or conv2d layer just added (a format that adds it as a node of its own)."""
        last = self.entries[-1] if self.entries else {}
        if last.get("type", "dense") not in ("dense", "conv2d") or not self.params or "kernel" not in self.params[-1]:
            if "type" not in last:
                raise PlaygroundError(_("{where} adds a bias after a nothing layer").format(where=where))
            raise PlaygroundError(_("{where} adds a bias after a {kind} layer").format(where=where, kind=last["type"]))
        self.params[-1]["bias"] = np.asarray(bias, dtype=np.float64).reshape(-1)

    def pool(self, kind: str, size: int, where: str) -> None:
        """max or average pooling, a size × size window moved by its size."""
        self._add({"type": f"{kind}_pooling2d", "pool_size": int(size)}, None, where)

    def flatten(self, where: str, channels_first: bool = False) -> None:
        """Keras's Flatten (H, W, C order); `channels_first`: the source flattened (C, H, W), as
        PyTorch does, so the next dense kernel's rows are put in Keras's order."""
        if len(self.shape) == 1:
            return
        if channels_first and len(self.shape) == 3:
            self._chw = self.shape
        if self.sequence:
            raise PlaygroundError(_("{where} flattens a sequence: the playground's recurrent layers give their last "
                                    "state, or a sequence for another recurrent layer").format(
                                      where=where))  # fmt: skip
        self._add({"type": "flatten"}, None, where)

    def batch_norm(self, gamma: np.ndarray | None, beta: np.ndarray | None, mean: np.ndarray, var: np.ndarray,
                   epsilon: float, momentum: float, where: str) -> None:  # fmt: skip
        """Inference statistics and, where learned, γ and β (None: not learned, Keras's scale/center false)."""
        entry = {"type": "batch_normalization", "momentum": float(momentum), "epsilon": float(epsilon),
                 "center": beta is not None, "scale": gamma is not None}  # fmt: skip
        params = {"moving_mean": np.asarray(mean).reshape(-1), "moving_variance": np.asarray(var).reshape(-1)}
        if gamma is not None:
            params["gamma"] = np.asarray(gamma).reshape(-1)
        if beta is not None:
            params["beta"] = np.asarray(beta).reshape(-1)
        if self._chw is not None:  # after a channels-first flatten: its features in Keras's H, W, C order
            h, w, c = self._chw
            params = {k: v.reshape(c, h, w).transpose(1, 2, 0).reshape(-1) for k, v in params.items()}
        shapes = LAYERS.get("batch_normalization")(**{k: v for k, v in entry.items() if k != "type"}) \
            .param_shapes(self.shape)  # fmt: skip
        self._add(entry, {k: params[k] for k in shapes}, where)

    def activation(self, spec: Any, where: str) -> None:
        """f after the layer before: held by that dense or conv2d layer when its own is linear (as
        Keras's Dense(activation=...)), else an activation layer of its own."""
        if spec_name(spec) == "linear":
            return
        last = self.entries[-1] if self.entries else None
        if last is not None and last.get("type", "dense") in ("dense", "conv2d") and last["activation"] == "linear":
            if not ACTIVATIONS.get(spec_name(spec)).elementwise and last.get("type") == "conv2d":
                raise PlaygroundError(_("{where} is a softmax over a convolution's channels: the playground's "
                                        "softmax is an output activation").format(where=where))  # fmt: skip
            last["activation"] = spec
            return
        self._add({"type": "activation", "activation": spec}, None, where)

    def dropout(self, rate: float, where: str) -> None:
        """Held by the dense layer before (its dropout key); elsewhere left out with a note (dropout does
        nothing at inference)."""
        last = self.entries[-1] if self.entries else None
        if last is not None and last.get("type", "dense") == "dense" and rate < 1:
            last["dropout"] = float(rate)
        elif rate:
            if last:
                self.notes.append(_("{where}: dropout {rate:g} after a {kind} layer was left out (the playground "
                                    "drops units of dense layers only; dropout does nothing at inference)").format(
                                      where=where, rate=rate, kind=last.get("type")))
            else:
                self.notes.append(_("{where}: dropout {rate:g} after a the input layer was left out (the playground "
                                    "drops units of dense layers only; dropout does nothing at inference)").format(
                                      where=where, rate=rate))

    def recurrent(self, kind: str, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray,
                  return_sequences: bool, where: str, activation: Any = "tanh",
                  recurrent_activation: Any = "sigmoid") -> None:  # fmt: skip
        """A simple_rnn, lstm or gru layer with Keras's kernels (gate blocks in Keras's order)."""
        units = int(recurrent_kernel.shape[0])
        entry: dict[str, Any] = {"type": kind, "units": units, "activation": activation}
        if kind != "simple_rnn":
            entry["recurrent_activation"] = recurrent_activation
        entry["return_sequences"] = bool(return_sequences)
        self._add(entry, {"kernel": kernel, "recurrent_kernel": recurrent_kernel, "bias": bias}, where)

    def last_step(self, where: str) -> None:
        """The recurrent layer just added gives its last state only (return_sequences false): a
        format that takes every step's state and then the last one (PyTorch's out[:, -1])."""
        last = self.entries[-1] if self.entries else {}
        if not last.get("return_sequences"):
            raise PlaygroundError(_("{where} takes the last step of something that is not a recurrent layer's steps")
                                    .format(where=where))
        last["return_sequences"] = False
        self.shape = (int(last["units"]),)

    # ----------------------------------------------------------------- the project
    def _folded(self) -> list[dict[str, Any]]:
        """dense/conv2d (linear) + BatchNormalization with Keras's defaults + activation: the
        entry's batch_norm key, as the playground writes it."""
        out: list[dict[str, Any]] = []
        i = 0
        entries = self.entries
        while i < len(entries):
            e = entries[i]
            if (e.get("type", "dense") in ("dense", "conv2d") and e["activation"] == "linear" and i + 2 < len(entries)
                    and entries[i + 1].get("type") == "batch_normalization"
                    and {k: v for k, v in entries[i + 1].items() if k != "type"} == _BN_DEFAULTS
                    and entries[i + 2].get("type") == "activation"
                    and not (e.get("dropout"))):  # fmt: skip
                out.append({**e, "activation": entries[i + 2]["activation"], "batch_norm": True})
                i += 3
                continue
            out.append(e)
            i += 1
        return out

    def finish(self, dtype: str = "float64", output_activation: Any = None) -> Imported:
        """The project and weights; the last dense layer is the output (`output_activation`, when
        given, replaces the one the model has)."""
        if not self.entries or self.entries[-1].get("type", "dense") != "dense":
            last = self.entries[-1].get("type", "dense") if self.entries else "nothing"
            raise PlaygroundError(_("this model ends with {last}: the playground's output layer is a dense layer "
                                    "(with its activation)").format(last=last))  # fmt: skip
        out = self.entries[-1]
        if out.get("dropout"):
            self.notes.append(_("the output layer's dropout {dropout:g} was left out").format(
                                  dropout=out['dropout']))
        act = output_activation if output_activation is not None else out["activation"]
        units = out["units"]
        hidden = copy.deepcopy(self.entries[:-1])
        self.entries, saved = hidden, self.entries
        hidden = self._folded()
        self.entries = saved
        problem, classes, loss = _problem(spec_name(act), units, self.notes)
        data = self._data(problem, classes)
        project = {
            "format": "nn-playground/1",
            "seed": 0,
            "app": {"title": "", "note": ""},
            "data": data,
            "network": {"layers": hidden, "output_activation": act, "dtype": dtype},
            "training": {"loss": loss, "optimizer": {"name": "adam", "learning_rate": 0.001}, "batch_size": 32},
        }
        try:
            project = normalize_project(project)
        except PlaygroundError as exc:
            raise PlaygroundError(_("the imported model does not make a project: {exc}").format(exc=exc)) from None
        weights = self._weights(project)
        result = Imported(project, weights, self.notes, self.source, self.input_shape, self.sequence)
        result.model()  # builds and loads: every shape is checked once more, as the app will
        return result

    def _weights(self, project: dict[str, Any]) -> dict[str, np.ndarray]:
        """The arrays by the names the engine's model gives its layers with weights (the project's
        folding keeps their order)."""
        n = project["network"]
        try:
            model = build_model(self.input_shape, n["layers"], self.entries[-1]["units"], n["output_activation"],
                                n["initializer"], 0.0, np.dtype(n["dtype"]), 0, sequence=self.sequence)  # fmt: skip
        except PlaygroundError as exc:
            raise PlaygroundError(_("the imported model does not fit the playground: {exc}").format(
                                      exc=exc)) from None
        names = model.layer_weight_names()
        if len(names) != len(self.params):
            raise PlaygroundError(_("the imported model has {count} layers with weights; the playground's has "
                                    "{count2}").format(count=len(self.params), count2=len(names)))  # fmt: skip
        out: dict[str, np.ndarray] = {}
        for k, (want, have) in enumerate(zip(names, self.params)):
            for name in want:
                out[f"layers.{k}.{name}"] = have[name]
        return out

    def _data(self, problem: str, classes: int) -> dict[str, Any]:
        data, note = data_for(self.input_shape, self.sequence, problem, classes)
        if note:
            self.notes.append(note)
        return data


def _problem(act: str, units: int, notes: list[str]) -> tuple[str, int, str]:
    """(problem, classes, loss) from the output: softmax or sigmoid, classification; linear on one
    unit, regression; linear on several, classification scored by its raw outputs (logits)."""
    desc = ACTIVATIONS.get(act)
    if desc.probabilities and not desc.elementwise:  # softmax: a row of class probabilities
        if units < 2:
            raise PlaygroundError(_("the output is a softmax over 1 unit (always 1): the playground needs 2 or more"))
        return "classification", units, "categorical_crossentropy"
    if desc.probabilities:  # sigmoid: one probability
        if units != 1:
            raise PlaygroundError(_("the output is {units} sigmoid units (multi-label): the playground's "
                                    "classification gives one class an example (softmax, or one sigmoid unit)").format(
                                      units=units))
        return "classification", 2, "binary_crossentropy"
    if units == 1:
        if act != "linear":
            notes.append(_("the output activation is {act} on one unit: imported as a regression").format(act=act))
        return "regression", 0, "mse"
    notes.append(_("the output is {units} raw scores ({act}; logits, as PyTorch's CrossEntropyLoss takes them): "
                   "imported as a classification with the multiclass hinge loss, which takes scores; choose softmax "
                   "as the output activation (and categorical cross-entropy) to see probabilities").format(
                     units=units, act=act))  # fmt: skip
    if act != "linear":
        raise PlaygroundError(_("the output is {units} units with {act}: the playground's outputs for several "
                                "classes are softmax or linear scores").format(units=units, act=act))  # fmt: skip
    return "classification", units, "multiclass_hinge"


def data_for(shape: Shape, sequence: bool, problem: str, classes: int) -> tuple[dict[str, Any], str]:
    """A data section whose data fit inputs of `shape` (a generated or bundled set), and a note;
    when none fits, a data file the user must supply beside the project, and a note saying so."""
    def fits(name: str) -> bool:
        lo, hi = CLASS_RANGE[name]
        return problem == "classification" and lo <= classes <= hi if problem == "classification" else True

    pick: dict[str, Any] | None = None
    if sequence:
        steps, feats = shape
        name = {(1, "regression"): "sine", (2, "regression"): "adding", (1, "classification"): "parity"}.get(
            (feats, problem))
        if name and MIN_SEQUENCE_LENGTH <= steps <= MAX_SEQUENCE_LENGTH and (name != "parity" or classes == 2):
            pick = {"source": name, "sequence_length": int(steps)}
    else:
        size = int(np.prod(shape))
        flat = len(shape) == 1
        if flat and size == 2:
            if problem == "regression":
                pick = {"source": "plane"}
            elif classes == 2:
                pick = {"source": "circle"}
            elif fits("blobs"):
                pick = {"source": "blobs", "classes": classes}
        elif flat and size == 4 and problem == "classification" and classes == 3:
            pick = {"source": "iris"}
        elif size == 64 and shape in ((64,), (8, 8, 1)) and problem == "classification" and classes == 10:
            pick = {"source": "digits"}
        elif size == 256 and shape in ((256,), (16, 16, 1)) and fits("shapes"):
            pick = {"source": "shapes", "classes": classes}
    if pick is not None:
        info = DATASETS.get(pick["source"])
        data = {**pick, "features": ["x1", "x2"] if pick["source"] in ("plane", "circle", "blobs") else None,
                "normalize": info.normalize or "none", "test_fraction": 0.2}  # fmt: skip
        if problem == "classification":
            data["classes"] = classes
        return data, _("data: the {name} set (its inputs fit the model's {shape}); choose your own in the Data "
                       "panel").format(name=DATASETS.words(info.name), shape=_shape_words(shape))  # fmt: skip
    form = (_("(N, T, F) sequences") if sequence else _("(N, H, W, C) images") if len(shape) == 3
            else _("(N, features) rows"))  # fmt: skip
    data = {"source": {"npz": "data.npz"}, "problem": problem, "features": None, "test_fraction": 0.2}
    if problem == "classification":
        data["classes"] = classes
        return data, _("data: no data set of the playground fits the model's {shape}; the project reads data.npz "
                       "beside it (x: {form} of shape {dims}, y: class labels 0..{last}): put your data there, or "
                       "open a data file in the window").format(
                           shape=_shape_words(shape), form=form, dims=tuple(shape), last=classes - 1)  # fmt: skip
    return data, _("data: no data set of the playground fits the model's {shape}; the project reads data.npz "
                   "beside it (x: {form} of shape {dims}, y: targets): put your data there, or open a data file in "
                   "the window").format(shape=_shape_words(shape), form=form, dims=tuple(shape))  # fmt: skip


def _shape_words(shape: Shape) -> str:
    if len(shape) == 1:
        return ngettext("{count} input", "{count} inputs", shape[0]).format(count=shape[0])
    return _("input {shape}").format(shape="×".join(str(v) for v in shape))
