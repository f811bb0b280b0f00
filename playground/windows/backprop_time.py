"""The backprop walk through time, for a model with recurrent layers (no widgets): its stages
(each recurrent layer forward one step per stage, then back from its last step to its first:
backpropagation through time), what the canvas shows at a stage (the unrolled cells that are
computed or reached by the gradient, and the current step's vectors as rows of numbers: x_t,
h_{t−1}, each gate block's z and activation, c_t, h_t forward; ∂L/∂h_t, each block's δ_t and the
bias gradient summed so far backward), and the stage's words, with ‖∂L/∂h_t‖ as a share of the
last step's. A layer without time (a dense layer after the recurrent ones) walks as one stage
each way, its vectors as rows too. A click on a row's box picks a weight for the chain rule
(`backprop_walk.chain_rule`, whose recurrent kernel's sum over steps is the layer's `explain`).

The canvas is backprop_time_canvas.py; the window (backprop_window.py) picks it for a model whose
walk holds a recurrent layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.core.i18n import _, ngettext
from engine.core.layers.base import LAYERS, LayerTrace
from engine.core.numbers import number

from ..run.sequence_probe import share
from ..run.tracing import TraceResult
from .backprop_walk import MAX_UNITS, short, stage_text

#: (kind, walk layer, step): kind input, forward, loss, backward or update; step −1 for a stage
#: that is not one step of a recurrent layer.
TimeStage = tuple[str, int, int]


def timed(step: LayerTrace) -> bool:
    """Whether a walk layer runs through time (a recurrent layer keeps its per-step states)."""
    return step.states is not None


def has_time(r: TraceResult) -> bool:
    """Whether the walk goes through time: a recurrent layer among the layers it draws."""
    return any(timed(st) for st in r.trace.walk)


def time_stages(walk: list[LayerTrace]) -> list[TimeStage]:
    """The input; each layer forward (a recurrent one step by step, first to last); the loss; each
    layer backward from the output (a recurrent one from its last step to its first); the update."""
    out: list[TimeStage] = [("input", -1, -1)]
    for i, st in enumerate(walk):
        steps = st.inputs.shape[0] if timed(st) else 0
        out += [("forward", i, t) for t in range(steps)] if steps else [("forward", i, -1)]
    out.append(("loss", len(walk) - 1, -1))
    for i in range(len(walk) - 1, -1, -1):
        st = walk[i]
        steps = st.inputs.shape[0] if timed(st) else 0
        out += [("backward", i, t) for t in range(steps - 1, -1, -1)] if steps else [("backward", i, -1)]
    out.append(("update", -1, -1))
    return out


def blocks(st: LayerTrace) -> list[str]:
    """A recurrent layer's gate blocks in Keras's order ("h" alone for a SimpleRNN)."""
    names = getattr(LAYERS.get(st.kind), "gate_names", ())
    return list(names) or ["h"]


def units(st: LayerTrace) -> int:
    return int(st.states["h"].shape[1]) if st.states is not None else int(np.asarray(st.a).size)


def feature_names(r: TraceResult, count: int) -> list[str]:
    """The step features' names from the data's first step's columns ("t0_value" → "value")."""
    names = [c.split("_", 1)[1] if c.startswith("t0_") else c for c in r.columns[:count]]
    return names if len(names) == count else [f"x{k + 1}" for k in range(count)]


@dataclass(frozen=True)
class Row:
    """One row of boxes on the canvas: a vector at this stage, each box two lines of text."""

    name: str  # "x_t", "h_{t−1}", "forget gate", "∂L/∂h_t", ...
    top: list[str]  # each box's first line
    bottom: list[str]  # and its second
    values: np.ndarray | None  # what colours each box (divided by the row's largest |value|); None: white
    pick: str  # a click on box k picks: "input" (kernel row k), "recurrent" (recurrent kernel row k),
    #            "column" (gate column offset + k: its bias), "" (nothing)
    size: int  # the vector's full length (at most MAX_UNITS boxes are drawn)
    offset: int = 0  # for "column": the block's first column


def _boxes(name: str, values: np.ndarray, top: str, pick: str = "", offset: int = 0,
           bottom: list[str] | None = None, label: list[str] | None = None) -> Row:  # fmt: skip
    """A row of a vector's first MAX_UNITS values: `top` formatted with each value's index, the
    value beneath (or `bottom`), coloured by the value."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    shown = v[:MAX_UNITS]
    tops = label if label is not None else [top.format(k + 1) for k in range(shown.size)]
    bottoms = bottom if bottom is not None else [short(float(x)) for x in shown]
    return Row(name, tops[: shown.size], bottoms[: shown.size], shown, pick, v.size, offset)


def _before(r: TraceResult, layer: int) -> np.ndarray:
    """What walk layer `layer` takes: the layer below's output, or the features."""
    return r.trace.walk[layer - 1].a if layer > 0 else r.trace.features


def rows(r: TraceResult, stage: TimeStage) -> list[Row]:
    """The rows the canvas draws at this stage (see the module's docstring)."""
    kind, layer, t = stage
    walk = r.trace.walk
    if kind == "input" or kind == "update":
        return _update_rows(r) if kind == "update" else []
    st = walk[layer]
    if kind == "loss":
        out = _boxes(_("output a"), st.a, "a{}")
        return [out, _boxes(_("target y"), r.trace.target, "y{}")]
    if not timed(st):
        before = _before(r, layer)
        if kind == "forward":
            return [_boxes(_("input a_prev"), before, "in{}", "input"),
                    _boxes("z = a_prev·W + b", st.z, "z{}", "column"),
                    _boxes(f"a = {st.activation}(z)", st.a, "a{}", "column")]  # fmt: skip
        return [_boxes("∂L/∂a", st.upstream, "∂a{}"),
                _boxes("δ = ∂L/∂z", st.delta, "δ{}", "column",
                       bottom=[f"∂b {short(float(b))}" for b in np.ravel(st.grad_bias)[:MAX_UNITS]]),
                _boxes(_("input a_prev"), before, "in{}", "input")]  # fmt: skip
    states, u = st.states, units(st)
    names = blocks(st)
    x = st.inputs[t]
    h_prev = states["h"][t - 1] if t > 0 else np.zeros(u)
    x_row = _boxes("x_t", x, "", "input", label=feature_names(r, x.size))
    h_row = _boxes("h_{t−1}", h_prev, "h{}", "recurrent")
    if kind == "forward":
        out = [x_row, h_row]
        for b, name in enumerate(names):
            z = st.z[t, b * u : (b + 1) * u]
            a = states["h"][t] if name == "h" else states[name][t]
            sym = "h" if name == "h" else "σ" if name not in ("cell", "candidate") else "g"
            title = _("{gate} gate").format(gate=name) if name not in ("h", "cell", "candidate") else (
                "h_t = f(z)" if name == "h" else _("{block} (tanh)").format(block=name))  # fmt: skip
            out.append(_boxes(title, a, "", "column", b * u,
                              label=[f"z {short(float(v))}" for v in z[:MAX_UNITS]],
                              bottom=[f"{sym} {short(float(v))}" for v in a[:MAX_UNITS]]))  # fmt: skip
        if "c" in states:
            out.append(_boxes(_("c_t (cell)"), states["c"][t], "c{}"))
        if names != ["h"]:
            out.append(_boxes("h_t", states["h"][t], "h{}"))
        return out
    grad = states["grad_h"][t]
    so_far = np.sum(st.delta[t:], axis=0)  # the bias gradient summed over the steps walked back so far
    out = [_boxes("∂L/∂h_t", grad, "∂h{}")]
    for b, name in enumerate(names):
        d = st.delta[t, b * u : (b + 1) * u]
        title = f"δ {name}" if name != "h" else "δ = ∂L/∂z_t"
        out.append(_boxes(title, d, "", "column", b * u, label=[f"δ {short(float(v))}" for v in d[:MAX_UNITS]],
                          bottom=[f"Σ {short(float(v))}" for v in so_far[b * u : b * u + MAX_UNITS]]))  # fmt: skip
    return [*out, x_row, h_row]


def _update_rows(r: TraceResult) -> list[Row]:
    """Each layer with weights: the change of its bias the optimizer would make."""
    out = []
    for st in r.trace.walk:
        if st.weights is None:
            continue
        change = np.ravel(r.preview.biases[st.weights])[: np.ravel(st.grad_bias).size]
        out.append(_boxes(f"Δb {st.name}", change, "Δb{}"))
    return out[-6:]


def reached(r: TraceResult, stage: TimeStage, layer: int) -> tuple[np.ndarray, np.ndarray]:
    """For recurrent walk layer `layer`, per step: whether its state is computed at this stage,
    and whether the gradient has reached it going back."""
    kind, at, t = stage
    steps = r.trace.walk[layer].inputs.shape[0]
    idx = np.arange(steps)
    if kind == "input":
        forward = np.zeros(steps, bool)
    elif kind == "forward":
        forward = np.ones(steps, bool) if layer < at else (idx <= t) if layer == at else np.zeros(steps, bool)
    else:
        forward = np.ones(steps, bool)
    if kind == "backward":
        back = np.ones(steps, bool) if layer > at else (idx >= t) if layer == at else np.zeros(steps, bool)
    elif kind == "update":
        back = np.ones(steps, bool)
    else:
        back = np.zeros(steps, bool)
    return forward, back


def time_text(r: TraceResult, stage: TimeStage) -> str:
    """What a stage does, in a sentence or two; a recurrent layer's steps in their own words."""
    kind, layer, t = stage
    walk = r.trace.walk
    if kind in ("input", "loss", "update") or not timed(walk[layer]):
        if kind == "input":
            steps, f = walk[next(i for i, st in enumerate(walk) if timed(st))].inputs.shape
            return ngettext("The sequence enters: {steps} steps of {count} feature, read one step at a time by the "
                            "recurrent layer (the same weights at every step).",
                            "The sequence enters: {steps} steps of {count} features, read one step at a time by the "
                            "recurrent layer (the same weights at every step).", f).format(steps=steps, count=f)
        return stage_text(r, (kind, layer), with_edges=False)
    st = walk[layer]
    steps = st.inputs.shape[0]
    kind_info = LAYERS.get(st.kind)
    last = _("its output") if layer == len(walk) - 1 else walk[layer + 1].name
    if kind == "forward":
        words = kind_info.forward_words.replace("{act}", st.activation)
        said = (_("Forward, {layer}, step {step} of {steps}: {words}; h_{step} goes on to step {next}. The same W, U "
                  "and b serve every step. Click a gate's unit, then an x_t or h_{{t−1}} unit, for a weight's chain "
                  "rule.") if t + 1 < steps else
                _("Forward, {layer}, step {step} of {steps}: {words}; h_{steps} is what {reader} reads. The same W, U "
                  "and b serve every step. Click a gate's unit, then an x_t or h_{{t−1}} unit, for a weight's chain "
                  "rule."))  # fmt: skip
        return said.format(layer=st.name, step=t + 1, steps=steps, words=words, next=t + 2, reader=last)
    grad = st.states["grad_h"]
    norms = np.linalg.norm(grad, axis=1)
    sequences = st.a.ndim == 2
    if t == steps - 1:
        source = (_("∂L/∂h_{steps} comes from {reader} at this step") if sequences else
                  _("∂L/∂h_{steps} comes from {reader}")).format(steps=steps, reader=last)  # fmt: skip
    else:
        source = _("∂L/∂h_{step} = δ_{next}·Uᵀ, what step {next} sends back").format(step=t + 1, next=t + 2)
        if st.kind == "gru":
            source = _("{source} (plus z ⊙ its ∂L/∂h)").format(source=source)
        if sequences:
            source = _("{source}, plus {reader}'s share at this step").format(source=source, reader=last)
    size = f"‖∂L/∂h_{t + 1}‖ = {number(float(norms[t]), 3)}"
    if t < steps - 1 and norms[-1] > 0 and np.isfinite(norms[t]):
        size = _("{size}, {share} of step {steps}'s").format(
            size=size, share=share(float(norms[t]), float(norms[-1])), steps=steps)
    return _("Backward through time, {layer}, step {step} of {steps}: {source}; {size}. δ_{step} = ∂L/∂z_{step} "
             "from it through the step's derivatives; each weight's gradient adds this step's term (x_t ⊗ δ_t, "
             "h_{{t−1}} ⊗ δ_t, δ_t): Σ shows the bias's sum so far.").format(
        layer=st.name, step=t + 1, steps=steps, source=source, size=size)  # fmt: skip


def recurrent_where(r: TraceResult, layer: int, row: object, column: int) -> dict[str, str]:
    """A recurrent layer's weight in words for its chain rule: the gate column it feeds, and the
    input feature or previous state's unit it comes from."""
    st = r.trace.walk[layer]
    u = units(st)
    names = blocks(st)
    block = names[min(column // u, len(names) - 1)]
    gate = _("the state") if block == "h" else _("the {gate} gate").format(gate=block) if block not in (
        "cell", "candidate") else (_("the cell") if block == "cell" else _("the candidate"))  # fmt: skip
    unit = _("unit {number} of {gate} of {layer}").format(number=column % u + 1, gate=gate, layer=st.name)
    if isinstance(row, tuple):
        source = _("unit {number} of h_{{t−1}}").format(number=int(row[1]) + 1)
    elif isinstance(row, int):
        source = _("input {name}").format(name=feature_names(r, st.inputs.shape[1])[row])
    else:
        source = ""
    return {"unit": unit, "source": source, "upstream": ""}
