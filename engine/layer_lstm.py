"""The LSTM layer, as Keras's LSTM (Hochreiter and Schmidhuber, 1997, with a forget gate): four
gate blocks i, f, c, o side by side in Keras's order, a cell state c beside the hidden state h.
What every recurrent kind shares (keys, BPTT's products, exports) is engine.layer_recurrent's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .layer_base import LAYERS, Shape
from .layer_recurrent import (
    ACTIVATION,
    RECURRENT_ACTIVATION,
    RETURN_SEQUENCES,
    UNITS,
    Recurrent,
    activate,
    local_grad,
    sigmoid_into,
)


@LAYERS.register_kind()
@dataclass(eq=False)
class LSTM(Recurrent):
    """One step, σ the recurrent activation, f the activation (tanh), z_t = x_t·W + h_{t−1}·U + b
    split into its blocks z_i, z_f, z_c, z_o:

    Forward:   i = σ(z_i),  f_t = σ(z_f),  g = f(z_c),  o = σ(z_o);
               c_t = f_t ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ f(c_t).
    Backward, from dh (the output's ∂L/∂h_t plus the next step's) and dc (the next step's ∂L/∂c_t):
               dc += dh ⊙ o ⊙ f′(c_t);
               δ_o = dh ⊙ f(c_t) ⊙ σ′,  δ_i = dc ⊙ g ⊙ σ′,  δ_f = dc ⊙ c_{t−1} ⊙ σ′,  δ_c = dc ⊙ i ⊙ f′;
               to step t−1: ∂L/∂c_{t−1} = dc ⊙ f_t,  ∂L/∂h_{t−1} = δ_t·Uᵀ.
    """

    name = "lstm"
    keras = "LSTM"
    help = ("Long short-term memory: a cell state that gates decide to keep (forget gate), write (input gate) "
            "and show (output gate), so a gradient can cross many steps without vanishing.")  # fmt: skip
    formula = ("i, f, o = σ(x·W + h·U + b) blocks, g = tanh(…);  c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t);  "
               "∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f: the forget gate carries the gradient back")  # fmt: skip
    keys = (UNITS, ACTIVATION, RECURRENT_ACTIVATION, RETURN_SEQUENCES)
    new: ClassVar[dict[str, Any]] = {"units": 16, "activation": "tanh", "recurrent_activation": "sigmoid",
                                     "return_sequences": False}  # fmt: skip
    forward_words = ("at every step the gates i, f, o = σ(x_t·W + h_{t−1}·U + b), the candidate g = {act}(…); "
                     "c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ {act}(c_t)")  # fmt: skip
    backward_words = ("backpropagation through time: from the last step back, δ_t of each gate; ∂L/∂W = Σ_t x_tᵀ·δ_t, "
                      "∂L/∂U = Σ_t h_{t−1}ᵀ·δ_t, ∂L/∂b = Σ_t δ_t")  # fmt: skip
    blocks = 4
    gate_names = ("input", "forget", "cell", "output")
    onnx_op = "LSTM"
    onnx_order: ClassVar[list[int]] = [0, 3, 1, 2]  # ONNX's i, o, f, c from Keras's i, f, c, o
    torch_module = "LSTM"
    torch_order: ClassVar[list[int]] = [0, 1, 2, 3]  # torch's i, f, g, o: Keras's order

    units: int
    activation: Any = "tanh"
    recurrent_activation: Any = "sigmoid"
    return_sequences: bool = False

    def __post_init__(self) -> None:
        self._settle()

    def initial(self, name: str, shape: Shape, rng: np.random.Generator, kernel_init: Any,
                bias_init: float) -> np.ndarray:  # fmt: skip
        """As every recurrent kind's, and Keras's unit_forget_bias: the forget block's bias 1."""
        value = super().initial(name, shape, rng, kernel_init, bias_init)
        if name == "bias":
            value[self.units : 2 * self.units] = 1.0
        return value

    def _onnx_acts(self) -> list[Any]:
        return [self.rec_act, self.act, self.act]  # ONNX's f (gates), g (candidate), h (cell output)

    def _kept(self) -> int:
        return 2 * self.blocks + 3  # z and the gates, c, f(c) and h

    def _forward_steps(self, xw: np.ndarray) -> np.ndarray:
        steps, n, ku = xw.shape
        u = self.units
        dtype = xw.dtype
        z = np.empty((steps, n, ku), dtype=dtype)
        gates = np.empty_like(z)
        c = np.empty((steps, n, u), dtype=dtype)
        fc = np.empty_like(c)
        h = np.empty_like(c)
        rec = self.recurrent_kernel
        fast = self.rec_act.name == "sigmoid"
        c_prev = np.zeros((n, u), dtype=dtype)
        h_prev = np.zeros((n, u), dtype=dtype)
        for t in range(steps):
            zt, gt = z[t], gates[t]
            np.dot(h_prev, rec, out=zt)
            zt += xw[t]
            if fast:  # σ over every block at once, then the candidate's f over its own
                sigmoid_into(zt, gt)
            else:
                activate(self.rec_act, zt, gt)
            activate(self.act, zt[:, 2 * u : 3 * u], gt[:, 2 * u : 3 * u])  # type: ignore[arg-type]
            ct = c[t]
            np.multiply(gt[:, u : 2 * u], c_prev, out=ct)
            ct += gt[:, :u] * gt[:, 2 * u : 3 * u]
            activate(self.act, ct, fc[t])  # type: ignore[arg-type]
            np.multiply(gt[:, 3 * u :], fc[t], out=h[t])
            c_prev, h_prev = ct, h[t]
        self.z, self._z, self._gates, self._c, self._fc = z.transpose(1, 0, 2), z, gates, c, fc
        self.c = c.transpose(1, 0, 2)
        self.gates = {name: gates[:, :, j * u : (j + 1) * u].transpose(1, 0, 2)
                      for j, name in enumerate(self.gate_names)}  # fmt: skip
        return h

    def _backward_steps(self, upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        steps, n, u = self._h.shape
        dtype = self._h.dtype
        dz = np.empty((steps, n, 4 * u), dtype=dtype)
        dh_all = np.empty((steps, n, u), dtype=dtype)
        rec_t = self.recurrent_kernel.T
        dh = np.zeros((n, u), dtype=dtype)
        dc = np.zeros((n, u), dtype=dtype)
        z, gates, c, fc = self._z, self._gates, self._c, self._fc
        act, rec_act = self.act, self.rec_act
        for t in range(steps - 1, -1, -1):
            up = self._upstream(upstream, t)
            if up is not None:
                dh += up
            dh_all[t] = dh
            g, zt, dzt = gates[t], z[t], dz[t]
            i, f, cand, o = g[:, :u], g[:, u : 2 * u], g[:, 2 * u : 3 * u], g[:, 3 * u :]
            dc += local_grad(act, c[t], fc[t], dh * o)  # type: ignore[arg-type]
            dzt[:, 3 * u :] = local_grad(rec_act, zt[:, 3 * u :], o, dh * fc[t])
            dzt[:, :u] = local_grad(rec_act, zt[:, :u], i, dc * cand)
            if t > 0:
                dzt[:, u : 2 * u] = local_grad(rec_act, zt[:, u : 2 * u], f, dc * c[t - 1])
            else:
                dzt[:, u : 2 * u] = 0.0  # c₀ = 0: the forget gate of the first step changes nothing
            dzt[:, 2 * u : 3 * u] = local_grad(act, zt[:, 2 * u : 3 * u], cand, dc * i)  # type: ignore[arg-type]
            dc *= f
            dh = np.dot(dzt, rec_t)
        self._keep_grad_h(dh_all)
        return dz, dz

    def _trace_steps(self, ups: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """The step's formulas for one example, unit vectors, from the last step back."""
        u = self.units
        z, gates, c = self._z[:, 0], self._gates[:, 0], self._c[:, 0]
        steps = z.shape[0]
        act, rec = self.act, self.rec_act
        deltas: list[np.ndarray] = [np.zeros(4 * u)] * steps
        dh_next, dc_next = np.zeros(u), np.zeros(u)
        for t in range(steps - 1, -1, -1):
            i, f, g, o = (gates[t, j * u : (j + 1) * u] for j in range(4))
            zi, zf, zc, zo = (z[t, j * u : (j + 1) * u] for j in range(4))
            c_prev = c[t - 1] if t > 0 else np.zeros(u)
            dh = ups[t] + dh_next
            tc = act.forward(c[t])  # type: ignore[union-attr]
            dc = dc_next + dh * o * act.derivative(c[t], tc)  # type: ignore[union-attr]
            deltas[t] = np.concatenate([dc * g * rec.derivative(zi, i), dc * c_prev * rec.derivative(zf, f),
                                        dc * i * act.derivative(zc, g),  # type: ignore[union-attr]
                                        dh * tc * rec.derivative(zo, o)])  # fmt: skip
            dc_next = dc * f
            dh_next = self.recurrent_kernel @ deltas[t]
        return z.copy(), deltas, deltas
