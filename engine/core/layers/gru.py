"""The GRU layer, as Keras's GRU (Cho et al., 2014) with its default reset_after=True (cuDNN's and
PyTorch's form): three gate blocks z, r, h side by side in Keras's order, and two biases, the
input's and the recurrent's, as the bias's rows (2, 3U). What every recurrent kind shares (keys,
BPTT's products, exports) is engine.core.layers.recurrent's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..i18n import N_
from .base import LAYERS, Shape
from .recurrent import (
    GATED_KEYS,
    GATED_NEW,
    Recurrent,
    activate,
)


@LAYERS.register_kind()
@dataclass(eq=False)
class GRU(Recurrent):
    """One step, σ the recurrent activation, f the activation (tanh), x_t·W + b_x split into the
    blocks x_z, x_r, x_h and h_{t−1}·U + b_h into r_z, r_r, r_h:

    Forward:   z = σ(x_z + r_z),  r = σ(x_r + r_r),  ĥ = f(x_h + r ⊙ r_h),  h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ.
    Backward, from dh (the output's ∂L/∂h_t plus the next step's):
               δ_ĥ = dh ⊙ (1 − z) ⊙ f′,  δ_z = dh ⊙ (h_{t−1} − ĥ) ⊙ σ′,  δ_r = δ_ĥ ⊙ r_h ⊙ σ′;
               the input sees δx = (δ_z, δ_r, δ_ĥ), the recurrent kernel δh = (δ_z, δ_r, r ⊙ δ_ĥ);
               to step t−1: ∂L/∂h_{t−1} = dh ⊙ z + δh·Uᵀ.
    """

    name = "gru"
    keras = "GRU"
    help = (N_("Gated recurrent unit: an update gate z blends the previous state with a candidate, a reset gate r "
            "decides how much of the previous state the candidate sees. Fewer weights than an LSTM, "
            "no cell state."))  # fmt: skip
    formula = ("z, r = σ(x·W + b_x + h·U + b_h) blocks, ĥ = tanh(x·W_h + b_xh + r ⊙ (h·U_h + b_hh));  "
               "h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ: the update gate carries the gradient back")  # fmt: skip
    keys = GATED_KEYS
    new: ClassVar[dict[str, Any]] = dict(GATED_NEW)
    forward_words = N_("at every step the gates z, r = σ(x_t·W + h_{t−1}·U + b), the candidate ĥ = {act}(x_t·W_h + "
                     "r ⊙ h_{t−1}·U_h + b), h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ")  # fmt: skip
    backward_words = N_("backpropagation through time: from the last step back, δ_t of each gate; "
                        "∂L/∂W = Σ_t x_tᵀ·δ_t, ∂L/∂U = Σ_t h_{t−1}ᵀ·δ_t, ∂L/∂b = Σ_t δ_t (the input's and the "
                        "recurrent's bias)")  # fmt: skip
    blocks = 3
    gate_names = ("update", "reset", "candidate")
    gate_words = (N_("update gate"), N_("reset gate"), N_("candidate state"))
    onnx_op = "GRU"
    onnx_order: ClassVar[list[int]] = [0, 1, 2]  # ONNX's z, r, h: Keras's order
    torch_module = "GRU"
    torch_order: ClassVar[list[int]] = [1, 0, 2]  # torch's r, z, n from Keras's z, r, h

    units: int
    activation: Any = "tanh"
    recurrent_activation: Any = "sigmoid"
    return_sequences: bool = False

    def __post_init__(self) -> None:
        self._settle()

    def _bias_shape(self) -> Shape:
        return (2, 3 * self.units)

    def _input_bias(self) -> np.ndarray:
        return self.bias[0]

    def _kept(self) -> int:
        return 3 * self.blocks + 1  # z, the gates, h·U + b_h and h

    def _forward_steps(self, xw: np.ndarray) -> np.ndarray:
        steps, n, _ = xw.shape
        u = self.units
        z = np.empty_like(xw)
        gates = np.empty_like(xw)
        rec_all = np.empty_like(xw)
        h = np.empty((steps, n, u), dtype=xw.dtype)
        rec, rec_bias = self._u, self.bias[1]
        h_prev = np.zeros((n, u), dtype=xw.dtype)
        for t in range(steps):
            zt, gt, rt = z[t], gates[t], rec_all[t]
            np.dot(h_prev, rec, out=rt)
            rt += rec_bias
            np.add(xw[t, :, : 2 * u], rt[:, : 2 * u], out=zt[:, : 2 * u])
            activate(self.rec_act, zt[:, : 2 * u], gt[:, : 2 * u])
            np.multiply(gt[:, u : 2 * u], rt[:, 2 * u :], out=zt[:, 2 * u :])
            zt[:, 2 * u :] += xw[t, :, 2 * u :]
            cand = activate(self.act, zt[:, 2 * u :], gt[:, 2 * u :])  # type: ignore[arg-type]
            ht = h[t]
            np.subtract(h_prev, cand, out=ht)
            ht *= gt[:, :u]
            ht += cand
            h_prev = ht
        self.z, self._z, self._gates, self._rec = z.transpose(1, 0, 2), z, gates, rec_all
        self.gates = {name: gates[:, :, j * u : (j + 1) * u].transpose(1, 0, 2)
                      for j, name in enumerate(self.gate_names)}  # fmt: skip
        return h

    def _backward_steps(self, upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every step's local derivatives first, for all steps at once; then the loop back."""
        steps, n, u = self._h.shape
        dtype = self._h.dtype
        z, gates, rec = self._z, self._gates, self._rec
        sig_d = self.rec_act.derivative(z[:, :, : 2 * u], gates[:, :, : 2 * u])  # σ′ of z and r
        cand_d = self.act.derivative(z[:, :, 2 * u :], gates[:, :, 2 * u :])  # type: ignore[union-attr]
        dzx = np.empty((steps, n, 3 * u), dtype=dtype)
        dzr = np.empty_like(dzx)
        dh_all = np.empty((steps, n, u), dtype=dtype)
        rec_t = self._u.T
        zero = np.zeros((n, u), dtype=dtype)
        mix = np.empty((n, u), dtype=dtype)
        for t in range(steps - 1, -1, -1):
            dh = dh_all[t]
            if t == steps - 1:
                dh[...] = upstream[t] if self.return_sequences else upstream
            else:
                np.dot(dzr[t + 1], rec_t, out=dh)
                np.multiply(dh_all[t + 1], gates[t + 1, :, :u], out=mix)
                dh += mix
                if self.return_sequences:
                    dh += upstream[t]
            g, dx, dr = gates[t], dzx[t], dzr[t]
            upd, reset, cand = g[:, :u], g[:, u : 2 * u], g[:, 2 * u :]
            np.subtract(1.0, upd, out=mix)
            mix *= dh
            np.multiply(mix, cand_d[t], out=dx[:, 2 * u :])  # δ of the candidate
            np.multiply(dx[:, 2 * u :], reset, out=dr[:, 2 * u :])
            np.subtract(self._h[t - 1] if t > 0 else zero, cand, out=mix)
            mix *= dh
            np.multiply(mix, sig_d[t, :, :u], out=dx[:, :u])  # δ of the update gate
            np.multiply(dx[:, 2 * u :], rec[t, :, 2 * u :], out=dx[:, u : 2 * u])
            dx[:, u : 2 * u] *= sig_d[t, :, u:]  # δ of the reset gate
            dr[:, : 2 * u] = dx[:, : 2 * u]
        self._keep_grad_h(dh_all)
        return dzx, dzr

    def _bias_grads(self, flat_x: np.ndarray, flat_r: np.ndarray) -> None:
        flat_x.sum(axis=0, out=self.bias_grad[0])
        flat_r.sum(axis=0, out=self.bias_grad[1])

    def _trace_steps(self, ups: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """The step's formulas for one example, unit vectors, from the last step back."""
        u = self.units
        z, gates, rec, h = self._z[:, 0], self._gates[:, 0], self._rec[:, 0], self._h[:, 0]
        steps = z.shape[0]
        act, sig = self.act, self.rec_act
        dxs: list[np.ndarray] = [np.zeros(3 * u)] * steps
        dhs: list[np.ndarray] = [np.zeros(3 * u)] * steps
        dh_next = np.zeros(u)
        for t in range(steps - 1, -1, -1):
            upd, reset, cand = gates[t, :u], gates[t, u : 2 * u], gates[t, 2 * u :]
            h_prev = h[t - 1] if t > 0 else np.zeros(u)
            dh = ups[t] + dh_next
            d_cand = dh * (1 - upd) * act.derivative(z[t, 2 * u :], cand)  # type: ignore[union-attr]
            d_upd = dh * (h_prev - cand) * sig.derivative(z[t, :u], upd)
            d_reset = d_cand * rec[t, 2 * u :] * sig.derivative(z[t, u : 2 * u], reset)
            dxs[t] = np.concatenate([d_upd, d_reset, d_cand])
            dhs[t] = np.concatenate([d_upd, d_reset, reset * d_cand])
            dh_next = dh * upd + self.recurrent_kernel @ dhs[t]
        return z.copy(), dxs, dhs

    def _carried(self, grad_h: np.ndarray, t: int) -> np.ndarray:
        """h_t = z ⊙ h_{t−1} + (1 − z) ⊙ ĥ: the update gate passes z ⊙ ∂L/∂h_t straight to h_{t−1}."""
        return grad_h * self._gates[t, 0, : self.units]

    def _recurrent_deltas(self, step: Any) -> np.ndarray:
        """The candidate's block as the recurrent kernel sees it, r ⊙ δ (its h·U_h is scaled by r)."""
        u = self.units
        d = np.array(step.delta, copy=True)
        d[:, 2 * u :] *= step.states["reset"]
        return d

    def _trace_bias(self, dx_steps: list[np.ndarray], dh_steps: list[np.ndarray]) -> np.ndarray:
        return np.stack([np.sum(dx_steps, axis=0), np.sum(dh_steps, axis=0)])

    def _onnx_biases(self) -> tuple[np.ndarray, np.ndarray]:
        return self.bias[0], self.bias[1]

    def _onnx_acts(self) -> list[Any]:
        return [self.rec_act, self.act]

    def _onnx_attrs(self) -> dict[str, Any]:
        return {"linear_before_reset": 1}  # Keras's reset_after=True: r multiplies h·U_h + b_hh

    def _keras_args(self) -> str:
        return ", reset_after=True"
