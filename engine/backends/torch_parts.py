"""The torch side of the PyTorch backend: the network as torch.nn modules holding the engine's
weights in torch's layouts (and back), the project's optimizer as torch.optim's or, for Keras's
rules, a small torch optimizer with the engine's formulas, L1/L2 on the kernels, and batch
normalization's moving statistics kept as Keras (and the engine) keep them.

This module imports torch: `engine.backends.pytorch` imports it only once torch is known to be there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..core.errors import PlaygroundError
from ..core.i18n import _
from ..core.model import Model
from ..core.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Optimizer, RMSprop
from ..core.regularizers import Regularizer
from ..exports.codegen import torch_sequential
from ..project.files import weight_arrays

DTYPES = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}


class TorchNet:
    """The engine's network as the torch.nn.Sequential the PyTorch export writes (each layer's own
    `torch` lines: nn.Linear, nn.Conv2d after ZeroPad2d for 'same', a channels-last flatten, torch's
    recurrent modules...), on `device` in the network's dtype. `push` copies the engine's weights
    into torch's layouts (the export's own `torch_tensor`), `pull` copies them back."""

    def __init__(self, network: Model, device: torch.device) -> None:
        source, self.holders = torch_sequential(network)
        scope: dict[str, Any] = {"torch": torch, "nn": nn, "np": np}
        # The export's code from the layers' settings (whole numbers and floats the validator checked), no user text.
        exec(compile(source, "<nn-playground torch layers>", "exec"), scope)
        self._torch_tensor: Callable[..., np.ndarray | None] = scope["torch_tensor"]
        self.network = network
        self.dtype = DTYPES[network.dtype]
        self.device = device
        self.model: nn.Sequential = scope["make_layers"]().to(device=device, dtype=self.dtype)
        self.image_shape = tuple(network.input_shape) if network.exports_images else None
        out = self.holders[-1][0]  # the output layer's nn.Linear gives z; what follows it is its activation
        self.body, self.head = self.model[: out + 1], self.model[out + 1 :]
        #: The tensors the optimizer steps, and those of them L1/L2 act on (each layer's `regularized`).
        self.trainable: list[torch.Tensor] = []
        #: Moving statistics a training pass computed, set by `settle` once backward is done.
        self._pending: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.kernels: list[torch.Tensor] = []
        held: set[int] = set()
        for k, (i, tensors) in enumerate(self.holders):
            layer, module = network.layers[network.param_layers[k]], self.model[i]
            for attribute, spec in tensors.items():
                tensor = getattr(module, attribute)
                held.add(id(tensor))
                if spec[0] is None:  # a Keras LSTM's one bias: torch's second (bias_hh) stays 0, untrained
                    tensor.requires_grad_(False)
                elif isinstance(tensor, nn.Parameter) and spec[0] not in layer.non_trainable:
                    self.trainable.append(tensor)
                    if spec[0] in layer.regularized:
                        self.kernels.append(tensor)
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                self._keras_moving_statistics(module, float(layer.momentum))  # type: ignore[attr-defined]
        stray = [name for name, p in self.model.named_parameters() if id(p) not in held]
        if stray:
            raise PlaygroundError(_("the PyTorch backend does not know where torch's {stray} comes from").format(
                                      stray=stray[0]))
        #: Whether a module draws random numbers in training (dropout): torch's, not the engine's.
        self.random = any(isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0 for m in self.model)
        #: Every number a step changes (weights and moving statistics), for the backup a diverged step restores.
        self.state = [t for t in self.model.state_dict(keep_vars=True).values() if t.is_floating_point()]
        self._backup = [t.detach().clone() for t in self.state]
        self.push()

    def push(self) -> None:
        """The engine network's weights into the torch modules (kernels transposed to torch's
        layouts, a recurrent layer's gate blocks in torch's order)."""
        arrays = weight_arrays(self.network)
        with torch.no_grad():
            for k, (i, tensors) in enumerate(self.holders):
                for attribute, spec in tensors.items():
                    target, value = getattr(self.model[i], attribute), self._torch_tensor(arrays, k, *spec)
                    if value is None:
                        target.zero_()
                    else:
                        target.copy_(torch.from_numpy(np.ascontiguousarray(value)))

    def pull(self) -> None:
        """The torch modules' weights back into the engine network, in its (Keras's) layouts: the
        inverse of `push`, gate blocks back in Keras's order, axes transposed back."""
        self._into(self.network.params, lambda tensor: tensor.detach().cpu().numpy())

    def kernel_mask(self, masks: list[torch.Tensor | None]) -> np.ndarray:
        """Boolean masks of the kernel tensors (parallel to `kernels`, None: nothing marked) as one
        mask over the engine's kernels, params[:n_kernel] (what the trainer's `dead` is)."""
        marked = {id(w): m for w, m in zip(self.kernels, masks) if m is not None}
        flat = np.zeros(self.network.params.size, dtype=bool)
        self._into(flat, lambda tensor: marked[id(tensor)].cpu().numpy() if id(tensor) in marked else None)
        return flat[: self.network.n_kernel]

    def _into(self, flat: np.ndarray, value_of: Callable[[torch.Tensor], np.ndarray | None]) -> None:
        """Write `value_of(tensor)` for every torch tensor (skipped where None) into a buffer laid
        out as the engine's `params`, in the engine's layouts."""
        views = self.network.layer_views(flat)
        for k, (i, tensors) in enumerate(self.holders):
            arrays = views[self.network.param_layers[k]]
            for attribute, spec in tensors.items():
                name, axes, order, row = (*spec, None, None)[:4]
                value = None if name is None else value_of(getattr(self.model[i], attribute))
                if value is None:
                    continue
                if order is not None:
                    blocks = np.split(value, len(order))
                    keras = [blocks[order.index(j)] for j in range(len(order))]
                    value = np.concatenate(keras)
                value = value.transpose(np.argsort(axes))
                (arrays[name] if row is None else arrays[name][row])[...] = value

    def _keras_moving_statistics(self, module: nn.Module, keep: float) -> None:
        """Batch normalization's moving statistics as Keras (and the engine) update them, moving ←
        keep·moving + (1 − keep)·batch with the batch's biased variance (torch keeps the unbiased
        one): torch's own update is switched off (momentum 0 leaves the running values as they
        are) and a forward hook works out the new values from the training batch; `settle` sets
        them after backward (torch's backward still reads the running tensors it saved)."""
        module.momentum = 0.0

        def update(mod: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
            if not mod.training:
                return
            with torch.no_grad():
                x = inputs[0]
                dims = [0, *range(2, x.dim())]
                mean = x.mean(dims)
                centred = x - mean.reshape(1, -1, *([1] * (x.dim() - 2)))
                var = (centred * centred).mean(dims)
                for moving, batch in ((mod.running_mean, mean), (mod.running_var, var)):
                    self._pending.append((moving, moving * keep + (1.0 - keep) * batch))

        module.register_forward_hook(update)

    def settle(self) -> None:
        """Set the moving statistics the last training pass worked out (after its backward)."""
        with torch.no_grad():
            for moving, value in self._pending:
                moving.copy_(value)
        self._pending.clear()

    def backup(self) -> None:
        with torch.no_grad():
            for saved, t in zip(self._backup, self.state):
                saved.copy_(t)

    def restore(self) -> None:
        self._pending.clear()
        with torch.no_grad():
            for saved, t in zip(self._backup, self.state):
                t.copy_(saved)

    def finite(self) -> bool:
        """Whether every weight and moving statistic is finite (one sum each: a NaN or inf spreads)."""
        with torch.no_grad():  # one number back from the device, not one a tensor
            return math.isfinite(float(torch.stack([t.sum() for t in self.state]).sum()))

    def forward(self, x: torch.Tensor, training: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """(z, a) of the output layer for rows `x` (N, features), as the data hold them: a model on
        images takes them as (N, C, H, W) (Keras's channels-last rows transposed); dropout and
        batch statistics in training mode only."""
        if self.image_shape is not None:
            x = x.reshape(-1, *self.image_shape).permute(0, 3, 1, 2)
        self.model.train(training)
        z = self.body(x)
        return z, (self.head(z) if len(self.head) else z)


# ----------------------------------------------------------------- optimizers
def make_optimizer(opt: Optimizer, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    """The engine optimizer `opt` (its hyperparameters, Keras's defaults filled in) as a torch one:
    torch.optim's own under torch's rules (the engine's default, written as torch.optim's
    documentation writes them), `KerasRules` under Keras's. The rate is set before each step."""
    hp = opt.hp
    lr = hp["learning_rate"]
    if opt.keras and not isinstance(opt, Adadelta):  # Adadelta's rule is the same in both
        return KerasRules(params, opt, hp)
    if isinstance(opt, SGD):
        mu = hp["momentum"]
        return torch.optim.SGD(params, lr=lr, momentum=mu, nesterov=bool(hp["nesterov"]) and mu > 0)
    if isinstance(opt, Adagrad):
        return torch.optim.Adagrad(params, lr=lr, initial_accumulator_value=hp["initial_accumulator_value"],
                                   eps=hp["epsilon"])  # fmt: skip
    if isinstance(opt, Adadelta):
        return torch.optim.Adadelta(params, lr=lr, rho=hp["rho"], eps=hp["epsilon"])
    if isinstance(opt, RMSprop):
        return torch.optim.RMSprop(params, lr=lr, alpha=hp["rho"], eps=hp["epsilon"])
    betas = (hp["beta_1"], hp["beta_2"])
    if isinstance(opt, AdamW):
        return torch.optim.AdamW(params, lr=lr, betas=betas, eps=hp["epsilon"], weight_decay=hp["weight_decay"],
                                 amsgrad=hp["amsgrad"])  # fmt: skip
    if isinstance(opt, Adam):
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=hp["epsilon"], amsgrad=hp["amsgrad"])
    raise PlaygroundError(_("the PyTorch backend has no torch form of the {label} optimizer").format(
                              label=opt.label))


def reset_optimizer(opt: torch.optim.Optimizer) -> None:
    """Forget every moment and the step count (after a divergence, as the engine's optimizer.reset)."""
    opt.state.clear()
    if isinstance(opt, KerasRules):
        opt.t = 0


class KerasRules(torch.optim.Optimizer):
    """Keras 3's update rules, which torch.optim does not have, with the engine's formulas
    (engine/core/optimizers.py, rules "keras"; t counts updates):

    SGD momentum  v ← μv − αg;  w ← w + v   (Nesterov: w ← w + μv − αg)
    Adagrad       s ← s + g²;  w ← w − αg / √(s + ε)
    RMSprop       v ← ρv + (1 − ρ)g²;  w ← w − αg / √(v + ε)
    Adam(W)       (AdamW: w ← w − αλw first)  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
                  w ← w − α·√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m / (√v + ε)   (AMSGrad: v the running maximum)
    """

    def __init__(self, params: Iterable[torch.Tensor], opt: Optimizer, hp: dict[str, Any]) -> None:
        super().__init__(params, {**hp, "lr": hp["learning_rate"]})
        self.kind = opt
        self.t = 0

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        self.t += 1
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, self.state[p], group, group["lr"])

    def _update(self, p: torch.Tensor, g: torch.Tensor, state: dict[str, Any], hp: dict[str, Any], lr: float) -> None:
        kind = self.kind
        if isinstance(kind, SGD):
            mu = hp["momentum"]
            if mu == 0.0:
                p.sub_(g * lr)
                return
            v = state.setdefault("momentum", torch.zeros_like(p))
            v.mul_(mu).sub_(g * lr)
            p.add_(v * mu - g * lr if hp["nesterov"] else v)
        elif isinstance(kind, Adagrad):
            s = state.setdefault("sum", torch.full_like(p, hp["initial_accumulator_value"]))
            s.add_(g * g)
            p.sub_((g * lr) / (s + hp["epsilon"]).sqrt())
        elif isinstance(kind, RMSprop):
            rho = hp["rho"]
            v = state.setdefault("square_avg", torch.zeros_like(p))
            v.mul_(rho).add_((g * (1 - rho)) * g)
            p.sub_((g * lr) / (v + hp["epsilon"]).sqrt())
        else:  # Adam, AdamW
            if isinstance(kind, AdamW):
                p.mul_(1.0 - lr * hp["weight_decay"])
            b1, b2, t = hp["beta_1"], hp["beta_2"], self.t
            m = state.setdefault("m", torch.zeros_like(p))
            v = state.setdefault("v", torch.zeros_like(p))
            m.mul_(b1).add_(g * (1 - b1))
            v.mul_(b2).add_((g * (1 - b2)) * g)
            if hp["amsgrad"]:
                v_max = state.setdefault("v_max", torch.zeros_like(p))
                torch.maximum(v_max, v, out=v_max)
                v = v_max
            p.sub_((m * (lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t))) / (v.sqrt() + hp["epsilon"]))


# ----------------------------------------------------------------- L1 and L2 on the kernels
def penalty(reg: Regularizer, kernels: list[torch.Tensor]) -> float:
    """λ Σ|W| or λ Σ W² over the kernels (engine/core/regularizers.py), 0 when none is active."""
    if not reg.active:
        return 0.0
    with torch.no_grad():
        if reg.kind == "l1":
            return reg.rate * sum(float(w.abs().sum()) for w in kernels)
        return reg.rate * sum(float((w * w).sum()) for w in kernels)


def add_penalty_gradient(reg: Regularizer, kernels: list[torch.Tensor]) -> None:
    """grad += 2λW (L2) or λ·sign(W) (L1 by subgradient), as the engine adds it."""
    if not reg.in_gradient:
        return
    with torch.no_grad():
        for w in kernels:
            if w.grad is not None:
                w.grad.add_(reg.rate * w.sign() if reg.kind == "l1" else (2.0 * reg.rate) * w)


def tfp_before(kernels: list[torch.Tensor], dead: list[torch.Tensor | None]) -> list[torch.Tensor]:
    """TensorFlow Playground's L1 rule before the optimizer's step: a dead link gets no gradient;
    returns the kernels as they are (the rule's penalty step takes their signs)."""
    with torch.no_grad():
        for w, d in zip(kernels, dead):
            if d is not None and w.grad is not None:
                w.grad[d] = 0.0
        return [w.detach().clone() for w in kernels]


def tfp_after(reg: Regularizer, kernels: list[torch.Tensor], before: list[torch.Tensor], lr: float,
              dead: list[torch.Tensor | None]) -> list[torch.Tensor | None]:  # fmt: skip
    """The rule after the step (Regularizer.after_step, tensor by tensor): a dead link stays 0;
    w ← w − αλ·sign(w_before), and a weight this carries strictly across 0 is set to 0 and dies.
    Returns the dead links."""
    out = list(dead)
    with torch.no_grad():
        for i, (w, b) in enumerate(zip(kernels, before)):
            d = dead[i]
            if d is not None:
                w[d] = 0.0
            if not reg.active:
                continue
            stepped = w - (lr * reg.rate) * b.sign()
            crossed = w * stepped < 0
            stepped[crossed] = 0.0
            if d is not None:
                stepped[d] = 0.0
            w.copy_(stepped)
            if bool(crossed.any()):
                out[i] = crossed if d is None else d | crossed
    return out


def proximal_step(reg: Regularizer, kernels: list[torch.Tensor], lr: float) -> None:
    """L1's proximal rule after the optimizer's step: w ← sign(w)·max(|w| − αλ, 0)."""
    if reg.kind != "l1" or reg.l1_rule != "proximal" or not reg.active:
        return
    with torch.no_grad():
        for w in kernels:
            w.copy_((w.abs() - lr * reg.rate).clamp(min=0).copysign(w))
