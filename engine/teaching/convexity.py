"""Why logistic regression uses cross-entropy: its loss over (w, b) is convex, the same model's
squared error is not (Ng's argument, made visible).

The model is ŷ = σ(w·x + b) on a small 1-D data set. With z = w·x + b and s = σ(z):

- cross-entropy  L = mean(ln(1 + e^z) − y·z)  (the registered binary_crossentropy),
  ∂L/∂z = s − y, ∂²L/∂z² = s(1 − s) ≥ 0;
- squared error  L = mean((s − y)²)  (the registered mse, no ½),
  ∂L/∂z = 2(s − y)·s(1 − s), ∂²L/∂z² = 2s²(1 − s)² + 2(s − y)·s(1 − s)(1 − 2s), which is
  negative wherever a point is on the wrong side and s is past ½ towards it.

z is linear in (w, b), so the Hessian is mean(∂²L/∂z² · [x, 1][x, 1]ᵀ): a sum of positive
semi-definite matrices for cross-entropy (convex everywhere), and not for squared error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.activations import sigmoid
from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.registry import Registry

Array = np.ndarray
KINDS = ("cross_entropy", "squared_error")
TITLES = {"cross_entropy": N_("Cross-entropy"), "squared_error": N_("Squared error")}
FORMULAS = {
    "cross_entropy": "L = −mean(y·ln ŷ + (1 − y)·ln(1 − ŷ)),  ŷ = σ(w·x + b)",
    "squared_error": "L = mean((ŷ − y)²),  ŷ = σ(w·x + b)",
}
MAX_POINTS = 100
NEWTON_STEPS = 60


@dataclass(frozen=True)
class PointSet:
    """A small 1-D data set: inputs x, labels y in {0, 1}, and what it shows."""

    name: str
    title: str
    x: tuple[float, ...]
    y: tuple[int, ...]
    note: str


CONVEXITY_DATA: Registry[PointSet] = Registry(N_("convexity data set"))


def _add(p: PointSet) -> None:
    CONVEXITY_DATA.register(p.name)(p)


_add(PointSet(
    "overlapping", N_("Overlapping classes"), (-3, -2, -1, 0, 1, 2, 3, 6), (0, 0, 0, 1, 0, 1, 1, 0),
    N_("Mostly 0 on the left and 1 on the right, with a 0 far out at x = 6: squared error has two separate "
    "minima here, cross-entropy one."),
))  # fmt: skip
_add(PointSet(
    "separable", N_("Separable classes"), (-3, -2, -1, 1, 2, 3), (0, 0, 0, 1, 1, 1),
    N_("A threshold between −1 and 1 separates the classes: both losses fall for ever as w grows (no finite "
    "minimum), but only cross-entropy's surface is convex."),
))  # fmt: skip


def check_points(x: object, y: object) -> tuple[Array, Array]:
    """x as floats and y as 0/1 floats, one label per input, or why not."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xa.ndim != 1 or not 2 <= xa.size <= MAX_POINTS:
        raise PlaygroundError(_("give 2 to {max_points} inputs x, got {size}").format(
                                  max_points=MAX_POINTS, size=xa.size))
    if ya.shape != xa.shape:
        raise PlaygroundError(_("give one label per input: {size} inputs, {ya_size} labels").format(
                                  size=xa.size, ya_size=ya.size))
    if not np.all(np.isfinite(xa)) or np.max(np.abs(xa)) > 1e3:
        raise PlaygroundError(_("every input x must be a number from −1000 to 1000"))
    if not np.all((ya == 0) | (ya == 1)):
        raise PlaygroundError(_("every label y must be 0 or 1"))
    return xa, ya


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise PlaygroundError(_("the loss is one of {kinds}, got {kind!r}").format(
                                  kinds=', '.join(KINDS), kind=kind))
    return kind


def _z(w: Array, b: Array, x: Array) -> Array:
    """z for every (w, b) (any shape) and every point: shape (..., n)."""
    return np.asarray(w, dtype=np.float64)[..., None] * x + np.asarray(b, dtype=np.float64)[..., None]


def _sigmoid(z: Array) -> Array:
    return sigmoid(np.array(z, dtype=np.float64))  # the engine's σ (a copy: it works in place)


def loss(kind: str, w: Array | float, b: Array | float, x: Array, y: Array) -> Array:
    """L at every (w, b)."""
    z = _z(w, b, x)
    if _kind(kind) == "cross_entropy":
        return np.mean(np.logaddexp(0.0, z) - y * z, axis=-1)
    s = _sigmoid(z)
    return np.mean((s - y) ** 2, axis=-1)


def _derivatives(kind: str, z: Array, y: Array) -> tuple[Array, Array]:
    """∂L_i/∂z and ∂²L_i/∂z² per point."""
    s = _sigmoid(z)
    slope = s * (1 - s)
    if _kind(kind) == "cross_entropy":
        return s - y, slope
    return 2 * (s - y) * slope, 2 * slope * slope + 2 * (s - y) * slope * (1 - 2 * s)


def gradient(kind: str, w: Array | float, b: Array | float, x: Array, y: Array) -> tuple[Array, Array]:
    """(∂L/∂w, ∂L/∂b) at every (w, b)."""
    d1, _ = _derivatives(kind, _z(w, b, x), y)
    return np.mean(d1 * x, axis=-1), np.mean(d1, axis=-1)


def hessian(kind: str, w: Array | float, b: Array | float, x: Array, y: Array) -> tuple[Array, Array, Array]:
    """(∂²L/∂w², ∂²L/∂w∂b, ∂²L/∂b²) at every (w, b)."""
    _, d2 = _derivatives(kind, _z(w, b, x), y)
    return np.mean(d2 * x * x, axis=-1), np.mean(d2 * x, axis=-1), np.mean(d2, axis=-1)


def eigenvalues(hww: Array, hwb: Array, hbb: Array) -> tuple[Array, Array]:
    """The Hessian's two eigenvalues (smaller first) in closed form, for every point at once."""
    mid, half = (hww + hbb) / 2, np.sqrt(((hww - hbb) / 2) ** 2 + hwb**2)
    return mid - half, mid + half


@dataclass(frozen=True)
class Minimum:
    w: float
    b: float
    value: float


@dataclass(frozen=True)
class Surface2D:
    """One loss on a (w, b) grid: its values and the Hessian's smaller eigenvalue everywhere."""

    kind: str
    w: Array  # (n,) the grid's w values
    b: Array  # (m,) its b values
    values: Array  # (m, n)
    lowest_eigenvalue: Array  # (m, n)
    minima: list[Minimum]

    @property
    def negative_share(self) -> float:
        """The share of the grid where the Hessian has a negative eigenvalue (the surface bends down)."""
        return float(np.mean(self.lowest_eigenvalue < 0))


def local_minima(kind: str, x: Array, y: Array, values: Array, w: Array, b: Array) -> list[Minimum]:
    """Strict local minima: each grid point lower than its eight neighbours is refined by Newton's
    method and kept if the gradient vanishes there (below 1e-9), the Hessian is positive definite
    and it stays on the grid; duplicates are merged, the lowest first."""
    inner = values[1:-1, 1:-1]
    low = np.ones(inner.shape, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                low &= inner < values[1 + dy : values.shape[0] - 1 + dy, 1 + dx : values.shape[1] - 1 + dx]
    found: list[Minimum] = []
    for i, j in np.argwhere(low):
        p = np.array([w[j + 1], b[i + 1]])
        for __ in range(NEWTON_STEPS):
            gw, gb = gradient(kind, p[0], p[1], x, y)
            hww, hwb, hbb = hessian(kind, p[0], p[1], x, y)
            det = hww * hbb - hwb * hwb
            if not det > 0 or not hww > 0:
                break
            p = p - np.array([hbb * gw - hwb * gb, hww * gb - hwb * gw]) / det
        gw, gb = gradient(kind, p[0], p[1], x, y)
        lo, _hi = eigenvalues(*hessian(kind, p[0], p[1], x, y))
        inside = w[0] <= p[0] <= w[-1] and b[0] <= p[1] <= b[-1]
        if math.hypot(gw, gb) < 1e-9 and lo > 0 and inside:
            if not any(abs(m.w - p[0]) < 1e-6 and abs(m.b - p[1]) < 1e-6 for m in found):
                found.append(Minimum(float(p[0]), float(p[1]), float(loss(kind, p[0], p[1], x, y))))
    return sorted(found, key=lambda m: m.value)


def surface(kind: str, x: object, y: object, span: float = 4.0, points: int = 201) -> Surface2D:
    """The loss `kind` on w, b in [−span, span] (`points` a side) with its curvature and minima."""
    xa, ya = check_points(x, y)
    if not 0.1 <= span <= 100 or not 11 <= points <= 801:
        raise PlaygroundError(_("the grid spans 0.1 to 100 with 11 to 801 points a side, got {span!r}, {points!r}")
                                .format(span=span, points=points))
    w = np.linspace(-span, span, points)
    b = np.linspace(-span, span, points)
    gw, gb = np.meshgrid(w, b)
    values = loss(kind, gw, gb, xa, ya)
    lowest, __ = eigenvalues(*hessian(kind, gw, gb, xa, ya))
    return Surface2D(kind, w, b, values, lowest, local_minima(kind, xa, ya, values, w, b))


def descend(kind: str, x: object, y: object, start: tuple[float, float], rate: float, steps: int) -> Array:
    """Plain gradient descent (w, b) ← (w, b) − α·∇L from `start`: the (steps + 1, 2) points, or
    fewer if a step leaves the finite numbers."""
    xa, ya = check_points(x, y)
    if not 0 < rate <= 100 or not 0 <= steps <= 100_000:
        raise PlaygroundError(_("the rate is above 0 and at most 100, the steps 0 to 100,000; got {rate!r}, "
                                "{steps!r}").format(rate=rate, steps=steps))
    out = np.empty((steps + 1, 2))
    out[0] = start
    p = np.array(start, dtype=np.float64)
    for t in range(steps):
        gw, gb = gradient(kind, p[0], p[1], xa, ya)
        p = p - rate * np.array([gw, gb])
        if not np.all(np.isfinite(p)):
            return out[: t + 1]
        out[t + 1] = p
    return out
