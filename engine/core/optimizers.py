"""Optimizers with Keras's names and defaults, and either framework's update rules.

By default (`"rules": "torch"`) each step is written as torch.optim's documentation writes it;
`"rules": "keras"` switches to Keras 3's own update (keras/src/optimizers), which differs in
where ε goes and where the learning rate enters a velocity:

| optimizer | torch (default) | keras |
| --- | --- | --- |
| SGD momentum | v ← μv + g;  w ← w − αv | v ← μv − αg;  w ← w + v |
| Nesterov | v ← μv + g;  w ← w − α(g + μv) | v ← μv − αg;  w ← w + μv − αg |
| Adagrad | w ← w − αg / (√s + ε) | w ← w − αg / √(s + ε) |
| RMSprop | w ← w − αg / (√v + ε) | w ← w − αg / √(v + ε) |
| Adam, AdamW | w ← w − α·m̂ / (√v̂ + ε) | w ← w − α·√(1−β₂ᵗ)/(1−β₁ᵗ)·m / (√v + ε) |
| Adadelta | the same in both | |

With a constant learning rate the momentum forms agree; with a schedule they do not. AdamW's
decoupled decay acts on every parameter, biases included, as in both frameworks.

Each works on the network's flat parameter and gradient buffers, so one update is a handful of
NumPy calls whatever the depth, all in place: the products go into two work arrays kept between
steps (a fresh temporary of a 100k-weight model's size cost page faults each step, more than the
arithmetic), in the order the formula writes them, so the numbers are the same bits.
Hyperparameters live in `hp` and may be changed between steps; the next step uses the new values.
`t` counts updates (not samples or epochs).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from .errors import PlaygroundError
from .i18n import N_, _
from .limits import check_number
from .registry import Registry

OPTIMIZERS: Registry[type[Optimizer]] = Registry(N_("optimizer"))


RULES = ("torch", "keras")
#: Each word-valued hyperparameter's choices in the app's words (the identifiers stay in files).
CHOICE_WORDS: dict[str, dict[str, str]] = {"rules": {"torch": N_("PyTorch"), "keras": N_("Keras")}}
#: A hyperparameter's name in words where its key does not say it: what the app's caption shows
#: (captions are upper-cased, so no Greek letters: Β₁ would read as B₁).
KEY_WORDS: dict[str, str] = {
    "rules": N_("update rule"), "initial_accumulator_value": N_("initial accumulator"), "momentum": N_("momentum"),
    "nesterov": N_("nesterov"), "rho": N_("rho"), "epsilon": N_("epsilon"), "beta_1": N_("beta 1"),
    "beta_2": N_("beta 2"), "amsgrad": N_("amsgrad"), "weight_decay": N_("weight decay"),
    "learning_rate": N_("learning rate"),
}  # fmt: skip
#: Every numeric hyperparameter's range: (lo, hi, lo open, hi open). The project validator, the
#: optimizers themselves and the app's fields all read this one table.
HYPERPARAMETER_BOUNDS: dict[str, tuple[float, float, bool, bool]] = {
    "learning_rate": (0.0, 100.0, True, False),
    "momentum": (0.0, 1.0, False, False),
    "beta_1": (0.0, 1.0, False, True),
    "beta_2": (0.0, 1.0, False, True),
    "rho": (0.0, 1.0, False, True),
    "epsilon": (0.0, 1.0, False, False),
    "initial_accumulator_value": (0.0, 1000.0, False, False),
    "weight_decay": (0.0, 10.0, False, False),
}


#: What a hyperparameter does, where every optimizer that has it uses it alike; a value may
#: differ by rules ({"torch": ..., "keras": ...}). Classes override entries in their own `help`.
Help = dict[str, str | dict[str, str]]
COMMON_HELP: Help = {
    "learning_rate": N_("α, the size of each step."),
    "beta_1": N_("β₁: decay of the running mean of gradients, m ← β₁m + (1 − β₁)g."),
    "beta_2": N_("β₂: decay of the running mean of squared gradients, v ← β₂v + (1 − β₂)g²."),
    "weight_decay": N_("λ: decoupled weight decay, w ← w − α·λ·w on every weight and bias (as torch and Keras)."),
}


class Optimizer:
    """Base class. `defaults` are Keras's; `formula` is shown in the app's tooltip; `help` says
    what each hyperparameter does here, under each rules setting where they differ."""

    name = ""
    label = ""
    formula = ""
    defaults: ClassVar[dict[str, Any]] = {}
    #: The allowed values of each hyperparameter that is a word rather than a number.
    choices: ClassVar[dict[str, tuple[str, ...]]] = {"rules": RULES}
    help: ClassVar[Help] = {}

    @classmethod
    def key_words(cls, key: str) -> str:
        """A hyperparameter's caption in words: "update rule" for rules, "β₁" for beta_1."""
        return KEY_WORDS.get(key, key.replace("_", " "))

    @classmethod
    def choice_words(cls, key: str, value: str) -> str:
        """A word-valued hyperparameter's value in words: "PyTorch" for the rules "torch"."""
        return CHOICE_WORDS.get(key, {}).get(value, value)

    @classmethod
    def describe(cls, key: str, rules: str = "torch") -> str:
        """What hyperparameter `key` does in this optimizer under `rules` (the app's tooltips)."""
        text = cls.help.get(key, COMMON_HELP.get(key, ""))
        return text[rules] if isinstance(text, dict) else text

    def __init__(self, **hp: Any) -> None:
        self.hp: dict[str, Any] = dict(self.defaults)
        for key, value in hp.items():
            self.set(key, value)
        self.t = 0
        self.state: dict[str, np.ndarray] = {}
        self._work: list[np.ndarray] = []

    def set(self, key: str, value: Any) -> None:
        """Change a hyperparameter; takes effect at the next step."""
        if key not in self.defaults:
            raise PlaygroundError(
                _("optimizer {name!r} has no hyperparameter {key!r}; it has {defaults}").format(
                    name=self.name, key=key, defaults=', '.join(self.defaults))
            )
        default = self.defaults[key]
        if isinstance(default, str):
            if value not in self.choices[key]:
                raise PlaygroundError(_("{name}.{key} must be one of {choices}, got {value!r}").format(
                                          name=self.name, key=key, choices=', '.join(self.choices[key]),
                                          value=value))
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise PlaygroundError(_("{name}.{key} must be true or false, got {value!r}").format(
                                          name=self.name, key=key, value=value))
        else:
            lo, hi, lo_open, hi_open = HYPERPARAMETER_BOUNDS[key]
            value = check_number(value, f"{self.name}.{key}", lo, hi, lo_open=lo_open, hi_open=hi_open)
        self.hp[key] = value

    def reset(self) -> None:
        """Forget all state (moments, accumulators) and the step count."""
        self.t = 0
        self.state.clear()

    def moments(self) -> dict[str, np.ndarray]:
        """The state as the update's formulas name it (m, v, ...): what the backprop walk shows."""
        return dict(self.state)

    def _buf(self, key: str, like: np.ndarray, fill: float = 0.0) -> np.ndarray:
        buf = self.state.get(key)
        if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
            buf = np.full_like(like, fill)
            self.state[key] = buf
        return buf

    def _scratch(self, like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two work arrays shaped as `like`, kept between steps (not state: nothing to reset or show)."""
        work = self._work
        if not work or work[0].shape != like.shape or work[0].dtype != like.dtype:
            work[:] = [np.empty_like(like), np.empty_like(like)]
        return work[0], work[1]

    @property
    def keras(self) -> bool:
        """Whether Keras's update rule is in use (torch's otherwise)."""
        return self.hp.get("rules") == "keras"

    def step(self, params: np.ndarray, grads: np.ndarray, n_kernel: int, lr: float | None = None) -> None:
        """Update `params` in place from `grads`. The first `n_kernel` entries are kernels (the
        rest biases). `lr` overrides the learning rate (schedules)."""
        self.t += 1
        self._update(params, grads, n_kernel, self.hp["learning_rate"] if lr is None else lr)

    def _update(self, params: np.ndarray, grads: np.ndarray, n_kernel: int, lr: float) -> None:
        raise NotImplementedError


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Plain, momentum or Nesterov gradient descent (torch.optim.SGD with dampening 0, or keras.SGD).

    without momentum:  w ← w − α·g
    momentum μ:        torch v ← μ·v + g;  w ← w − α·v          keras v ← μ·v − α·g;  w ← w + v
    Nesterov:          torch v ← μ·v + g;  w ← w − α·(g + μ·v)  keras v ← μ·v − α·g;  w ← w + μ·v − α·g
    """

    name = "sgd"
    label = N_("SGD")
    formula = N_(
        "w ← w − α·g   (momentum μ: v ← μv + g, w ← w − α·v; Nesterov: w ← w − α·(g + μv)); "
        "Keras rules: v ← μv − αg, w ← w + v"
    )
    defaults: ClassVar[dict[str, Any]] = {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False, "rules": "torch"}
    help: ClassVar[Help] = {
        "momentum": {
            "torch": N_("μ: how much of the previous velocity carries over, v ← μv + g, w ← w − α·v (0: plain SGD)."),
            "keras": N_("μ: how much of the previous velocity carries over, v ← μv − α·g, w ← w + v (0: plain SGD)."),
        },
        "nesterov": {
            "torch": N_("Nesterov: step along the gradient plus the velocity's next push, w ← w − α·(g + μv) "
            "(Sutskever's form of Nesterov's look-ahead)."),
            "keras": N_("Nesterov: step along the velocity's next push plus the gradient, w ← w + μv − α·g "
            "(Sutskever's form of Nesterov's look-ahead)."),
        },
        "rules": N_("Whose update rule: torch.optim's (v ← μv + g; w ← w − α·v: α outside the velocity) or Keras's "
        "(v ← μv − α·g; w ← w + v: α inside it). The steps are the same with a constant rate and differ under a "
        "schedule; without momentum the rules are one."),
    }

    def _update(self, params, grads, n_kernel, lr):
        mu = self.hp["momentum"]
        t, u = self._scratch(params)
        if mu == 0.0:
            params -= np.multiply(grads, lr, out=t)
            return
        v = self._buf("momentum", params)
        v *= mu
        if self.keras:  # the learning rate inside the velocity
            v -= np.multiply(grads, lr, out=t)  # t = α·g
            if self.hp["nesterov"]:
                np.multiply(v, mu, out=u)
                params += np.subtract(u, t, out=u)  # μv − αg
            else:
                params += v
            return
        v += grads
        if self.hp["nesterov"]:
            np.multiply(v, mu, out=t)
            t += grads
            params -= np.multiply(t, lr, out=t)  # α(g + μv)
        else:
            params -= np.multiply(v, lr, out=t)


@OPTIMIZERS.register("momentum")
class Momentum(SGD):
    """SGD with momentum 0.9: v ← μ·v + g;  w ← w − α·v."""

    name = "momentum"
    label = N_("Momentum")
    defaults: ClassVar[dict[str, Any]] = {"learning_rate": 0.01, "momentum": 0.9, "nesterov": False, "rules": "torch"}


@OPTIMIZERS.register("nesterov")
class Nesterov(SGD):
    """SGD with Nesterov momentum 0.9: v ← μ·v + g;  w ← w − α·(g + μ·v)."""

    name = "nesterov"
    label = N_("Nesterov (NAG)")
    defaults: ClassVar[dict[str, Any]] = {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True, "rules": "torch"}


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (torch.optim.Adagrad with lr_decay 0, or keras.Adagrad), accumulator starting at 0.1 as Keras:

    s ← s + g²;  torch w ← w − α·g / (√s + ε);  keras w ← w − α·g / √(s + ε)
    """

    name = "adagrad"
    label = N_("Adagrad")
    formula = N_("s ← s + g²;  w ← w − α·g / (√s + ε)   (Keras rules: / √(s + ε))")
    defaults: ClassVar[dict[str, Any]] = {
        "learning_rate": 0.001,
        "initial_accumulator_value": 0.1,
        "epsilon": 1e-7,
        "rules": "torch",
    }
    help: ClassVar[Help] = {
        "initial_accumulator_value": N_("The starting value of the sum of squared gradients s (Keras's default 0.1; "
        "torch's is 0)."),
        "epsilon": {
            "torch": N_("ε: added to √s, w ← w − α·g / (√s + ε), so the step never divides by zero."),
            "keras": N_("ε: added to s inside the root, w ← w − α·g / √(s + ε), so the step never divides by zero."),
        },
        "rules": N_("Whose update rule: torch.optim's (ε added to √s) or Keras's (ε inside the root, √(s + ε))."),
    }

    def _update(self, params, grads, n_kernel, lr):
        s = self._buf("sum", params, self.hp["initial_accumulator_value"])
        t, u = self._scratch(params)
        s += np.multiply(grads, grads, out=t)
        _step_over_root(params, grads, lr, s, self.hp["epsilon"], self.keras, t, u)


@OPTIMIZERS.register("adadelta")
class Adadelta(Optimizer):
    """Adadelta (torch.optim.Adadelta; keras.Adadelta's rule is the same):

    v ← ρv + (1 − ρ)g²;  Δ ← √(u + ε) / √(v + ε) · g;  u ← ρu + (1 − ρ)Δ²;  w ← w − α·Δ
    """

    name = "adadelta"
    label = N_("Adadelta")
    formula = "v ← ρv + (1−ρ)g²;  Δ = √(u+ε)/√(v+ε)·g;  u ← ρu + (1−ρ)Δ²;  w ← w − α·Δ"
    defaults: ClassVar[dict[str, Any]] = {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7, "rules": "torch"}
    help: ClassVar[Help] = {
        "rho": N_("ρ: decay of both running means, of squared gradients v ← ρv + (1 − ρ)g² and of squared updates "
        "u ← ρu + (1 − ρ)Δ²."),
        "epsilon": N_("ε: inside both roots, Δ = √(u + ε) / √(v + ε)·g. u starts at 0, so ε sets the size of the "
        "first steps: about α·√(ε / (1 − ρ)) each, unless the gradient is tiny."),
        "rules": N_("Adadelta's rule is the same in torch.optim and Keras."),
    }

    def _update(self, params, grads, n_kernel, lr):
        rho, eps = self.hp["rho"], self.hp["epsilon"]
        v = self._buf("square_avg", params)
        u = self._buf("acc_delta", params)
        t, delta = self._scratch(params)
        v *= rho
        np.multiply(grads, 1 - rho, out=t)
        v += np.multiply(t, grads, out=t)  # (1 − ρ)g²
        np.sqrt(np.add(u, eps, out=delta), out=delta)
        np.sqrt(np.add(v, eps, out=t), out=t)
        delta /= t
        delta *= grads  # Δ = √(u + ε) / √(v + ε) · g
        u *= rho
        np.multiply(delta, 1 - rho, out=t)
        u += np.multiply(t, delta, out=t)  # (1 − ρ)Δ²
        params -= np.multiply(delta, lr, out=t)


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop (torch.optim.RMSprop or keras.RMSprop, not centred, no momentum):

    v ← ρv + (1 − ρ)g²;  torch w ← w − α·g / (√v + ε);  keras w ← w − α·g / √(v + ε)
    """

    name = "rmsprop"
    label = N_("RMSprop")
    formula = N_("v ← ρv + (1−ρ)g²;  w ← w − α·g / (√v + ε)   (Keras rules: / √(v + ε))")
    defaults: ClassVar[dict[str, Any]] = {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7, "rules": "torch"}
    help: ClassVar[Help] = {
        "rho": N_("ρ: decay of the running mean of squared gradients, v ← ρv + (1 − ρ)g²."),
        "epsilon": {
            "torch": N_("ε: added to √v, w ← w − α·g / (√v + ε), so the step never divides by zero."),
            "keras": N_("ε: added to v inside the root, w ← w − α·g / √(v + ε), so the step never divides by zero."),
        },
        "rules": N_("Whose update rule: torch.optim's (ε added to √v) or Keras's (ε inside the root, √(v + ε))."),
    }

    def _update(self, params, grads, n_kernel, lr):
        rho, eps = self.hp["rho"], self.hp["epsilon"]
        v = self._buf("square_avg", params)
        t, u = self._scratch(params)
        v *= rho
        np.multiply(grads, 1 - rho, out=t)
        v += np.multiply(t, grads, out=t)  # (1 − ρ)g²
        _step_over_root(params, grads, lr, v, eps, self.keras, t, u)


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam (torch.optim.Adam or keras.Adam), t counting updates:

    m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²   (AMSGrad: v ← v_max = max(v_max, v))
    torch:  m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);  w ← w − α·m̂ / (√v̂ + ε)
    keras:  αₜ = α·√(1 − β₂ᵗ) / (1 − β₁ᵗ);  w ← w − αₜ·m / (√v + ε)   (ε before the bias correction)
    """

    name = "adam"
    label = N_("Adam")
    formula = N_(
        "m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  w ← w − α·m̂/(√v̂ + ε),  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)"
        "   (Keras rules: w ← w − α·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε))"
    )
    defaults: ClassVar[dict[str, Any]] = {
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
        "amsgrad": False,
        "rules": "torch",
    }
    help: ClassVar[Help] = {
        "epsilon": {
            "torch": N_("ε: added to √v̂ (v bias-corrected), w ← w − α·m̂ / (√v̂ + ε), so the step never divides by "
            "zero."),
            "keras": N_("ε: added to √v before the bias correction, w ← w − αₜ·m / (√v + ε); against torch's rule it "
            "acts as ε / √(1 − β₂ᵗ), larger in the first steps (about 32ε at t = 1 with β₂ = 0.999)."),
        },
        "amsgrad": {
            "torch": N_("AMSGrad: v_max ← max(v_max, v), and the step divides by √(v_max / (1 − β₂ᵗ)) + ε. v_max never "
            "decreases, so one large gradient keeps damping later steps; m is not capped, so steps can still grow."),
            "keras": N_("AMSGrad: v̂ ← max(v̂, v), and the step divides by √v̂ + ε, which never decreases; m is not "
            "capped, so steps can still grow."),
        },
        "rules": N_("Whose update rule: torch.optim's (ε added to √v̂, the bias-corrected v) or Keras's (the bias "
        "correction folded into the rate, ε added to √v: a larger ε in effect in the first steps)."),
    }

    #: State kept divided by (1 − β): m̃ = m/(1 − β₁), ṽ = v/(1 − β₂) (and ṽ_max), so that each moment's
    #: update is m̃ ← β₁m̃ + g, ṽ ← β₂ṽ + g²: a pass fewer each over the weights. `moments()` gives m
    #: and v back; a change of β rescales them.
    SCALED: ClassVar[dict[str, str]] = {"m": "beta_1", "v": "beta_2", "v_max": "beta_2"}

    def set(self, key: str, value: Any) -> None:
        old = self.hp.get(key)
        super().set(key, value)
        for name, beta in self.SCALED.items():
            if beta == key and name in getattr(self, "state", {}) and old != self.hp[key]:
                self.state[name] *= (1.0 - old) / (1.0 - self.hp[key])  # the same m and v under the new β

    def moments(self) -> dict[str, np.ndarray]:
        return {name: buf * (1.0 - self.hp[self.SCALED[name]]) if name in self.SCALED else buf
                for name, buf in self.state.items()}  # fmt: skip

    def _update(self, params, grads, n_kernel, lr):
        b1, b2, eps, t = self.hp["beta_1"], self.hp["beta_2"], self.hp["epsilon"], self.t
        m = self._buf("m", params)  # m̃ and ṽ: see SCALED
        v = self._buf("v", params)
        w = self._scratch(params)[0]  # one work array: a smaller footprint in the cache
        m *= b1
        m += grads
        v *= b2
        v += np.multiply(grads, grads, out=w)
        if self.hp["amsgrad"]:
            v_max = self._buf("v_max", params)
            np.maximum(v_max, v, out=v_max)
            v = v_max
        # Both rules step by αₜ·m/(√v + ε′) with αₜ = α·c/(1 − β₁ᵗ), c = √(1 − β₂ᵗ): torch's
        # α·m̂/(√v̂ + ε) is that with ε′ = c·ε (no pass dividing v by its correction), Keras's has ε′ = ε.
        # With m = (1 − β₁)m̃ and √v = s·√ṽ, s = √(1 − β₂): αₜ(1 − β₁)/s · m̃/(√ṽ + ε′/s).
        c, s = math.sqrt(1.0 - b2**t), math.sqrt(1.0 - b2)
        np.sqrt(v, out=w)
        w += (eps if self.keras else c * eps) / s
        np.divide(m, w, out=w)
        w *= lr * c * (1.0 - b1) / ((1.0 - b1**t) * s)
        params -= w


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """AdamW (torch.optim.AdamW or keras.AdamW): decoupled weight decay, then the Adam step:

    w ← w − α·λ·w   (every parameter, biases too, as both frameworks do by default);  then Adam.
    """

    name = "adamw"
    label = N_("AdamW")
    formula = N_("w ← w − α·λ·w (every weight and bias), then the Adam step")
    defaults: ClassVar[dict[str, Any]] = {**Adam.defaults, "weight_decay": 0.004}

    def _update(self, params, grads, n_kernel, lr):
        params *= 1.0 - lr * self.hp["weight_decay"]
        super()._update(params, grads, n_kernel, lr)


def _step_over_root(params: np.ndarray, grads: np.ndarray, lr: float, s: np.ndarray, eps: float, keras: bool,
                    t: np.ndarray, u: np.ndarray) -> None:  # fmt: skip
    """w ← w − α·g / (√s + ε), or / √(s + ε) under Keras's rules (Adagrad's and RMSprop's step),
    in the work arrays t and u."""
    np.multiply(grads, lr, out=t)
    if keras:
        np.sqrt(np.add(s, eps, out=u), out=u)
    else:
        np.sqrt(s, out=u)
        u += eps
    params -= np.divide(t, u, out=t)


def make_optimizer(spec: str | dict[str, Any]) -> Optimizer:
    """An optimizer from a name or ``{"name": ..., **hyperparameters}`` (others take defaults).
    Older Keras's `lr` is read as learning_rate; its `decay` is a schedule, which an optimizer
    alone does not have: refused, saying so."""
    if isinstance(spec, str):
        spec = {"name": spec}
    params = dict(spec)
    if "decay" in params:
        raise PlaygroundError(_("decay is older Keras's time-based decay, lr / (1 + decay·iterations); here it is a "
                                'learning-rate schedule, training.schedule {"name": "inverse_time", "decay_rate": '
                                'd, "decay_steps": 1}, which an optimizer alone does not take'))  # fmt: skip
    params = legacy_keys(params, "optimizer")[0]
    name = params.pop("name", None)
    return OPTIMIZERS.get(name)(**params)


# ----------------------------------------------------------------- learning-rate schedules
SCHEDULES: Registry[Any] = Registry(N_("learning-rate schedule"))
SCHEDULE_DEFAULTS: dict[str, dict[str, float]] = {
    "constant": {},
    "exponential": {"decay_rate": 0.96, "decay_steps": 1000},
    "step": {"drop": 0.5, "step_size": 1000},
    "cosine": {"decay_steps": 10000, "alpha": 0.0},
    "inverse_time": {"decay_rate": 0.5, "decay_steps": 1000},
}
#: The allowed range (lo, hi) of every schedule parameter: outside it a schedule freezes training
#: (α → 0) or blows it up (cosine's alpha of 1e308 gave an infinite rate).
SCHEDULE_BOUNDS: dict[str, tuple[float, float]] = {
    "decay_rate": (1e-6, 1.0),
    "decay_steps": (1.0, 1e9),
    "drop": (1e-6, 1.0),
    "step_size": (1.0, 1e9),
    "alpha": (0.0, 1.0),
}
SCHEDULE_FORMULAS = {
    "constant": "α_t = α",
    "exponential": "α_t = α · decay_rate^(t / decay_steps)",
    "step": "α_t = α · drop^⌊t / step_size⌋",
    "cosine": "α_t = α · ((1 − a)·½(1 + cos(π·min(t, T)/T)) + a),  T = decay_steps",
    "inverse_time": N_("α_t = α / (1 + decay_rate · t / decay_steps)   (Keras's InverseTimeDecay; older Keras's "
                       "decay=d is decay_rate d, decay_steps 1)"),
}
#: A schedule parameter's caption in words (its key said plainly).
SCHEDULE_KEY_WORDS = {"decay_rate": N_("decay rate"), "decay_steps": N_("decay steps"), "drop": N_("drop"),
                      "step_size": N_("step size"), "alpha": N_("alpha")}


@SCHEDULES.register("constant", N_("Constant"))
def constant(lr: float, t: int) -> float:
    return lr


@SCHEDULES.register("exponential", N_("Exponential decay"))
def exponential(lr: float, t: int, decay_rate: float = 0.96, decay_steps: float = 1000) -> float:
    return lr * decay_rate ** (t / decay_steps)


@SCHEDULES.register("step", N_("Step decay"))
def step_decay(lr: float, t: int, drop: float = 0.5, step_size: float = 1000) -> float:
    return lr * drop ** math.floor(t / step_size)


@SCHEDULES.register("cosine", N_("Cosine decay"))
def cosine(lr: float, t: int, decay_steps: float = 10000, alpha: float = 0.0) -> float:
    progress = min(t, decay_steps) / decay_steps
    return lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * progress)) + alpha)


@SCHEDULES.register("inverse_time", N_("Inverse time decay"))
def inverse_time(lr: float, t: int, decay_rate: float = 0.5, decay_steps: float = 1000) -> float:
    return lr / (1 + decay_rate * t / decay_steps)


def scheduled_lr(spec: dict[str, Any] | None, lr: float, t: int) -> float:
    """The learning rate for update number t (0-based) under schedule `spec`."""
    if not spec or spec.get("name", "constant") == "constant":
        return lr
    params = dict(spec)
    fn = SCHEDULES.get(params.pop("name"))
    return fn(lr, t, **params)


SCHEDULES.alias("exponential", "exponential_decay")
SCHEDULES.alias("cosine", "cosine_decay")
SCHEDULES.alias("inverse_time", "inverse_time_decay")


def legacy_keys(spec: dict[str, Any], where: str = "training.optimizer") -> tuple[dict[str, Any], dict[str, Any] | None,
                                                                                   list[str]]:  # fmt: skip
    """Older Keras's optimizer arguments read as today's: `lr` is `learning_rate`; `decay` (the
    rate lr / (1 + decay·iterations), iterations counting updates) is the inverse_time schedule
    with decay_rate = decay and decay_steps = 1, which gives the same rates. Returns the spec
    without them, the schedule `decay` implies (None if it implies none) and a note for each."""
    spec, notes, schedule = dict(spec), [], None
    if "lr" in spec:
        lr = spec.pop("lr")
        if "learning_rate" in spec and spec["learning_rate"] != lr:
            raise PlaygroundError(_("{where}.lr ({lr!r}) and {where}.learning_rate ({learning_rate!r}) disagree: lr "
                                    "is older Keras's name for learning_rate; keep one").format(
                                      where=where, lr=lr, learning_rate=spec['learning_rate']))  # fmt: skip
        spec["learning_rate"] = lr
        notes.append(_("{where}.lr is older Keras's name for learning_rate (Keras 3 knows only learning_rate): "
                       "read as learning_rate").format(where=where))  # fmt: skip
    if "decay" in spec:
        decay = spec.pop("decay")
        lo, hi = SCHEDULE_BOUNDS["decay_rate"]
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not (decay == 0 or lo <= decay <= hi):
            raise PlaygroundError(_("{where}.decay (older Keras's lr / (1 + decay·iterations)) must be 0 or a "
                                    "number from {lo:g} to {hi:g}, got {decay!r}").format(
                                      where=where, lo=lo, hi=hi, decay=decay))  # fmt: skip
        if decay == 0:
            notes.append(_("{where}.decay is older Keras's time-based decay, lr / (1 + decay·iterations) with "
                           "iterations counting updates; 0 is no decay, so it was left out").format(where=where))
        else:
            schedule = {"name": "inverse_time", "decay_rate": float(decay), "decay_steps": 1}
            notes.append(_("{where}.decay is older Keras's time-based decay, lr / (1 + decay·iterations) with "
                           "iterations counting updates: read as training.schedule {schedule}, the same rates "
                           "(Keras 3's InverseTimeDecay)").format(
                             where=where, schedule=f'{{"name": "inverse_time", "decay_rate": {decay:g}, '
                                                   '"decay_steps": 1}'))  # fmt: skip
    return spec, schedule, notes
