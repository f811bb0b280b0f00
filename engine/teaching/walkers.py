"""What gradient descent is compared with on the test surfaces (CS231n lecture 3): random local
search, which never looks at a gradient, and the forward-difference numerical gradient beside
the analytic one.

`RandomSearch` walks like `surfaces.Walker` (the optimizer paths draw either): each step it
tries `tries` random points p + σ·ε with ε ~ N(0, I) and moves to the best of them only if f is
lower there. `make_walker` picks the walker a lane's spec names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.registry import spec_name
from .surfaces import Surface, Walker, get_surface

RANDOM_SEARCH = "random_search"


class RandomSearch(Walker):
    """Random local search on a surface, seeded: the same spec walks the same path."""

    name = RANDOM_SEARCH
    label = N_("Random search")
    formula = N_(
        "try p + σ·ε with ε ~ N(0, I), `tries` times a step; move to the best try only if f is lower "
        "there (CS231n's random local search: no gradient at all)"
    )
    defaults: ClassVar[dict[str, Any]] = {"step_size": 0.1, "tries": 1, "seed": 0}
    #: Each setting's range, inclusive; tries and seed are whole numbers.
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "step_size": (1e-6, 100.0), "tries": (1, 1000), "seed": (0, 2**32 - 1),
    }  # fmt: skip

    help: ClassVar[dict[str, str]] = {
        "step_size": N_("σ: how far a random try reaches (each coordinate moves by σ times a standard normal)"),
        "tries": N_("random points tried each step; the lowest is taken if it is below the current value"),
        "seed": N_("the random generator's seed: the same seed walks the same path"),
    }
    #: Each setting's caption in words (the catalog's message; the identifier is the key).
    words: ClassVar[dict[str, str]] = {"step_size": N_("step size σ"), "tries": N_("tries"), "seed": N_("seed")}

    @classmethod
    def key_words(cls, key: str) -> str:
        """A setting's caption in words, as an optimizer's (translate it where shown)."""
        return cls.words.get(key, key.replace("_", " "))

    @classmethod
    def describe(cls, key: str, rules: str = "torch") -> str:
        """What setting `key` does (the same call as an optimizer's; there are no rules to choose)."""
        return cls.help.get(key, "")

    def __init__(
        self,
        surface: Surface | str,
        spec: dict[str, Any] | None = None,
        start: tuple[float, float] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.surface = get_surface(surface) if isinstance(surface, str) else surface
        self.params = self.surface.checked_params(params)
        self.hp = self.checked(spec or {})
        start = self.surface.start if start is None else start
        if len(start) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in start):
            raise PlaygroundError(_("a start point is two finite numbers x,y; got {start!r}").format(start=start))
        self.position = np.array(start, dtype=np.float64)
        self.points: list[tuple[float, float]] = [(float(start[0]), float(start[1]))]
        self.values: list[float] = [float(self.surface.f(*self.position, self.params))]
        self.diverged_at: int | None = None  # never set: a try that is not finite is never taken
        if not math.isfinite(self.values[0]):
            raise PlaygroundError(_("{name} is not finite at the start point {start!r}").format(
                                      name=self.surface.name, start=start))
        self.rng = np.random.default_rng(self.hp["seed"])
        self.accepted = 0  # steps that moved
        self.evaluations = 1  # values of f computed, the start's included

    @classmethod
    def checked(cls, spec: dict[str, Any]) -> dict[str, Any]:
        """The spec's settings over the defaults, each in its range ("name" may be given)."""
        out = dict(cls.defaults)
        for key, value in spec.items():
            if key == "name":
                if value != RANDOM_SEARCH:
                    raise PlaygroundError(_("a random search spec is named {random_search!r}, got {value!r}").format(
                                              random_search=RANDOM_SEARCH, value=value))
                continue
            if key not in cls.defaults:
                raise PlaygroundError(_("random search has no setting {key!r}; it has {defaults}").format(
                                          key=key, defaults=', '.join(cls.defaults)))
            lo, hi = cls.bounds[key]
            whole = isinstance(cls.defaults[key], int)
            fits = isinstance(value, int if whole else (int, float)) and not isinstance(value, bool)
            if not fits or not lo <= value <= hi:
                if whole:
                    raise PlaygroundError(_("random_search.{key} must be a whole number from {lo:g} to {hi:g}, got "
                                            "{value!r}").format(key=key, lo=lo, hi=hi, value=value))
                raise PlaygroundError(_("random_search.{key} must be a number from {lo:g} to {hi:g}, got {value!r}")
                                        .format(key=key, lo=lo, hi=hi, value=value))
            out[key] = int(value) if whole else float(value)
        return out

    def step(self, n: int = 1) -> int:
        """n steps: each tries `tries` points and keeps the best if it is lower (the point repeats otherwise)."""
        sigma, tries = self.hp["step_size"], self.hp["tries"]
        for __ in range(n):
            trial = self.position + sigma * self.rng.standard_normal((tries, 2))
            values = np.asarray(self.surface.f(trial[:, 0], trial[:, 1], self.params), dtype=np.float64)
            self.evaluations += tries
            values = np.where(np.isfinite(values), values, np.inf)
            best = int(np.argmin(values))
            if values[best] < self.values[-1]:
                self.position = trial[best].copy()
                self.values.append(float(values[best]))
                self.accepted += 1
            else:
                self.values.append(self.values[-1])
            self.points.append((float(self.position[0]), float(self.position[1])))
        return n

    def hyperparameters(self) -> dict[str, Any]:
        return {"name": RANDOM_SEARCH, **self.hp}


def default_step(surface: Surface) -> float:
    """The step size random search starts with on `surface`: 2% of its plot's width."""
    x0, x1, _y0, _y1 = surface.extent
    return float(f"{0.02 * (x1 - x0):.2g}")


def make_walker(
    surface: Surface | str,
    spec: str | dict[str, Any],
    start: tuple[float, float] | None = None,
    params: dict[str, Any] | None = None,
) -> Walker:
    """The walker `spec` names: random search, or one of the engine's optimizers."""
    name = spec_name(spec)
    if name == RANDOM_SEARCH:
        return RandomSearch(surface, spec if isinstance(spec, dict) else {}, start, params)
    return Walker(surface, spec, start, params)


@dataclass(frozen=True)
class FiniteDifference:
    """The forward-difference gradient at (x, y) with every number it is made of, beside the exact one."""

    x: float
    y: float
    h: float
    f: float  # f(x, y)
    f_x: float  # f(x + h, y)
    f_y: float  # f(x, y + h)
    analytic: tuple[float, float]

    @property
    def numeric(self) -> tuple[float, float]:
        """((f(x + h, y) − f(x, y)) / h, (f(x, y + h) − f(x, y)) / h)."""
        return (self.f_x - self.f) / self.h, (self.f_y - self.f) / self.h

    @property
    def relative_error(self) -> tuple[float, float]:
        """|a − n| / max(|a|, |n|) per coordinate (CS231n's gradient-check measure; 0 when both are 0)."""
        out = []
        for a, n in zip(self.analytic, self.numeric):
            top = max(abs(a), abs(n))
            out.append(abs(a - n) / top if top > 0 else 0.0)
        return out[0], out[1]


def forward_difference(
    surface: Surface | str, x: float, y: float, h: float = 1e-5, params: dict[str, Any] | None = None
) -> FiniteDifference:
    """f at (x, y), (x + h, y) and (x, y + h), and the exact gradient there."""
    s = get_surface(surface) if isinstance(surface, str) else surface
    if isinstance(h, bool) or not isinstance(h, (int, float)) or not 0 < h <= 10:
        raise PlaygroundError(_("the step h must be above 0 and at most 10, got {h!r}").format(h=h))
    p = s.checked_params(params)
    gx, gy = s.grad(x, y, p)
    return FiniteDifference(float(x), float(y), float(h), float(s.f(x, y, p)), float(s.f(x + h, y, p)),
                            float(s.f(x, y + h, p)), (float(gx), float(gy)))  # fmt: skip
