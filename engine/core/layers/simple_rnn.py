"""The simple recurrent layer, as Keras's SimpleRNN (Elman's network): one block, the new state a
function of the input and the previous state. What every recurrent kind shares (keys, BPTT's
products, exports) is engine.core.layers.recurrent's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import PlaygroundError
from ..i18n import N_, _
from .base import LAYERS
from .recurrent import ACTIVATION, RETURN_SEQUENCES, UNITS, Recurrent, activate


@LAYERS.register_kind()
@dataclass(eq=False)
class SimpleRNN(Recurrent):
    """One step, f the activation (tanh):

    Forward:   z_t = x_t·W + h_{t−1}·U + b,  h_t = f(z_t).
    Backward, from dh (the output's ∂L/∂h_t plus the next step's):
               δ_t = f′(z_t) ⊙ dh,  to step t−1: ∂L/∂h_{t−1} = δ_t·Uᵀ
               (each step multiplies the gradient by Uᵀ and f′: over many steps it vanishes or explodes).
    """

    name = "simple_rnn"
    keras = "SimpleRNN"
    help = (N_("A recurrent layer: at every step the new state h_t = f(x_t·W + h_{t−1}·U + b) mixes the input with "
            "the previous state; its gradient fades (or explodes) over many steps."))  # fmt: skip
    formula = "h_t = f(x_t·W + h_{t−1}·U + b);  δ_t = f′(z_t) ⊙ (∂L/∂h_t + δ_{t+1}·Uᵀ),  ∂L/∂U = Σ_t h_{t−1}ᵀ·δ_t"
    keys = (UNITS, ACTIVATION, RETURN_SEQUENCES)
    new: ClassVar[dict[str, Any]] = {"units": 16, "activation": "tanh", "return_sequences": False}
    forward_words = N_("at every step h_t = {act}(x_t·W + h_{t−1}·U + b)")
    backward_words = N_("backpropagation through time: from the last step back, δ_t = f′(z_t) ⊙ ∂L/∂h_t; "
                      "∂L/∂W = Σ_t x_tᵀ·δ_t, ∂L/∂U = Σ_t h_{t−1}ᵀ·δ_t, ∂L/∂b = Σ_t δ_t")  # fmt: skip
    blocks = 1
    gate_names = ()
    onnx_op = "RNN"
    torch_module = "RNN"

    units: int
    activation: Any = "tanh"
    return_sequences: bool = False

    def __post_init__(self) -> None:
        self._settle()

    def _kept(self) -> int:
        return 2  # z and h

    def _forward_steps(self, xw: np.ndarray) -> np.ndarray:
        steps, n, u = xw.shape
        z = np.empty_like(xw)
        h = np.empty_like(xw)
        rec = self._u
        h_prev = np.zeros((n, u), dtype=xw.dtype)
        for t in range(steps):
            np.dot(h_prev, rec, out=z[t])
            z[t] += xw[t]
            h_prev = activate(self.act, z[t], h[t])  # type: ignore[arg-type]
        self.z, self._z = z.transpose(1, 0, 2), z
        self.gates = {}
        return h

    def _backward_steps(self, upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f′(z_t) of every step at once, then the loop back."""
        steps = self._h.shape[0]
        local = self.act.derivative(self._z, self._h)  # type: ignore[union-attr]
        dz = np.empty_like(self._h)
        dh_all = np.empty_like(self._h)
        rec_t = self._u.T
        for t in range(steps - 1, -1, -1):
            dh = dh_all[t]
            if t == steps - 1:
                dh[...] = upstream[t] if self.return_sequences else upstream
            else:
                np.dot(dz[t + 1], rec_t, out=dh)
                if self.return_sequences:
                    dh += upstream[t]
            np.multiply(dh, local[t], out=dz[t])
        self._keep_grad_h(dh_all)
        return dz, dz

    def _trace_steps(self, ups: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """δ_t = f′(z_t) ⊙ (∂L/∂h_t + U·δ_{t+1}) for one example, from the last step back."""
        z, h = self._z[:, 0], self._h[:, 0]
        steps = z.shape[0]
        deltas: list[np.ndarray] = [np.zeros(self.units)] * steps
        dh_next = np.zeros(self.units)
        for t in range(steps - 1, -1, -1):
            deltas[t] = self.act.derivative(z[t], h[t]) * (ups[t] + dh_next)  # type: ignore[union-attr]
            dh_next = self.recurrent_kernel @ deltas[t]
        return z.copy(), deltas, deltas

    def _torch_ready(self) -> None:
        """nn.RNN's nonlinearity is tanh or relu."""
        if self.act.name not in ("tanh", "relu"):  # type: ignore[union-attr]
            raise PlaygroundError(_("PyTorch's nn.RNN has tanh or relu only; this simple_rnn layer has activation "
                                    "{name}").format(name=self.act.name))  # type: ignore[union-attr]  # fmt: skip

    def _torch_args(self) -> str:
        return f", nonlinearity={self.act.name!r}"  # type: ignore[union-attr]
