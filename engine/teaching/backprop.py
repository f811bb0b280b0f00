"""Backpropagation for one example, every number kept: what the app's backprop walk shows and
`nn-playground backprop` prints, for every model: each layer's kind works out its own step
(`Layer.trace`), from its formula, apart from the batched `backward` (which a test checks it
against, with central differences beside both).

For a dense layer l with input a⁽ˡ⁻¹⁾, z⁽ˡ⁾ = a⁽ˡ⁻¹⁾W⁽ˡ⁾ + b⁽ˡ⁾ and a⁽ˡ⁾ = f(z⁽ˡ⁾). Going back from
the loss L of this one example (inference pass, no dropout, no penalty):

    δ⁽ᴸ⁾ = f′(z⁽ᴸ⁾) ⊙ ∂L/∂a⁽ᴸ⁾            at the output, ∂L/∂a from the loss (a − y for sigmoid or
                                          softmax with its cross-entropy)
    ∂L/∂a⁽ˡ⁾ = W⁽ˡ⁺¹⁾ δ⁽ˡ⁺¹⁾               (the upstream gradient: Σ_k w_jk δ_k)
    δ⁽ˡ⁾ = f′(z⁽ˡ⁾) ⊙ ∂L/∂a⁽ˡ⁾            (local times upstream)
    ∂L/∂W⁽ˡ⁾ = a⁽ˡ⁻¹⁾ᵀ δ⁽ˡ⁾,   ∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾

A softmax mixes its units, so its local gradient is the Jacobian J = diag(s) − s sᵀ
(J_kj = ∂s_k/∂z_j) and δ = Jᵀ·∂L/∂a instead of an elementwise product. A convolution's weight
serves every position, so its gradient is the sum over them, Σ_{p,q} x[p·s+i, q·s+j, c]·δ[p,q,f];
max pooling routes each window's gradient to the position that held its maximum.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.activations import get_activation
from ..core.errors import PlaygroundError
from ..core.i18n import _, ngettext
from ..core.layers.base import LAYERS, LayerTrace
from ..core.losses import Loss
from ..core.model import Model
from ..core.numbers import number
from ..core.optimizers import Optimizer
from ..core.regularizers import Regularizer
from ..run.build import PreparedData

NUMERIC_STEP = 1e-4  # h of the on-screen numerical gradient (J(w+h) − J(w−h)) / 2h


@dataclass(frozen=True)
class Trace:
    """One example's forward and backward pass through a model, every layer's numbers kept."""

    raw: np.ndarray  # the inputs as the user gave them
    features: np.ndarray  # the network's inputs: feature maps, then normalisation
    label: float  # the class index or target value
    target: np.ndarray  # the label shaped like the output (one-hot, or the value)
    loss: float
    steps: list[LayerTrace]  # every layer of the stack, the first one first

    @property
    def layers(self) -> list[LayerTrace]:
        """The layers with a kernel (what the JSON lists; the model's `kernels` run parallel to it)."""
        return [s for s in self.steps if s.grad_kernel is not None]

    @property
    def walk(self) -> list[LayerTrace]:
        """The layers the walk draws: all but those that pass values unchanged at inference."""
        return [s for s in self.steps if LAYERS.get(s.kind).drawn]

    def to_json(self) -> dict[str, Any]:
        """The CLI's contract: input, features, loss and per layer z, a, delta and the gradients."""
        return {
            "input": self.raw.tolist(),
            "features": self.features.tolist(),
            "loss": self.loss,
            "layers": [
                {"z": t.z.tolist(), "a": t.a.tolist(), "delta": t.delta.tolist(),
                 "grad_kernel": t.grad_kernel.tolist(), "grad_bias": t.grad_bias.tolist()}
                for t in self.layers
            ],
        }  # fmt: skip


    def table(self, columns: list[str]) -> str:
        """The trace as a readable table, one block per layer (the CLI without --json)."""

        def vec(v: np.ndarray) -> str:
            return "[" + ", ".join(number(x, 6) for x in np.ravel(v)) + "]"

        named = ", ".join(f"{c}={number(v, 6)}" for c, v in zip(columns, self.raw))
        lines = [
            _("input    {inputs}").format(inputs=named if len(columns) <= 8 else vec(self.raw)),
            _("features {features}").format(features=vec(self.features)),
            _("label    {label}    loss {loss}").format(label=number(self.label, 6), loss=number(self.loss, 6)),
        ]
        for st in self.walk:
            lines += ["", *_block(st, vec)]
        return "\n".join(lines)


def _block(st: LayerTrace, vec: Any) -> list[str]:
    """One layer's lines of the table: a dense layer's every number; a convolution's per filter
    (its gradient the sum over positions); pooling's routing; a flatten's shapes; a kind's own
    (`Layer.table_lines`, a recurrent layer's steps) where it writes them."""
    own = LAYERS.get(st.kind).table_lines(st, vec)
    if own:
        return own
    act = st.activation
    if st.grad_kernel is not None and st.grad_kernel.ndim == 2:
        return [
            ngettext("{name} ({act}, {count} unit)", "{name} ({act}, {count} units)", st.z.size).format(
                name=st.name, act=act, count=st.z.size),
            f"  z = a_prev·W + b     {vec(st.z)}",
            f"  a = {act}(z)".ljust(23) + vec(st.a),
            *([f"  dL/da                {vec(st.upstream)}",
               _("  J = diag(a) − a aᵀ (the softmax's Jacobian, J[k, j] = da_k/dz_j; delta = Jᵀ·dL/da)"),
               *(f"    {vec(row)}" for row in st.jacobian)] if st.jacobian is not None else []),
            f"  delta = dL/dz        {vec(st.delta)}",
            f"  dL/db = delta        {vec(st.grad_bias)}",
            _("  dL/dW = a_prevᵀ·delta (rows: inputs, columns: units)"),
            *(f"    {vec(row)}" for row in st.grad_kernel),
        ]  # fmt: skip
    shape = "×".join(map(str, st.a.shape))
    if st.grad_kernel is not None:
        k, __, c, f = st.grad_kernel.shape
        oh, ow = st.delta.shape[:2]
        lines = [f"{st.name} (conv {f}@{k}×{k}, {act}): {'×'.join(map(str, st.inputs.shape))} → {shape}",
                 _("  delta = f′(z) ⊙ dL/da at each of the {positions} positions, per filter")
                 .format(positions=oh * ow),
                 _("  dL/db = Σ delta over the positions  {values}").format(values=vec(st.grad_bias)),
                 _("  dL/dW[i, j, c, f] = Σ over the {positions} positions of x[p·s + i, q·s + j, c]·delta[p, q, f]:")
                 .format(positions=oh * ow)]
        for filt in range(f):
            for ch in range(c):
                lines.append(_("    filter {filter}, input map {map}: {rows}").format(
                    filter=filt + 1, map=ch + 1, rows="; ".join(vec(row) for row in st.grad_kernel[:, :, ch, filt])))
        return lines  # fmt: skip
    kind = LAYERS.get(st.kind)
    words = _(kind.backward_words).replace("∂", "d")
    return [_("{name} ({kind}): {inputs} → {shape}; backward: {words}").format(
                name=st.name, kind=st.kind, inputs="×".join(map(str, st.inputs.shape)), shape=shape, words=words),
            *(f"  {line.strip()}" for line in kind.routing_words(st, 0)[1:])]  # fmt: skip


def example(data: PreparedData, raw: Any, label: Any, n_outputs: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(raw inputs, network inputs, label) for one example typed by the user, checked: as many
    inputs as the data has columns, a class index among the classes or a finite target."""
    ds = data.dataset
    try:
        raw = np.asarray(raw, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise PlaygroundError(_("an input is a list of numbers, got {raw!r}").format(raw=raw)) from None
    n = len(ds.columns)
    if raw.size != n:
        names = ", ".join(ds.columns[:6]) + (", …" if n > 6 else "")
        raise PlaygroundError(ngettext("this data has {n} input ({names}); got {size}",
                                       "this data has {n} inputs ({names}); got {size}", n).format(
                                  n=n, names=names, size=raw.size))
    if not np.all(np.isfinite(raw)):
        raise PlaygroundError(_("every input must be a finite number"))
    if isinstance(label, bool) or not isinstance(label, (int, float, np.integer, np.floating)):
        raise PlaygroundError(_("a label is a number, got {label!r}").format(label=label))
    if not math.isfinite(float(label)):
        raise PlaygroundError(_("a label must be finite, got {label!r}").format(label=label))
    if ds.problem == "classification":
        if float(label) != int(label) or not 0 <= int(label) < ds.classes:
            raise PlaygroundError(_("the label is a class from 0 to {classes}, got {label!r}").format(
                                      classes=ds.classes - 1, label=label))
        label = int(label)
    elif n_outputs != 1:
        raise PlaygroundError(_("a target of {n_outputs} values cannot be typed as one label").format(
                                  n_outputs=n_outputs))
    features = data.transform(raw[None, :])[0]
    return raw, features, float(label)


def softmax_jacobian(s: np.ndarray) -> np.ndarray:
    """J = diag(s) − s sᵀ for one softmax output s: J[k, j] = ∂s_k/∂z_j = s_k(1[k = j] − s_j)."""
    return np.diag(s) - np.outer(s, s)


def backward_rule(loss: Loss, activation: str, output: bool, above: str = "Σ w·δ_next") -> str:
    """How δ = ∂L/∂z is found at a layer, in words for the walk: at the output from the loss
    (a − y where the cross-entropy fuses with its sigmoid or softmax), elsewhere from the layer
    above (`above`: what it sends, Σ w·δ_next from a dense layer)."""
    upstream = "∂L/∂a" if output else above
    if output and activation in (loss.output_activations or ()) and loss.name.endswith("crossentropy"):
        return _("δ = ∂L/∂z = a − y ({activation} with its cross-entropy: f′(z) ⊙ ∂L/∂a reduces to it)").format(
            activation=activation)
    act = get_activation(activation)
    if not act.elementwise:
        if output:
            return _("δ = ∂L/∂z = Jᵀ·{upstream}, the {name} Jacobian {jacobian} (not a − y: that needs the "
                     "cross-entropy)").format(upstream=upstream, name=act.name, jacobian=act.jacobian_words)
        return _("δ = ∂L/∂z = Jᵀ·{upstream}, the {name} Jacobian {jacobian}").format(
            upstream=upstream, name=act.name, jacobian=act.jacobian_words)
    return f"δ = ∂L/∂z = f′(z) ⊙ {upstream}"


def trace(network: Model, loss: Loss, raw: np.ndarray, features: np.ndarray, label: float) -> Trace:
    """Forward and backward through `network` for one example, keeping every intermediate."""
    with np.errstate(all="ignore"):
        value, target, steps = network.trace_example(features, np.array([label]), loss)
    x = np.asarray(features, dtype=network.dtype).reshape(-1)
    return Trace(np.asarray(raw, float).copy(), x.copy(), float(label), target, value, steps)


def example_loss(network: Model, loss: Loss, features: np.ndarray, label: float) -> float:
    """The loss of one example in inference mode (what the numerical gradient differentiates)."""
    return network.objective(np.asarray(features, dtype=network.dtype).reshape(1, -1), np.array([label]), loss)


def numerical_gradient(
    network: Model, loss: Loss, features: np.ndarray, label: float, layer: int, row: Any, column: int,
    h: float = NUMERIC_STEP,
) -> float:  # fmt: skip
    """(L(w + h) − L(w − h)) / 2h for one weight of layers.{layer}: `row` None for the bias of
    unit (or filter) `column` (a GRU's two bias rows counted as one, the input's first), an input
    index for a dense kernel, (i, j, c) for a convolution's, (name, i) for row i of the layer's
    array `name` (a recurrent kernel); the weight is put back."""
    if isinstance(row, tuple) and row and isinstance(row[0], str):
        target = network.layer_views(network.params)[network.weighted[layer]][row[0]]
        row = int(row[1])
    else:
        target = network.biases[layer].reshape(-1) if row is None else network.kernels[layer]
    index = (column,) if row is None else ((*row, column) if isinstance(row, tuple) else (row, column))
    saved = float(target[index])
    try:
        target[index] = saved + h
        up = example_loss(network, loss, features, label)
        target[index] = saved - h
        down = example_loss(network, loss, features, label)
    finally:
        target[index] = saved
    return (up - down) / (2 * h)


@dataclass(frozen=True)
class UpdatePreview:
    """What one training step would do, from the run's own state, if its mini-batch were this
    one example: the optimizer on this example's gradient plus the penalty's, then L1's own rule."""

    learning_rate: float
    kernels: list[np.ndarray]  # Δw per layer
    biases: list[np.ndarray]  # Δb per layer
    #: The optimizer's buffers after that step ("momentum", "m", "v", ...) as (kernels, biases).
    state: dict[str, tuple[list[np.ndarray], list[np.ndarray]]]
    step: int  # the update's number t
    penalty: str = "none"  # the penalty stepped with it: "none", "l1" or "l2"
    #: Per stack layer, the Δ of each of its arrays by name (a recurrent kernel's too).
    arrays: list[dict[str, np.ndarray]] | None = None


def update_preview(network: Model, optimizer: Optimizer, tr: Trace, learning_rate: float,
                   regularizer: Regularizer | None = None,
                   dead: np.ndarray | None = None) -> UpdatePreview:  # fmt: skip
    """Step copies of `optimizer` (its moments and step count included) and of the weights as
    training steps (`Trainer.train_batch`), on a mini-batch of `tr`'s example alone: its gradient,
    the penalty's added where the rule puts it, L1's own step after (`dead`: the links TFP's L1
    rule has killed). The network and the optimizer are not changed."""
    opt = copy.deepcopy(optimizer)
    grads = np.zeros_like(network.params)
    views = network.layer_views(grads)
    for st in tr.steps:  # every trainable array's gradient, by its layer's place and name
        for name, g in st.gradients().items():
            views[st.index][name][...] = g
    params = network.params.copy()
    nk, nt = network.n_kernel, network.n_trainable
    with np.errstate(all="ignore"):
        if regularizer is not None:
            regularizer.add_gradient(params[:nk], grads[:nk])
            regularizer.before_step(grads[:nk], dead)
        opt.step(params[:nt], grads[:nt], nk, learning_rate)  # the trainable part, as training steps it
        if regularizer is not None:
            regularizer.after_step(network.params[:nk], params[:nk], learning_rate, dead)  # a new mask if any die
    change = params - network.params
    dk, db = network.views(change)
    state = {name: network.views(buf.copy()) for name, buf in opt.moments().items() if buf.shape == (nt,)}
    penalty = regularizer.kind if regularizer is not None and regularizer.active else "none"
    return UpdatePreview(learning_rate, [k.copy() for k in dk], [b.copy() for b in db], state, opt.t, penalty,
                         network.layer_views(change))  # fmt: skip
