"""What the recurrent kinds (SimpleRNN, LSTM, GRU: engine.core.layers.simple_rnn, engine.core.layers.lstm,
engine.core.layers.gru) share: Keras's keys, weights and shapes, backpropagation through time around
each kind's own step, the walk's step for one example, and the export forms.

A recurrent layer reads a sequence x (N, T, F) one step at a time, carrying a hidden state h
(N, U) from step to step (h₀ = 0); it gives the last state h_T (N, U), or every state (N, T, U)
with `return_sequences`. Its weights are Keras's, in Keras's layout: `kernel` (F, k·U) on the
input, `recurrent_kernel` (U, k·U) on the previous state, `bias` (k·U,), k gate blocks side by
side in Keras's order (1 for SimpleRNN; i, f, c, o for LSTM; z, r, h for GRU, whose bias is
(2, 3U): the input's and the recurrent's, Keras's reset_after=True). Initial values as Keras's:
the kernel from the model's initializer, the recurrent kernel orthogonal, the bias constant (an
LSTM's forget block 1, unit_forget_bias).

Computation runs time-major inside (each step's slice contiguous): the input's share of every
step, x_t·W + b, is one matrix product before the loop; the loop over t does what only a step can
(h_{t−1}·U and the gates), vectorised over the batch. Backward runs the loop the other way,
collecting δ_t = ∂L/∂z_t of every step, then the weights' gradients are again one product each,
summed over the steps they served:

    ∂L/∂W = Σ_t x_tᵀ·δx_t,   ∂L/∂U = Σ_t h_{t−1}ᵀ·δh_t,   ∂L/∂b = Σ_t Σ_rows δ_t,   ∂L/∂x_t = δx_t·Wᵀ

(δx and δh are the same δ except in a GRU, whose candidate gate sees r ⊙ (h·U_h + b_h)).

After a forward pass a layer keeps `h` (N, T, U), its `gates` by name (N, T, U) each (and an
LSTM its cell state `c`); after backward `grad_h` (N, T, U), the whole ∂L/∂h_t reaching each
step (from the output and from the steps after), and `grad_h_norms()`: what a view of hidden
states, gates and the gradient through time draws.

A sequence goes in as the data's rows, t0_f0, t0_f1, …, t1_f0, … (the model lays them out as
(N, T, F) for the first layer); the exported graphs and scripts take the same rows, and the first
recurrent layer's export lays them out (ONNX Reshape and Transpose, torch's Unflatten, Keras's
Reshape).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..activations import Activation, get_activation
from ..errors import PlaygroundError
from ..i18n import N_, _
from ..numbers import number
from .base import MAX_UNITS, CodeContext, Derivation, Key, Layer, LayerTrace, OnnxGraph, Shape, whole

UNITS = Key("units", "integer", N_("neurons"), required=True, lo=1, hi=MAX_UNITS,
            help=N_("Units: the size of the hidden state h carried from step to step"),
            shown=N_("{} units"))  # fmt: skip
ACTIVATION = Key("activation", "activation", N_("activation"), default="tanh",
                 help=N_("f, for the new state (and an LSTM's cell output); Keras's default tanh"))  # fmt: skip
RECURRENT_ACTIVATION = Key("recurrent_activation", "activation", N_("gate activation"), default="sigmoid",
                           help=N_("σ, for the gates (each a fraction in [0, 1] with sigmoid, Keras's "
                                "default)"))  # fmt: skip
RETURN_SEQUENCES = Key("return_sequences", "boolean", N_("return sequences"), default=False,
                       help=N_("On: the state at every step (N, T, units), for another recurrent layer after it; "
                            "off: the last step's state only (N, units), for the dense layers"),
                       shown=N_("sequences {}"))  # fmt: skip

#: The gated kinds' keys, and a new LSTM's or GRU's settings (Keras's defaults, 16 units).
GATED_KEYS = (UNITS, ACTIVATION, RECURRENT_ACTIVATION, RETURN_SEQUENCES)
GATED_NEW: dict[str, Any] = {"units": 16, "activation": "tanh", "recurrent_activation": "sigmoid",
                             "return_sequences": False}  # fmt: skip
#: What each activation is inside ONNX's RNN, LSTM and GRU operators (attributes from params()).
ONNX_RECURRENT = {"linear": "Affine", "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu",
                  "leaky_relu": "LeakyRelu", "elu": "Elu", "softplus": "Softplus"}  # fmt: skip


def orthogonal(shape: Shape, rng: np.random.Generator, gain: float = 1.0) -> np.ndarray:
    """Keras's Orthogonal: a normal (max(r, c), min(r, c)) matrix's Q from QR, columns signed by
    R's diagonal, transposed when rows r = Π shape[:-1] < columns c = shape[-1]."""
    rows, cols = math.prod(shape[:-1]), shape[-1]
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q.reshape(shape)


def sigmoid_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """σ(z) written into `out` by whichever is faster for its type: (1 + tanh(z/2)) / 2 in float32
    (NumPy's float32 tanh is vectorised), 1 / (1 + e^(−z)) in float64 (its exp costs half its
    tanh), −z capped at 500 so e^(−z) never overflows (σ is then off by less than 1e-217)."""
    if out.dtype == np.float32:
        np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out
    np.negative(z, out=out)
    np.minimum(out, 500.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def activate(act: Activation, z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """f(z) into `out` (sigmoid and tanh in place, any other activation through its own forward)."""
    if act.name == "sigmoid":
        return sigmoid_into(z, out)
    if act.name == "tanh":
        return np.tanh(z, out=out)
    out[...] = act.forward(z)
    return out


def gate_word(name: str) -> str:
    """A gate's name ("forget") in the user's words ("forget gate"), from the kind that names it."""
    for kind in Recurrent.__subclasses__():
        if name in kind.gate_names:
            return _(kind.gate_words[kind.gate_names.index(name)])
    return name


def block_order(values: np.ndarray, order: list[int], axis: int = 0) -> np.ndarray:
    """`values`'s gate blocks along `axis` in another order (block j of the result is block order[j])."""
    parts = np.split(values, len(order), axis=axis)
    return np.concatenate([parts[j] for j in order], axis=axis)


class Recurrent(Layer):
    """Base of the recurrent kinds (see the module's docstring). A kind sets its gate count k, its
    gates' names, the forms its exports need, and writes `_forward_steps`, `_backward_steps` and
    `_trace_steps`, the maths of its step."""

    takes = "sequence"
    gives = "flat"  # with return_sequences, "sequence" (`gives_for`)
    memory_fix = N_("fewer units or shorter sequences")
    regularized = ("kernel", "recurrent_kernel")
    #: Gate blocks side by side in the kernels (1, 4 or 3) and their names in Keras's order.
    blocks: ClassVar[int] = 1
    gate_names: ClassVar[tuple[str, ...]] = ()
    gate_words: ClassVar[tuple[str, ...]] = ()  # each gate in a learner's words, as gate_names orders them
    #: Its ONNX operator, the kernels' gate blocks in ONNX's order (block j is Keras's order[j]).
    onnx_op: ClassVar[str] = ""
    onnx_order: ClassVar[list[int]] = [0]
    #: torch.nn's module, its gate blocks in torch's order, and the activations it hard-wires
    #: (activation, recurrent_activation); None: any of `torch_nonlinearity`'s.
    torch_module: ClassVar[str] = ""
    torch_order: ClassVar[list[int]] = [0]

    units: int
    activation: Any
    return_sequences: bool
    recurrent_activation: Any = "sigmoid"

    def _settle(self) -> None:
        """Checks every kind's __post_init__ runs: whole units, known elementwise activations."""
        whole(self.units, "units")
        if not isinstance(self.return_sequences, bool):
            raise PlaygroundError(_("return_sequences must be true or false, got {return_sequences!r}").format(
                                      return_sequences=self.return_sequences))
        self.act = get_activation(self.activation)
        self.rec_act = get_activation(self.recurrent_activation)
        for key, act in (("activation", self.act), ("recurrent_activation", self.rec_act)):
            if not act.elementwise:
                raise PlaygroundError(_("{key} {name} mixes the units; a recurrent layer's activations act on each "
                                        "unit alone (tanh, sigmoid, relu, ...)").format(
                                          key=key, name=act.name))  # fmt: skip

    # ----------------------------------------------------------------- from a project entry
    @classmethod
    def gives_for(cls, entry: dict[str, Any]) -> str:
        return "sequence" if entry.get("return_sequences", False) else "flat"

    @classmethod
    def label(cls, entry: dict[str, Any]) -> str:
        return f"{cls.name.replace('simple_', '')} {entry['units']}" + (" seq" if entry.get("return_sequences") else "")

    @classmethod
    def neurons(cls, entry: dict[str, Any]) -> int:
        return int(entry["units"])

    def summary_name(self, prefix: str) -> str:
        if self.return_sequences:
            return _("{prefix} ({kind}, {activation}, sequences)").format(
                prefix=prefix, kind=self.keras, activation=self.act.name)  # type: ignore[union-attr]
        return f"{prefix} ({self.keras}, {self.act.name})"  # type: ignore[union-attr]

    # ----------------------------------------------------------------- shapes
    def _needs_sequence(self, inp: Shape) -> None:
        if len(inp) != 2:
            raise PlaygroundError(_("a {name} layer takes sequences (steps, features), got {inp}").format(
                                      name=self.name, inp=inp))

    def param_shapes(self, inp: Shape) -> dict[str, Shape]:
        self._needs_sequence(inp)
        k, u = self.blocks, self.units
        return {"kernel": (inp[1], k * u), "recurrent_kernel": (u, k * u), "bias": self._bias_shape()}

    def _bias_shape(self) -> Shape:
        return (self.blocks * self.units,)

    def output_shape(self, inp: Shape) -> Shape:
        self._needs_sequence(inp)
        return (inp[0], self.units) if self.return_sequences else (self.units,)

    def initial(self, name: str, shape: Shape, rng: np.random.Generator, kernel_init: Any,
                bias_init: float) -> np.ndarray:  # fmt: skip
        """Keras's: the kernel from the model's initializer, the recurrent kernel orthogonal, the
        bias the constant `bias_init`."""
        if name == "recurrent_kernel":
            return orthogonal(shape, rng)
        if name == "kernel":
            return kernel_init(shape, rng)
        return np.full(shape, bias_init)

    def macs(self, inp: Shape, out: Shape) -> int:
        return inp[0] * self.blocks * self.units * (inp[1] + self.units)

    def _kept(self) -> int:
        """Values per step and unit a forward pass keeps for backward (pre-activations, gates, states)."""
        return 2 * self.blocks + 1

    def step_values(self, inp: Shape, out: Shape, first: bool, item: int) -> tuple[float, float]:
        """Kept per example: every step's pre-activations, gates and states; backward's temporaries:
        δ of every step (twice for a GRU), ∂L/∂h_t and ∂L/∂x."""
        t, f, ku = inp[0], inp[1], self.blocks * self.units
        return t * (self._kept() * self.units + f), t * (2 * ku + self.units + (0 if first else f))

    def inference_values(self, inp: Shape, out: Shape) -> int:
        return inp[0] * self._kept() * self.units

    def memory_words(self, inp: Shape, out: Shape, layer: str) -> str:
        return _("{layer}, which keeps {values:,} values at each of its {steps:,} steps for backward").format(
            layer=layer, values=self._kept() * self.units, steps=inp[0])

    # ----------------------------------------------------------------- maths
    def bind(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.kernel, self.recurrent_kernel, self.bias = params["kernel"], params["recurrent_kernel"], params["bias"]
        self.kernel_grad, self.recurrent_grad, self.bias_grad = (grads["kernel"], grads["recurrent_kernel"],
                                                                 grads["bias"])  # fmt: skip

    def _input_bias(self) -> np.ndarray:
        return self.bias

    def _ordered(self, w: np.ndarray) -> np.ndarray:
        """`w`'s gate columns (its last axis) in the steps' order."""
        cols = self._columns()
        return w if cols is None else w[..., cols]

    def _columns(self) -> np.ndarray | None:
        """The kernels' columns in the order the steps compute them (None: Keras's own). An LSTM
        puts its three σ gates side by side, so that one call computes them all."""
        return None

    def forward(self, x: np.ndarray, training: bool = False, rng: np.random.Generator | None = None) -> np.ndarray:
        """x (N, T, F) → h_T (N, U), or every h_t (N, T, U) with return_sequences."""
        n, steps, f = x.shape
        xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(steps * n, f)  # time-major
        self._w, self._u = self._ordered(self.kernel), self._ordered(self.recurrent_kernel)
        xw = np.dot(xt, self._w).reshape(steps, n, -1)
        xw += self._ordered(self._input_bias())
        self.x, self._xt = x, xt
        h = self._forward_steps(xw)  # (T, N, U)
        self._h = h
        self.h = h.transpose(1, 0, 2)
        self.a = self.h if self.return_sequences else h[-1]
        return self.a

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """BPTT: the kind's steps backwards give δ of every step; then one product per weight."""
        steps, n, u = self._h.shape
        upstream = grad.transpose(1, 0, 2) if self.return_sequences else grad
        dzx, dzr = self._backward_steps(upstream)
        ku = dzx.shape[2]
        flat_x, flat_r = dzx.reshape(steps * n, ku), dzr.reshape(steps * n, ku)
        cols = self._columns()
        if cols is None:
            np.dot(self._xt.T, flat_x, out=self.kernel_grad)
        else:
            self.kernel_grad[:, cols] = np.dot(self._xt.T, flat_x)
        if steps > 1:
            rec = np.dot(self._h[:-1].reshape((steps - 1) * n, u).T, flat_r[n:], out=(
                self.recurrent_grad if cols is None else None))  # fmt: skip
            if cols is not None:
                self.recurrent_grad[:, cols] = rec
        else:
            self.recurrent_grad[...] = 0.0  # h₀ = 0: the recurrent kernel served no step
        self._bias_grads(flat_x, flat_r)
        if not input_grad:
            return None
        return np.dot(flat_x, self._w.T).reshape(steps, n, -1).transpose(1, 0, 2)

    def _bias_grads(self, flat_x: np.ndarray, flat_r: np.ndarray) -> None:
        cols = self._columns()
        if cols is None:
            flat_x.sum(axis=0, out=self.bias_grad)
        else:
            self.bias_grad[cols] = flat_x.sum(axis=0)

    def _keep_grad_h(self, dh_all: np.ndarray) -> None:
        self.grad_h = dh_all.transpose(1, 0, 2)

    def grad_h_norms(self) -> np.ndarray:
        """‖∂L/∂h_t‖ per example and step (N, T), from the last backward pass: how much of the
        loss's gradient reaches each step (the gradient through time, vanishing or not)."""
        return np.linalg.norm(self.grad_h, axis=2)

    def _forward_steps(self, xw: np.ndarray) -> np.ndarray:
        """Every step's state (T, N, U) from xw = x_t·W + b (T, N, k·U); keeps what backward needs."""
        raise NotImplementedError

    def _backward_steps(self, upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(δx, δh) of every step (T, N, k·U) from the output's gradient (T, N, U), or (N, U) of the
        last step; keeps grad_h."""
        raise NotImplementedError

    # ----------------------------------------------------------------- the walk
    def trace(self, upstream: np.ndarray, index: int, weights: int | None,
              delta: np.ndarray | None = None) -> LayerTrace:  # fmt: skip
        """BPTT for the example of the last forward pass, step by step in vectors, apart from
        `backward`: δ_t = ∂L/∂z_t at every step (the kind's `_trace_steps`), then each weight's
        gradient the sum over the steps it served, Σ_t x_t ⊗ δx_t, Σ_t h_{t−1} ⊗ δh_t, Σ_t δ_t."""
        x = self.x[0]
        steps = x.shape[0]
        h = self._h[:, 0]
        ups = [upstream[t] if self.return_sequences else (upstream if t == steps - 1 else np.zeros_like(h[0]))
               for t in range(steps)]  # fmt: skip
        z, dx_steps, dh_steps = self._trace_steps(ups)
        grad_kernel = sum(np.outer(x[t], dx_steps[t]) for t in range(steps))
        grad_rec = sum(np.outer(h[t - 1], dh_steps[t]) for t in range(1, steps))
        if steps == 1:
            grad_rec = np.zeros_like(self.recurrent_kernel)
        grad_bias = self._trace_bias(dx_steps, dh_steps)
        grad_input = np.array([self.kernel @ dx_steps[t] for t in range(steps)])
        out = self.h[0] if self.return_sequences else h[-1]
        grad_h = np.zeros_like(h)
        carried = np.zeros_like(h[0])
        for t in range(steps - 1, -1, -1):  # ∂L/∂h_t: the output's share plus what step t + 1 sends back
            grad_h[t] = ups[t] + carried
            carried = self.recurrent_kernel @ dh_steps[t] + self._carried(grad_h[t], t)
        states = {"h": h.copy(), **{name: g[0].copy() for name, g in self.gates.items()}, "grad_h": grad_h}
        if getattr(self, "c", None) is not None:
            states["c"] = self.c[0].copy()
        return LayerTrace(
            self.name, index, x.copy(), out.copy(), np.asarray(upstream).copy(), grad_input, z, None,
            np.array(dx_steps), np.asarray(grad_kernel), grad_bias, weights=weights,
            activation=self.act.name, param_grads={"recurrent_kernel": np.asarray(grad_rec)},  # type: ignore[union-attr]
            states=states,
        )  # fmt: skip

    def _carried(self, grad_h: np.ndarray, t: int) -> np.ndarray | float:
        """What ∂L/∂h_t sends to h_{t−1} other than through the recurrent kernel (a GRU's z ⊙ dh);
        0 for a kind whose previous state enters its step only through h_{t−1}·U."""
        return 0.0

    def _recurrent_deltas(self, step: LayerTrace) -> np.ndarray:
        """δ_t as the recurrent kernel sees it, every step (T, k·U): δ itself, but for a GRU's
        candidate block (r ⊙ δ)."""
        return np.asarray(step.delta)

    def _trace_bias(self, dx_steps: list[np.ndarray], dh_steps: list[np.ndarray]) -> np.ndarray:
        return np.sum(dx_steps, axis=0)

    def _trace_steps(self, ups: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """For one example: its pre-activations z_t (T, k·U), and δx_t, δh_t of every step."""
        raise NotImplementedError

    def explain(self, step: LayerTrace, row: Any, column: int, where: dict[str, str]) -> Derivation:
        """A kernel weight's gradient as the sum over the steps it served (row: its input feature;
        ("recurrent_kernel", i): the recurrent kernel's weight from unit i of the previous state,
        Σ_t h_{t−1}[i]·δ_t; None: the bias of gate column `column`, Σ_t δ_t)."""
        d = step.delta[:, column]
        steps = d.shape[0]
        if isinstance(row, tuple) and row and row[0] == "recurrent_kernel":
            return self._explain_recurrent(step, int(row[1]), column, where)
        if row is None:
            terms, xs = d, None
            head = _("∂L/∂b for {unit}").format(unit=where["unit"])
            formula = _("Σ over its {steps} steps t of δ_t").format(steps=steps)
            analytic = float(step.grad_bias.reshape(-1, step.delta.shape[1])[0, column])
        else:
            xs = step.inputs[:, row]
            terms = xs * d
            head = _("∂L/∂w from {source} to {unit}").format(source=where["source"], unit=where["unit"])
            formula = _("Σ over its {steps} steps t of x_t · δ_t: the weight serves every step, so its gradient is "
                        "the sum").format(steps=steps)
            analytic = float(step.grad_kernel[row, column])
        order = np.argsort(-np.abs(terms))[:6]
        shown = " + ".join(number(float(terms[k])) for k in order)
        more = " + … " + _("({count} more)").format(count=steps - len(order)) if steps > len(order) else ""
        details = ["    " + _("the largest terms:")] + [
            "      " + _("step {t}: δ {delta}").format(t=int(k), delta=number(float(d[k]), 6)) if xs is None else
            "      " + _("step {t}: x {x} × δ {delta} = {term}").format(
                t=int(k), x=number(float(xs[k]), 6), delta=number(float(d[k]), 6), term=number(float(terms[k]), 6))
            for k in order]  # fmt: skip
        return Derivation(head, formula, f"{shown}{more} = {number(float(terms.sum()), 6)}", details, analytic)

    def _explain_recurrent(self, step: LayerTrace, row: int, column: int, where: dict[str, str]) -> Derivation:
        """∂L/∂U[i, j] = Σ_t h_{t−1}[i]·δh_t[j]: the recurrent weight carries unit i of each step's
        state into gate column j of the next step, so its gradient sums over every step (h₀ = 0, so
        the first step adds nothing)."""
        h = (step.states or {})["h"]
        prev = np.concatenate([np.zeros(1), h[:-1, row]])  # h_{t−1}[i] at each step t
        d = self._recurrent_deltas(step)[:, column]
        terms = prev * d
        steps = d.shape[0]
        scaled = not np.array_equal(d, step.delta[:, column])
        what = _("r_t ⊙ δ_t (the reset gate scales what the recurrent kernel feeds the candidate)") if scaled \
            else "δ_t"
        formula = _("Σ over its {steps} steps t of h_{{t−1}} · {what}: the weight carries the state from every step "
                    "to the next, so its gradient is the sum (h₀ = 0: the first step adds nothing)").format(
                      steps=steps, what=what)  # fmt: skip
        order = np.argsort(-np.abs(terms))[:6]
        more = " + … " + _("({count} more)").format(count=steps - len(order)) if steps > len(order) else ""
        shown = " + ".join(number(float(terms[k])) for k in order)
        details = ["    " + _("the largest terms:")] + [
            "      " + _("step {t}: {product}").format(
                t=int(k), product=f"h_{{t−1}} {number(float(prev[k]), 6)} × {'r⊙δ' if scaled else 'δ'} "
                                  f"{number(float(d[k]), 6)} = {number(float(terms[k]), 6)}")
            for k in order]  # fmt: skip
        analytic = float((step.param_grads or {})["recurrent_kernel"][row, column])
        head = _("∂L/∂u from {source} to {unit}").format(source=where["source"], unit=where["unit"])
        return Derivation(head, formula, f"{shown}{more} = {number(float(terms.sum()), 6)}", details, analytic)

    @classmethod
    def table_lines(cls, step: LayerTrace, vec: Any) -> list[str]:
        """Every step's z_t and δ_t = ∂L/∂z_t (gate blocks in Keras's order), then the weights'
        gradients, each the sum over the steps."""
        steps = step.inputs.shape[0]
        shapes = f"{'×'.join(map(str, step.inputs.shape))} → {'×'.join(map(str, step.a.shape))}"
        if cls.gate_names:
            head = _("{name} ({kind}, {activation}, {steps} steps, gate blocks {gates}): {shapes}").format(
                name=step.name, kind=cls.keras, activation=step.activation, steps=steps,
                gates=", ".join(cls.gate_names), shapes=shapes)
        else:
            head = _("{name} ({kind}, {activation}, {steps} steps): {shapes}").format(
                name=step.name, kind=cls.keras, activation=step.activation, steps=steps, shapes=shapes)
        lines = [head, "  " + _("z_t, each block's pre-activation at each step (x_t·W + h_{t−1}·U + b, a GRU's "
                                "candidate r ⊙ (h_{t−1}·U + b_h) + x_t·W + b_x)")]  # fmt: skip
        lines += [f"    t{t} {vec(step.z[t])}" for t in range(steps)]
        lines += ["  " + _("delta_t = dL/dz_t, from the last step back (the output's dL/dh_t plus the next step's)")]
        lines += [f"    t{t} {vec(step.delta[t])}" for t in range(steps)]
        lines += [f"  dL/db = Σ_t delta_t     {vec(step.grad_bias)}",
                  "  " + _("dL/dW = Σ_t x_tᵀ·delta_t (rows: inputs)")]
        lines += [f"    {vec(row)}" for row in step.grad_kernel]
        lines += ["  " + _("dL/dU = Σ_t h_{t−1}ᵀ·delta_t (rows: units of the previous state)")]
        lines += [f"    {vec(row)}" for row in (step.param_grads or {})["recurrent_kernel"]]
        return lines

    # ----------------------------------------------------------------- exports
    def _onnx_activations(self) -> tuple[list[str], list[float], list[float]]:
        """ONNX's activations attribute (and alpha, beta lists) in the operator's order."""
        names, alphas, betas = [], [], []
        for act in self._onnx_acts():
            names.append(ONNX_RECURRENT[act.name])
            params = act.params()
            if act.name == "linear":
                alphas.append(1.0)
                betas.append(0.0)
            elif "alpha" in params:
                alphas.append(float(params["alpha"]))
                betas.append(0.0)
        return names, alphas, betas

    def _onnx_acts(self) -> list[Activation]:
        return [self.act]  # type: ignore[list-item]

    def _onnx_biases(self) -> tuple[np.ndarray, np.ndarray]:
        """(Wb, Rb), the input's and the recurrent's bias ONNX adds (Keras has one, but a GRU)."""
        return self.bias, np.zeros_like(self.bias)

    def onnx(self, graph: OnnxGraph, src: str, out: str, inp: Shape, shape: Shape) -> str:
        """Rows (N, T·F) laid out as (T, N, F) for the first recurrent layer; then the operator with
        Keras's weights in ONNX's layout (W (1, k·U, F), R (1, k·U, U), B (1, 2k·U), the gate blocks
        reordered); Y_h (the last state) or Y (every state, (T, N, U) for the next layer)."""
        steps, f = inp
        if graph.layout == "flat":
            shape_name = f"{out}.steps_shape"
            graph.inits.append(graph.numpy_helper.from_array(np.array([-1, steps, f], dtype=np.int64), shape_name))
            graph.node("Reshape", [src, shape_name], [f"{out}.ntf"])
            graph.node("Transpose", [f"{out}.ntf"], [f"{out}.tnf"], perm=[1, 0, 2])
            src = f"{out}.tnf"
        order = self.onnx_order
        wb, rb = self._onnx_biases()
        biases = np.concatenate([block_order(wb, order), block_order(rb, order)])
        name = graph.named_weights({"W": block_order(self.kernel.T, order)[None],
                                    "R": block_order(self.recurrent_kernel.T, order)[None], "B": biases[None]})
        acts, alphas, betas = self._onnx_activations()
        attrs: dict[str, Any] = {"hidden_size": self.units, "activations": acts}
        if alphas:
            attrs["activation_alpha"] = alphas
        if betas:
            attrs["activation_beta"] = betas
        attrs.update(self._onnx_attrs())
        graph.node(self.onnx_op, [src, f"{name}.W", f"{name}.R", f"{name}.B"], [f"{out}.y", f"{out}.y_h"], **attrs)
        axes = f"{out}.axes"
        graph.inits.append(graph.numpy_helper.from_array(np.array([0 if not self.return_sequences else 1],
                                                                  dtype=np.int64), axes))  # fmt: skip
        graph.node("Squeeze", [f"{out}.y" if self.return_sequences else f"{out}.y_h", axes], [out])
        graph.layout = "sequence" if self.return_sequences else "flat"
        return out

    def _onnx_attrs(self) -> dict[str, Any]:
        return {}

    def _torch_ready(self) -> None:
        """torch.nn's recurrent modules hard-wire their activations: refuse others by their key."""
        if self.act.name != "tanh" or self.rec_act.name != "sigmoid":  # type: ignore[union-attr]
            raise PlaygroundError(_("PyTorch's {torch_module} has tanh and sigmoid only; this {name} layer has "
                                    "activation {act_name} and recurrent_activation {rec_act_name}").format(
                                      torch_module=self.torch_module, name=self.name, act_name=self.act.name,
                                      rec_act_name=self.rec_act.name))  # type: ignore[union-attr]  # fmt: skip

    def _torch_args(self) -> str:
        return ""

    torch_helpers = '''
class RecurrentOutput(nn.Module):
    """A recurrent module's output as Keras's layer gives it: the state at every step
    (return_sequences) or the last step's."""

    def __init__(self, sequences):
        super().__init__()
        self.sequences = sequences

    def forward(self, out):
        states = out[0]
        return states if self.sequences else states[:, -1]
'''

    def _torch_tensors(self) -> dict[str, Any]:
        """Which array fills which tensor of torch's module: the kernels transposed, their gate
        blocks in torch's order; Keras's one bias is bias_ih (bias_hh 0), a GRU's two rows are both."""
        order = self.torch_order if self.torch_order != sorted(self.torch_order) else None
        tensors: dict[str, Any] = {"weight_ih_l0": ("kernel", (1, 0), order, None),
                                   "weight_hh_l0": ("recurrent_kernel", (1, 0), order, None)}  # fmt: skip
        if len(self._bias_shape()) == 2:
            tensors |= {"bias_ih_l0": ("bias", (0,), order, 0), "bias_hh_l0": ("bias", (0,), order, 1)}
        else:
            tensors |= {"bias_ih_l0": ("bias", (0,), order, None), "bias_hh_l0": (None, (0,), None, None)}
        return tensors

    def torch(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        """nn.Unflatten for the first recurrent layer (rows to (N, T, F); only recurrent layers can
        come before one, and each holds parameters), the module (batch_first=True), and
        RecurrentOutput, which keeps the output Keras's layer gives (the last step's, or all)."""
        self._torch_ready()
        first = [f"nn.Unflatten(1, ({inp[0]}, {inp[1]})),"] if not code.holders and not code.image else []
        module = f"nn.{self.torch_module}({inp[1]}, {self.units}{self._torch_args()}, batch_first=True),"
        return [*first, code.holder(len(first), module, tensors=self._torch_tensors()),
                f"RecurrentOutput({self.return_sequences}),"]

    def _keras_args(self) -> str:
        return ""

    def keras_code(self, code: CodeContext, inp: Shape, out: Shape) -> list[str]:
        """layers.Reshape for the first recurrent layer (rows to (T, F)), then Keras's own layer."""
        acts = []
        for key, act in (("activation", self.act), ("recurrent_activation", self.rec_act)):
            if key == "recurrent_activation" and self.blocks == 1:
                continue
            name, extra = act.keras  # type: ignore[union-attr]
            if extra is not None:
                raise PlaygroundError(_("Keras's {keras} takes {key} by name; {name} with its parameters is a layer "
                                        "of its own there").format(
                                          keras=self.keras, key=key, name=act.name))  # fmt: skip
            acts.append(f'{key}="{name}"')
        first = [f"layers.Reshape(({inp[0]}, {inp[1]})),"] if code.weighted == 0 and not code.image else []
        return [*first, f"layers.{self.keras}({self.units}, {', '.join(acts)}{self._keras_args()}, "
                        f'return_sequences={self.return_sequences}, name="{code.weight_name()}"),']  # fmt: skip
