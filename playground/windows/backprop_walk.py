"""The backprop walk's model and words, without widgets: its stages, what each column of the
network shows at a stage (`StageNumbers`), and the text beside it: the stage's sentence, the
example's numbers, a weight's chain rule with its numerical gradient, a softmax's Jacobian.

Each layer's kind gives its words and its chain rule (`engine.core.layers.base.Layer`); the canvas
(backprop_canvas.py) draws the numbers and the window (backprop_window.py) shows the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.core.i18n import _
from engine.core.layers.base import LAYERS, LayerTrace
from engine.core.numbers import number
from engine.teaching.backprop import NUMERIC_STEP, backward_rule, numerical_gradient

from ..run.tracing import TraceResult

MAX_UNITS = 8  # units drawn (and numbers written) per layer; the rest are counted
Stage = tuple[str, int]  # (kind, layer): input, forward, loss, backward or update, layers from 0


def stages(n_layers: int) -> list[Stage]:
    """The walk: (kind, layer) with layers counted from 0; the input, each layer forward, the
    loss, each layer backward from the output, the update."""
    return ([("input", -1)] + [("forward", i) for i in range(n_layers)] + [("loss", n_layers - 1)]
            + [("backward", i) for i in range(n_layers - 1, -1, -1)] + [("update", -1)])  # fmt: skip


def short(v: float) -> str:
    """A number in a unit's box or a line of the walk: three significant digits."""
    return number(v, 3)


def dense_edges(step: LayerTrace) -> bool:
    """Whether a layer is drawn as weighted edges from the units before it (a dense layer)."""
    return step.grad_kernel is not None and step.grad_kernel.ndim == 2


@dataclass(frozen=True)
class StageNumbers:
    """What each column of the walk shows at one stage (column 0: the inputs, l + 1: layer l)."""

    result: TraceResult
    stage: Stage

    @property
    def walk(self) -> list[LayerTrace]:
        return self.result.trace.walk

    def inputs(self) -> np.ndarray:
        """The example as the first layer takes it: an image (H, W, C) or a row of features."""
        r = self.result
        features = r.trace.features
        return features.reshape(r.input_shape) if len(r.input_shape) == 3 else features

    def outputs(self) -> list[np.ndarray]:
        """Each column's output for the example (its shape says how it is drawn)."""
        return [self.inputs()] + [st.a for st in self.walk]

    def column(self, c: int) -> tuple[np.ndarray | None, str]:
        """A maps column's numbers at this stage and their name: its output forward, its δ (or
        the gradient reaching it) backward, the gradient the layer above sends down into it."""
        kind, at = self.stage
        if c == 0:
            return self.inputs(), "x"
        layer = c - 1
        st = self.walk[layer]
        if kind == "input" or (kind == "forward" and layer > at):
            return None, ""
        if kind == "backward" and layer >= at:
            return (st.delta, "δ") if st.delta is not None else (st.upstream, "∂L/∂a")
        if kind == "backward" and layer == at - 1:
            return st.upstream, _("∂L/∂a sent down")  # where pooling routed each window's gradient
        return st.a, "a"

    def lines(self, c: int, unit: int) -> list[str]:
        """The numbers a unit shows at this stage (column c: 0 inputs, l + 1 layer l)."""
        r = self.result
        kind, at = self.stage
        if c == 0:
            return [f"x{unit + 1}", short(r.trace.features[unit])]
        layer = c - 1
        lt = self.walk[layer]
        last = layer == len(self.walk) - 1
        if kind == "input" or (kind == "forward" and layer > at):
            return ["", ""]
        if kind == "backward" and layer >= at:
            if lt.delta is None:
                return [f"∂a {short(lt.upstream[unit])}", ""]
            bias = f"∂b {short(lt.grad_bias[unit])}" if lt.grad_bias is not None else ""  # an Activation layer has none
            return [f"δ {short(lt.delta[unit])}", bias]
        if kind == "update":
            if lt.weights is None:
                return ["", f"a {short(lt.a[unit])}"]
            return [f"Δb {short(r.preview.biases[lt.weights][unit])}", f"a {short(lt.a[unit])}"]
        if kind == "loss" and last:
            return [f"a {short(lt.a[unit])}", f"y {short(r.trace.target[unit])}"]
        if lt.z is None:
            return ["", f"a {short(lt.a[unit])}"]
        return [f"z {short(lt.z[unit])}", f"a {short(lt.a[unit])}"]

    def unit_value(self, c: int, unit: int) -> float | None:
        """What colours a unit: its activation forward, its δ (scaled) backward."""
        r = self.result
        kind, at = self.stage
        if c == 0:
            return float(r.trace.features[unit])
        lt = self.walk[c - 1]
        if kind == "backward" and c - 1 >= at:
            g = lt.delta if lt.delta is not None else lt.upstream
            top = float(np.max(np.abs(g))) or 1.0
            return float(g[unit]) / top
        if kind == "forward" and c - 1 > at:
            return None
        return float(lt.a[unit])

    def edge_weight(self, layer: int) -> np.ndarray | None:
        """What sets the edges' thickness: |w| forward, |∂L/∂w| backward, |Δw| at the update
        (None: drawn faint, not reached yet)."""
        r = self.result
        kind, at = self.stage
        st = self.walk[layer]
        if kind == "backward" and layer >= at:
            return st.grad_kernel
        if kind == "backward":
            return None
        if kind == "update":
            return r.preview.kernels[st.weights]
        if kind == "forward" and layer > at:
            return None
        return r.network.kernels[st.weights]


# ===================================================================== the words beside it
def inspection(r: TraceResult) -> str:
    """The example in one line: where it comes from, its inputs and features, each layer's
    output, the logits and what they become, the loss and the gradient's norm."""
    t = r.trace
    where = _("training row {row}").format(row=r.row) if r.row is not None else _("a typed point")
    named = (", ".join(f"{c} {number(v)}" for c, v in zip(r.columns, t.raw)) if len(r.columns) <= 8
             else _("{count} values").format(count=t.raw.size))  # fmt: skip
    features = ", ".join(short(v) for v in t.features[:64]) + (", …" if t.features.size > 64 else "")
    parts = [_("{where}: {values}; label {label}").format(where=where, values=named, label=number(t.label, 6)),
             _("features [{features}]").format(features=features)]  # fmt: skip
    for lt in t.walk[:-1]:
        if lt.a.ndim >= 2:  # an image layer's maps, or a recurrent layer's state at every step
            shape = "×".join(map(str, lt.a.shape))
            what = (_("{layer} a {shape} maps ({low} … {high})") if lt.a.ndim == 3 else
                    _("{layer} a {shape} states, one per step ({low} … {high})"))  # fmt: skip
            parts.append(what.format(layer=lt.name, shape=shape, low=short(lt.a.min()), high=short(lt.a.max())))
            continue
        more = ", …]" if lt.a.size > MAX_UNITS else "]"
        parts.append(f"{lt.name} a [" + ", ".join(short(v) for v in lt.a[:MAX_UNITS]) + more)
    out = t.walk[-1]
    kind = _("logits z [{logits}] → probabilities [{values}]") if r.classification else _(
        "logits z [{logits}] → outputs [{values}]")
    parts.append(kind.format(logits=", ".join(short(v) for v in out.z), values=", ".join(number(v) for v in out.a)))
    loss = _("loss {loss}, ‖∂L/∂θ‖ {norm}") if r.row is not None else _("loss {loss}, ‖∂L/∂θ‖ {norm} (for the label "
                                                                      "{label})")  # fmt: skip
    parts.append(loss.format(loss=number(t.loss), norm=number(r.grad_norm), label=number(t.label, 6)))
    return _("{parts} · weights of step {steps}").format(parts=" · ".join(parts), steps=f"{r.steps:,}")


def above(walk: list[LayerTrace], layer: int) -> str:
    """What layer `layer` receives from the one above it in the walk, in the chain rule's words."""
    if layer == len(walk) - 1:
        return _("∂L/∂a (from the loss)")
    up = _("the output layer") if layer + 2 == len(walk) else walk[layer + 1].name
    return (_("Σₖ w·δ (from {layer})") if dense_edges(walk[layer + 1]) else _("∂L/∂a (from {layer})")).format(layer=up)


def upstream_symbol(walk: list[LayerTrace], layer: int) -> str:
    """The formula of what layer `layer` receives from above (`above` without its words)."""
    return "Σₖ w·δ" if layer < len(walk) - 1 and dense_edges(walk[layer + 1]) else "∂L/∂a"


def map_layers(walk: list[LayerTrace]) -> set[int]:
    """The walk's layers whose output is image maps."""
    return {k for k, st in enumerate(walk) if st.a.ndim == 3}


def stage_text(r: TraceResult, stage: Stage, with_edges: bool = True) -> str:
    """What a stage does, in a sentence or two, and how the canvas shows it (its edges only when
    `with_edges`: the walk through time draws none)."""
    kind, layer = stage
    walk = r.trace.walk
    n = len(walk)
    st = walk[layer] if layer >= 0 else None
    name = _("the output layer") if layer == n - 1 else (st.name if st is not None else "")
    act = st.activation if st is not None else ""
    words = LAYERS.get(st.kind) if st is not None else None
    forward, backward = (words.forward_words.replace("{act}", act), words.backward_words) if words else ("", "")
    if st is not None and st.delta is not None:
        up = upstream_symbol(walk, layer).replace("Σₖ w·δ", "Σ w·δ_next")
        backward = f"{backward_rule(r.loss, act, layer == n - 1, up)}; {backward}"
    edges = st is not None and dense_edges(st)
    maps = map_layers(walk)
    below = _("Maps: the gradients; the maps below show what this layer sends down.") if layer - 1 in maps else (
        _("Maps: the gradients.") if layer in maps else "")  # fmt: skip
    if kind == "input":
        return _("The example's features enter the network (after feature maps and normalisation).")
    if kind == "forward":
        tail = (_("Edges: the weights (thickness |w|).") if with_edges else "") if edges else _(
            "Maps: each output, blue positive, orange negative.")
        return _("Forward, {layer}: {words}.").format(layer=name, words=forward) + (" " + tail if tail else "")
    if kind == "loss":
        return _("The loss for this example: L = {loss} (the output a against the target y).").format(
            loss=number(r.trace.loss))
    if kind == "backward":
        tail = (_("Edges: ∂L/∂w (thickness |∂L/∂w|, blue positive, orange negative).") if with_edges else "") if (
            edges) else below
        return _("Backward, {layer}: {words}.").format(layer=name, words=backward) + (" " + tail if tail else "")
    return update_words(r)


def update_words(r: TraceResult) -> str:
    """What the update stage shows, and how it differs from a training step."""
    penalty = {
        "l2": _("plus the L2 penalty's 2λw (λ {rate})"),
        "l1": _("with the L1 penalty (λ {rate}) as training applies it"),
    }.get(r.preview.penalty, "").format(rate=number(r.penalty_rate, 6))
    batch = (_("training averages the gradient over mini-batches of {size}").format(size=f"{r.batch_size:,}")
             if r.batch_size > 1 else _("as training does: its mini-batches hold one example"))  # fmt: skip
    said = (_("The step {optimizer} would take from its own state (step {step}, α {rate}) if its mini-batch were "
              "this one example: this example's gradient {penalty} ({batch}). Edges Δw, units Δb.") if penalty else
            _("The step {optimizer} would take from its own state (step {step}, α {rate}) if its mini-batch were "
              "this one example: this example's gradient ({batch}). Edges Δw, units Δb."))  # fmt: skip
    return said.format(optimizer=r.optimizer, step=f"{r.preview.step:,}", rate=number(r.preview.learning_rate, 6),
                       penalty=penalty, batch=batch)


def jacobian_lines(walk: list[LayerTrace], layer: int, column: int | None) -> str:
    """A softmax layer's Jacobian with its numbers, ∂L/∂a and δ = Jᵀ·∂L/∂a (column: the unit
    whose δ is being explained, marked)."""
    lt = walk[layer]
    last = layer == len(walk) - 1
    upstream = _("∂L/∂a (from the loss)") if last else _("Σₖ w·δ (from the layer above)")
    k = lt.a.size
    shown = range(min(k, MAX_UNITS))
    lines = [_("The softmax's Jacobian J = diag(s) − s sᵀ, J[k, j] = ∂s_k/∂z_j = s_k(1[k = j] − s_j), "
               "and δ = Jᵀ·{upstream}:").format(upstream="∂L/∂a" if last else "Σₖ w·δ")]  # fmt: skip
    lines.append("        " + "".join(f"{'z' + str(j + 1):>10}" + ("*" if j == column else " ") for j in shown))
    for i in shown:
        lines.append(f"  s{i + 1:<4}" + "".join(f"{number(lt.jacobian[i, j]):>10} " for j in shown))
    if k > MAX_UNITS:
        lines.append(_("  (the first {shown} of {count} units)").format(shown=MAX_UNITS, count=k))
    lines.append(f"  {upstream}: [" + ", ".join(number(v) for v in lt.upstream[:MAX_UNITS]) + "]")
    lines.append(_("  δ = Jᵀ·that: [{values}]").format(values=", ".join(number(v) for v in lt.delta[:MAX_UNITS])))
    return "\n".join(lines)


def chain_rule(r: TraceResult, layer: int, row: Any, column: int) -> str:
    """The chain rule for one weight of walk layer `layer` (row: an input index for a dense
    kernel, (i, j, c) for a convolution's; None: unit `column`'s bias, or for a convolution's
    map its filter's largest weight gradient and its bias), its numbers filled in, beside the
    numerical gradient (L(w+h) − L(w−h)) / 2h and their relative error, and the update the
    optimizer would make. A map of a layer without weights: what it does with the gradient
    (pooling's routing), in numbers."""
    t = r.trace
    lt = t.walk[layer]
    kind = LAYERS.get(lt.kind)
    if lt.weights is None:
        return "\n".join(kind.routing_words(lt, column) or [f"{lt.name}: {kind.backward_words}."])
    last = layer == len(t.walk) - 1
    maps = lt.grad_kernel.ndim == 4
    bias_words = ""
    if maps and row is None:  # a filter's map: its largest weight gradient, and its bias in a line
        row = tuple(int(v) for v in np.unravel_index(np.argmax(np.abs(lt.grad_kernel[..., column])),
                                                     lt.grad_kernel.shape[:-1]))  # fmt: skip
        oh, ow = lt.delta.shape[:2]
        bias_words = _("  its bias: ∂L/∂b = Σ δ over the {positions} positions = {gradient} (its largest weight "
                       "gradient of {count} shown)").format(positions=oh * ow, gradient=number(lt.grad_bias[column], 6),
                                                            count=lt.grad_kernel[..., column].size)  # fmt: skip
    where = {
        "unit": (_("filter {number} of {layer}") if maps else _("unit {number} of {layer}")).format(
            number=column + 1, layer=_("the output layer") if last else lt.name),
        "source": f"x{row + 1}" if layer == 0 and isinstance(row, int) else (
            _("unit {number} of {layer}").format(number=row + 1, layer=t.walk[layer - 1].name)
            if isinstance(row, int) else ""),
        "upstream": above(t.walk, layer),
    }  # fmt: skip
    if lt.states is not None:  # a recurrent layer: its gate columns, its inputs' features, its previous state
        from .backprop_time import recurrent_where

        where = recurrent_where(r, layer, row, column) | {"upstream": where["upstream"]}
    d = r.network.layers[lt.index].explain(lt, row, column, where)
    numeric = numerical_gradient(r.network, r.loss, t.features, t.label, lt.weights, row, column, NUMERIC_STEP)
    rel = abs(d.analytic - numeric) / max(abs(d.analytic), abs(numeric), 1e-12)
    lines = [f"{d.head}:", f"  = {d.formula}", f"  = {d.numbers}", *d.details]
    lines.append(_("  numerical (L(w+h) − L(w−h)) / 2h, h = {h}: {value}   relative error {error}").format(
        h=number(NUMERIC_STEP, 6), value=number(numeric, 6), error=number(rel, 2)))
    k = lt.weights
    named = isinstance(row, tuple) and bool(row) and isinstance(row[0], str)  # (array name, row): a recurrent kernel
    index = (column,) if row is None else ((*row, column) if isinstance(row, tuple) else (row, column))
    if named:
        delta = (r.preview.arrays or [])[lt.index][row[0]][int(row[1]), column]
        state = ""
    else:  # a bias read flat: a GRU's two rows as one, the input's first (as the numerical gradient reads it)
        delta = r.preview.biases[k].reshape(-1)[column] if row is None else r.preview.kernels[k][index]
        state = ", ".join(f"{name} {number(b[k].reshape(-1)[column] if row is None else kk[k][index])}"
                          for name, (kk, b) in r.preview.state.items())  # fmt: skip
    after = _("  ({state} after it)").format(state=state) if state else ""
    update = (_("  update by {optimizer} (α {rate}, a mini-batch of this example): Δ = {delta}{after}")
              if r.preview.penalty == "none" or row is None else
              _("  update by {optimizer} (α {rate}, a mini-batch of this example with the penalty): Δ = "
                "{delta}{after}"))  # fmt: skip
    lines.append(update.format(optimizer=r.optimizer, rate=number(r.preview.learning_rate, 6),
                               delta=number(delta, 6), after=after))
    if bias_words:
        lines.append(bias_words)
    if lt.jacobian is not None:
        lines.append(jacobian_lines(t.walk, layer, column))
    return "\n".join(lines)
