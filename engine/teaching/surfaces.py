"""Two-parameter test surfaces and the paths the engine's optimizers take on them.

Each surface is a descriptor in `SURFACES`: its value and exact gradient (vectorised, so one
call colours a whole contour plot), the window worth looking at, a start point that shows
something, its minima, and whether its contours read better on a log scale. A `Walker` steps
one of the engine's own optimizers (the same classes, hyperparameters and update rules that
train the networks) over a surface, two numbers standing in for a network's flat buffer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.optimizers import Optimizer, make_optimizer
from ..core.registry import Registry

Array = np.ndarray
MAX_PATH_STEPS = 100_000


@dataclass(frozen=True)
class Surface:
    """A function of (x, y) with its gradient and what the app needs to show it."""

    name: str
    title: str
    formula: str
    value: Callable[..., Array]  # value(x, y, **params), x and y arrays of one shape
    gradient: Callable[..., tuple[Array, Array]]  # (∂f/∂x, ∂f/∂y) at (x, y)
    extent: tuple[float, float, float, float]  # x0, x1, y0, y1 of the plot
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    log_levels: bool  # contours of log(f − f_min) read better than of f
    note: str  # what to look at
    params: dict[str, float] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: A learning rate per optimizer that shows this surface well (Keras's defaults are tuned for
    #: networks: SGD's 0.01 leaves Rosenbrock's valley at once, Adam's 0.001 barely moves).
    rates: dict[str, float] = field(default_factory=dict)

    def rate(self, optimizer: str) -> float:
        """The learning rate the app starts `optimizer` with on this surface."""
        return self.rates.get(optimizer) or make_optimizer(optimizer).hp["learning_rate"]

    def checked_params(self, params: dict[str, Any] | None) -> dict[str, float]:
        """The surface's parameters with `params` over its defaults, each in its range."""
        out = dict(self.params)
        for key, value in (params or {}).items():
            if key not in self.params:
                if not self.params:
                    raise PlaygroundError(_("surface {name!r} has no parameter {key!r}; it has none").format(
                                              name=self.name, key=key))
                raise PlaygroundError(_("surface {name!r} has no parameter {key!r}; it has {params}").format(
                                          name=self.name, key=key, params=", ".join(self.params)))
            lo, hi = self.bounds[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise PlaygroundError(_("{name}.{key} must be a number from {lo:g} to {hi:g}, got {value!r}").format(
                                          name=self.name, key=key, lo=lo, hi=hi, value=value))
            out[key] = float(value)
        return out

    def f(self, x: Any, y: Any, params: dict[str, float] | None = None) -> Array:
        with np.errstate(over="ignore", invalid="ignore"):
            return self.value(np.asarray(x, float), np.asarray(y, float), **(params or self.params))

    def grad(self, x: Any, y: Any, params: dict[str, float] | None = None) -> tuple[Array, Array]:
        with np.errstate(over="ignore", invalid="ignore"):
            return self.gradient(np.asarray(x, float), np.asarray(y, float), **(params or self.params))

    def lowest(self, params: dict[str, float] | None = None) -> float:
        """The smallest value at the listed minima (what log-scaled contours count from)."""
        return float(min(self.f(mx, my, params) for mx, my in self.minima))


SURFACES: Registry[Surface] = Registry(N_("surface"))


def _add(surface: Surface) -> Surface:
    SURFACES.register(surface.name)(surface)
    return surface


def _quadratic(x: Array, y: Array, a: float, b: float) -> Array:
    return 0.5 * (a * x * x + b * y * y)


def _quadratic_grad(x: Array, y: Array, a: float, b: float) -> tuple[Array, Array]:
    return a * x, b * y


_add(Surface(
    "quadratic", N_("Ill-conditioned bowl"), "f = ½(a·x² + b·y²)",
    _quadratic, _quadratic_grad, (-5.0, 5.0, -3.0, 3.0), (-4.5, 2.0), ((0.0, 0.0),), True,
    N_("Condition number b/a: plain gradient descent zig-zags across the steep direction while it moves along "
    "the shallow one; momentum swings past the minimum and spirals in; Adam's first steps are the same size in "
    "both directions (it divides by √v), and it overshoots too, by less."),
    {"a": 1.0, "b": 10.0}, {"a": (0.01, 100.0), "b": (0.01, 100.0)},
    rates=dict(sgd=0.17, momentum=0.02, nesterov=0.02, adagrad=1.0, rmsprop=0.05, adam=0.1),
))  # fmt: skip


def _rosenbrock(x: Array, y: Array) -> Array:
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_grad(x: Array, y: Array) -> tuple[Array, Array]:
    r = y - x * x
    return -2 * (1 - x) - 400 * x * r, 200 * r


_add(Surface(
    "rosenbrock", N_("Rosenbrock's valley"), "f = (1 − x)² + 100·(y − x²)²",
    _rosenbrock, _rosenbrock_grad, (-2.0, 2.0, -1.0, 3.0), (-1.5, 2.0), ((1.0, 1.0),), True,
    N_("A narrow curved valley: finding it is easy, following it to the minimum at (1, 1) is slow."),
    rates=dict(sgd=0.001, momentum=0.001, nesterov=0.001, adagrad=0.5, rmsprop=0.01, adam=0.05),
))  # fmt: skip


def _beale_terms(x: Array, y: Array) -> tuple[Array, Array, Array]:
    return 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y**3


def _beale(x: Array, y: Array) -> Array:
    a, b, c = _beale_terms(x, y)
    return a * a + b * b + c * c


def _beale_grad(x: Array, y: Array) -> tuple[Array, Array]:
    a, b, c = _beale_terms(x, y)
    gx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y**3 - 1)
    gy = 2 * a * x + 2 * b * (2 * x * y) + 2 * c * (3 * x * y * y)
    return gx, gy


_add(Surface(
    "beale", N_("Beale's function"), "f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
    _beale, _beale_grad, (-4.5, 4.5, -4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),), True,
    N_("Flat plateaus beside steep walls (the surface of Ruder's optimizer figures); the minimum is at (3, 0.5)."),
    rates=dict(sgd=0.01, momentum=0.002, nesterov=0.002, adagrad=0.5, rmsprop=0.01, adam=0.05),
))  # fmt: skip


def _saddle(x: Array, y: Array) -> Array:
    return x * x - y * y


def _saddle_grad(x: Array, y: Array) -> tuple[Array, Array]:
    return 2 * x, -2 * y


_add(Surface(
    "saddle", N_("Saddle point"), "f = x² − y²",
    _saddle, _saddle_grad, (-2.0, 2.0, -2.0, 2.0), (-1.8, 0.001), ((0.0, 0.0),), False,
    N_("Started almost on the ridge, the gradient barely points away from the saddle at (0, 0): plain "
    "gradient descent lingers there, adaptive methods escape sooner. It has no minimum."),
    rates=dict(sgd=0.01, momentum=0.005, nesterov=0.005, adagrad=0.05, rmsprop=0.005, adam=0.01),
))  # fmt: skip


def _himmelblau(x: Array, y: Array) -> Array:
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _himmelblau_grad(x: Array, y: Array) -> tuple[Array, Array]:
    p, q = x * x + y - 11, x + y * y - 7
    return 4 * x * p + 2 * q, 2 * p + 4 * y * q


_add(Surface(
    "himmelblau", N_("Himmelblau's function"), "f = (x² + y − 11)² + (x + y² − 7)²",
    _himmelblau, _himmelblau_grad, (-5.0, 5.0, -5.0, 5.0), (-0.3, -0.9),
    ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)), True,
    N_("Four minima of equal depth: which one an optimizer reaches depends on its start and its momentum."),
    rates=dict(sgd=0.003, momentum=0.001, nesterov=0.001, adagrad=0.3, rmsprop=0.01, adam=0.05),
))  # fmt: skip


def _camel(x: Array, y: Array) -> Array:
    x2, y2 = x * x, y * y
    return (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (-4 + 4 * y2) * y2


def _camel_grad(x: Array, y: Array) -> tuple[Array, Array]:
    x2, y2 = x * x, y * y
    return 8 * x - 8.4 * x2 * x + 2 * x2 * x2 * x + y, x - 8 * y + 16 * y2 * y


_add(Surface(
    "camel", N_("Six-hump camel"), "f = (4 − 2.1x² + x⁴/3)·x² + xy + (4y² − 4)·y²",
    _camel, _camel_grad, (-2.0, 2.0, -1.2, 1.2), (1.2, 1.0),
    ((0.0898, -0.7126), (-0.0898, 0.7126), (-1.7036, 0.7961), (1.7036, -0.7961), (-1.6071, -0.5687),
     (1.6071, 0.5687)), False,
    N_("Six minima, two of them global (f ≈ −1.03 near (±0.09, ∓0.71)): a small step settles in the nearest "
    "one, momentum can roll past a shallow one."),
    rates=dict(sgd=0.01, momentum=0.01, nesterov=0.01, adagrad=0.3, rmsprop=0.01, adam=0.05),
))  # fmt: skip
SURFACES.alias("camel", "six_hump_camel", "sixhumpcamel")


def get_surface(name: str) -> Surface:
    return SURFACES.get(name)


class Walker:
    """One optimizer walking a surface from a start point, one update per `step()`.

    The optimizer sees the point as a 2-element parameter buffer and the exact gradient as its
    gradient, so its state (momentum, Adam's moments) evolves exactly as on a network. A step
    that leaves the finite numbers ends the walk (`diverged_at`) and keeps the last finite point.
    """

    def __init__(
        self,
        surface: Surface | str,
        optimizer: str | dict[str, Any] | Optimizer,
        start: tuple[float, float] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.surface = get_surface(surface) if isinstance(surface, str) else surface
        self.params = self.surface.checked_params(params)
        self.optimizer = optimizer if isinstance(optimizer, Optimizer) else make_optimizer(optimizer)
        start = self.surface.start if start is None else start
        if len(start) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in start):
            raise PlaygroundError(_("a start point is two finite numbers x,y; got {start!r}").format(start=start))
        self.position = np.array(start, dtype=np.float64)
        self._grad = np.zeros(2)
        self.points: list[tuple[float, float]] = [(float(start[0]), float(start[1]))]
        self.values: list[float] = [float(self.surface.f(*self.position, self.params))]
        self.diverged_at: int | None = None
        if not math.isfinite(self.values[0]):
            raise PlaygroundError(_("{name} is not finite at the start point {start!r}").format(
                                      name=self.surface.name, start=start))

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    @property
    def stopped(self) -> bool:
        return self.diverged_at is not None

    def gradient(self) -> tuple[float, float]:
        """∇f at the current point."""
        gx, gy = self.surface.grad(*self.position, self.params)
        return float(gx), float(gy)

    def speed(self) -> float:
        """The length of the last step (0 before the first)."""
        if len(self.points) < 2:
            return 0.0
        (x0, y0), (x1, y1) = self.points[-2], self.points[-1]
        return math.hypot(x1 - x0, y1 - y0)

    def step(self, n: int = 1) -> int:
        """Up to n updates; returns how many were taken (fewer once the walk diverges)."""
        taken = 0
        for __ in range(n):
            if self.diverged_at is not None:
                break
            self._grad[:] = self.gradient()
            trial = self.position.copy()
            with np.errstate(over="ignore", invalid="ignore"):
                self.optimizer.step(trial, self._grad, n_kernel=2)
            value = float(self.surface.f(*trial, self.params)) if np.all(np.isfinite(trial)) else math.nan
            if not math.isfinite(value):
                self.diverged_at = self.steps + 1
                break
            self.position = trial
            self.points.append((float(trial[0]), float(trial[1])))
            self.values.append(value)
            taken += 1
        return taken

    def hyperparameters(self) -> dict[str, Any]:
        """The optimizer's name and every hyperparameter, defaults filled in."""
        return {"name": self.optimizer.name, **self.optimizer.hp}


def optimizer_path(
    surface: str,
    optimizer: str | dict[str, Any],
    start: tuple[float, float] | None = None,
    steps: int = 300,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The path as plain data: {"function", "optimizer", "points", "values"} with the start point
    first (steps + 1 points), and "diverged_at" when a step left the finite numbers."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= MAX_PATH_STEPS:
        raise PlaygroundError(_("steps must be 0 to {max_path_steps:,}, got {steps!r}").format(
                                  max_path_steps=MAX_PATH_STEPS, steps=steps))
    walker = Walker(surface, optimizer, start, params)
    walker.step(steps)
    out: dict[str, Any] = {
        "function": walker.surface.name,
        "optimizer": walker.hyperparameters(),
        "points": [list(p) for p in walker.points],
        "values": walker.values,
    }
    if walker.diverged_at is not None:
        out["diverged_at"] = walker.diverged_at
    return out
