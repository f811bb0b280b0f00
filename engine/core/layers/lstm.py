"""The LSTM layer, as Keras's LSTM (Hochreiter and Schmidhuber, 1997, with a forget gate): four
gate blocks i, f, c, o side by side in Keras's order, a cell state c beside the hidden state h.
What every recurrent kind shares (keys, BPTT's products, exports) is engine.core.layers.recurrent's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..i18n import N_
from .base import LAYERS, Shape
from .recurrent import GATED_KEYS, GATED_NEW, Recurrent, activate


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
    help = (N_("Long short-term memory: a cell state that gates decide to keep (forget gate), write (input gate) "
            "and show (output gate), so a gradient can cross many steps without vanishing."))  # fmt: skip
    formula = ("i, f, o = σ(x·W + h·U + b) blocks, g = tanh(…);  c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t);  "
               "∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f: the forget gate carries the gradient back")  # fmt: skip
    keys = GATED_KEYS
    new: ClassVar[dict[str, Any]] = dict(GATED_NEW)
    forward_words = N_("at every step the gates i, f, o = σ(x_t·W + h_{t−1}·U + b), the candidate g = {act}(…); "
                     "c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ {act}(c_t)")  # fmt: skip
    backward_words = N_("backpropagation through time: from the last step back, δ_t of each gate; "
                        "∂L/∂W = Σ_t x_tᵀ·δ_t, ∂L/∂U = Σ_t h_{t−1}ᵀ·δ_t, ∂L/∂b = Σ_t δ_t")  # fmt: skip
    blocks = 4
    gate_names = ("input", "forget", "cell", "output")
    gate_words = (N_("input gate"), N_("forget gate"), N_("cell candidate"), N_("output gate"))
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

    def _columns(self) -> np.ndarray:
        """The steps compute the blocks as i, f, o, c: the three σ gates side by side."""
        u = self.units
        if getattr(self, "_cols", None) is None or self._cols.size != 4 * u:
            self._cols = np.concatenate([np.arange(j * u, (j + 1) * u) for j in (0, 1, 3, 2)])
        return self._cols

    @property
    def z(self) -> np.ndarray:
        """Every step's pre-activations (N, T, 4U), in Keras's block order i, f, c, o."""
        return self._z.transpose(1, 0, 2)[..., np.argsort(self._columns())]

    def _forward_steps(self, xw: np.ndarray) -> np.ndarray:
        """Blocks in the steps' order i, f, o, c (see `_columns`)."""
        steps, n, ku = xw.shape
        u = self.units
        dtype = xw.dtype
        z = np.empty((steps, n, ku), dtype=dtype)
        gates = np.empty_like(z)
        c = np.empty((steps, n, u), dtype=dtype)
        fc = np.empty_like(c)
        h = np.empty_like(c)
        mix = np.empty((n, u), dtype=dtype)
        rec = self._u
        c_prev = np.zeros((n, u), dtype=dtype)
        h_prev = np.zeros((n, u), dtype=dtype)
        for t in range(steps):
            zt, gt, ct = z[t], gates[t], c[t]
            np.dot(h_prev, rec, out=zt)
            zt += xw[t]
            activate(self.rec_act, zt[:, : 3 * u], gt[:, : 3 * u])  # i, f, o in one call
            activate(self.act, zt[:, 3 * u :], gt[:, 3 * u :])  # type: ignore[arg-type]
            np.multiply(gt[:, u : 2 * u], c_prev, out=ct)
            np.multiply(gt[:, :u], gt[:, 3 * u :], out=mix)
            ct += mix
            activate(self.act, ct, fc[t])  # type: ignore[arg-type]
            np.multiply(gt[:, 2 * u : 3 * u], fc[t], out=h[t])
            c_prev, h_prev = ct, h[t]
        self._z, self._gates, self._c, self._fc = z, gates, c, fc
        self.c = c.transpose(1, 0, 2)
        self.gates = {name: gates[:, :, j * u : (j + 1) * u].transpose(1, 0, 2)
                      for j, name in zip((0, 1, 3, 2), self.gate_names)}  # fmt: skip
        return h

    def _backward_steps(self, upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every step's local derivatives first, for all steps at once; then the loop back."""
        steps, n, u = self._h.shape
        dtype = self._h.dtype
        z, gates, c, fc = self._z, self._gates, self._c, self._fc
        act, rec_act = self.act, self.rec_act
        sig_d = rec_act.derivative(z[:, :, : 3 * u], gates[:, :, : 3 * u])  # σ′ of i, f, o
        cand_d = act.derivative(z[:, :, 3 * u :], gates[:, :, 3 * u :])  # type: ignore[union-attr]
        cell_d = act.derivative(c, fc)  # type: ignore[union-attr]
        dz = np.empty((steps, n, 4 * u), dtype=dtype)
        dh_all = np.empty((steps, n, u), dtype=dtype)
        rec_t = self._u.T
        dc = np.zeros((n, u), dtype=dtype)
        mix = np.empty((n, u), dtype=dtype)
        for t in range(steps - 1, -1, -1):
            dh, g, dzt = dh_all[t], gates[t], dz[t]
            if t == steps - 1:
                dh[...] = upstream[t] if self.return_sequences else upstream
            else:
                np.dot(dz[t + 1], rec_t, out=dh)
                if self.return_sequences:
                    dh += upstream[t]
            np.multiply(dh, fc[t], out=dzt[:, 2 * u : 3 * u])  # ∂L/∂o
            np.multiply(dh, g[:, 2 * u : 3 * u], out=mix)
            mix *= cell_d[t]
            dc += mix  # ∂L/∂c_t
            np.multiply(dc, g[:, 3 * u :], out=dzt[:, :u])  # ∂L/∂i
            if t > 0:
                np.multiply(dc, c[t - 1], out=dzt[:, u : 2 * u])  # ∂L/∂f
            else:
                dzt[:, u : 2 * u] = 0.0  # c₀ = 0: the first step's forget gate changes nothing
            np.multiply(dc, g[:, :u], out=dzt[:, 3 * u :])  # ∂L/∂g
            dzt[:, : 3 * u] *= sig_d[t]
            dzt[:, 3 * u :] *= cand_d[t]
            dc *= g[:, u : 2 * u]
        self._keep_grad_h(dh_all)
        return dz, dz

    def _trace_steps(self, ups: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """The step's formulas for one example, unit vectors, from the last step back; z and δ in
        Keras's block order i, f, c, o."""
        u = self.units
        z, c = self.z[0], self._c[:, 0]
        gates = self._gates[:, 0][:, np.argsort(self._columns())]
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
