"""Rosenblatt's perceptron: a step activation, the perceptron learning rule, and why gradient
descent cannot train it.

ŷ = step(w·x + b) with step(z) = 1 if z > 0 else 0. The rule visits the examples in turn and,
on a mistake, moves the weights by η(y − ŷ)·x (the bias by η(y − ŷ)); a correct answer leaves
them alone. On data a line separates it stops after finitely many mistakes (Novikoff's bound
(R/γ)² from zero weights); on XOR no line exists and it never stops.

The step's derivative is 0 wherever it exists (everywhere but z = 0), so the chain rule gives
a gradient of exactly 0 for any loss of ŷ: gradient descent would never move. That is why the
step is not in the activation registry: a network of steps would train by showing no change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.activations import sigmoid
from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.registry import Registry


def step(z: np.ndarray | float) -> np.ndarray:
    """1 where z > 0, else 0 (the Heaviside step, 0 at z = 0 as Rosenblatt's threshold unit)."""
    return (np.asarray(z, dtype=np.float64) > 0).astype(np.float64)


def step_derivative(z: np.ndarray | float) -> np.ndarray:
    """d step / dz: 0 for every z ≠ 0; at z = 0 the step jumps and has no derivative (NaN here)."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z == 0, np.nan, 0.0)


@dataclass(frozen=True)
class GateData:
    """A small two-input data set for the perceptron: points, 0/1 labels, whether a line separates them."""

    name: str
    title: str
    x: tuple[tuple[float, float], ...]
    y: tuple[int, ...]
    separable: bool
    note: str


PERCEPTRON_DATA: Registry[GateData] = Registry(N_("perceptron data set"))


def _add(d: GateData) -> None:
    PERCEPTRON_DATA.register(d.name)(d)


_CORNERS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
_add(GateData("and", "AND", _CORNERS, (0, 0, 0, 1), True, N_("Only (1, 1) is 1: one line cuts it off.")))
_add(GateData("or", "OR", _CORNERS, (0, 1, 1, 1), True, N_("Only (0, 0) is 0: one line cuts it off.")))
_add(GateData("nand", "NAND", _CORNERS, (1, 1, 1, 0), True, N_("NOT AND: the same line as AND, the sides swapped.")))
_add(GateData(
    "xor", "XOR", _CORNERS, (0, 1, 1, 0), False,
    N_("The two 1s sit on one diagonal, the two 0s on the other: no line separates them, so the rule "
    "never stops making mistakes (Minsky and Papert, 1969). A hidden layer is needed."),
))  # fmt: skip
_add(GateData(
    "two_groups", N_("Two groups"),
    ((-1.5, -0.5), (-1.0, -1.2), (-0.4, -1.6), (-1.8, 0.4), (-0.6, -0.4),
     (1.2, 0.6), (0.5, 1.4), (1.6, 1.1), (0.9, -0.1), (0.2, 0.9)),
    (0, 0, 0, 0, 0, 1, 1, 1, 1, 1), True,
    N_("Ten points a line separates with room to spare: a few passes and no mistakes are left."),
))  # fmt: skip


@dataclass(frozen=True)
class Update:
    """One visit of the rule: the example, what the perceptron said, and the weights before and after."""

    index: int
    x: np.ndarray
    y: int
    z: float  # w·x + b
    y_hat: int  # step(z)
    w_before: np.ndarray
    b_before: float
    w_after: np.ndarray
    b_after: float
    rate: float

    @property
    def error(self) -> int:
        """y − ŷ: +1 or −1 on a mistake, 0 when right."""
        return self.y - self.y_hat

    @property
    def mistake(self) -> bool:
        return self.error != 0


class Perceptron:
    """Two weights and a bias trained by the perceptron rule, one example per `visit()`, in order."""

    def __init__(self, data: GateData | str, rate: float = 1.0, w: tuple[float, float] = (0.0, 0.0),
                 b: float = 0.0) -> None:  # fmt: skip
        self.data = PERCEPTRON_DATA.get(data) if isinstance(data, str) else data
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 100:
            raise PlaygroundError(_("the perceptron's rate η must be above 0 and at most 100, got {rate!r}").format(
                                      rate=rate))
        if not all(math.isfinite(v) for v in (*w, b)):
            raise PlaygroundError(_("the perceptron's initial weights and bias must be finite numbers"))
        self.x = np.array(self.data.x, dtype=np.float64)
        self.y = np.array(self.data.y, dtype=np.intp)
        self.rate = float(rate)
        self.w = np.array(w, dtype=np.float64)
        self.b = float(b)
        self.visits = 0  # examples visited; the next one is visits mod n
        self.history: list[Update] = []

    @property
    def epoch(self) -> int:
        """Complete passes over the data so far."""
        return self.visits // len(self.y)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return step(np.asarray(x, dtype=np.float64) @ self.w + self.b).astype(np.intp)

    def mistakes(self) -> int:
        """Examples the current weights get wrong."""
        return int(np.sum(self.predict(self.x) != self.y))

    def visit(self) -> Update:
        """Show the next example: w ← w + η(y − ŷ)x and b ← b + η(y − ŷ) (no change when ŷ = y)."""
        i = self.visits % len(self.y)
        x, y = self.x[i], int(self.y[i])
        z = float(x @ self.w + self.b)
        y_hat = int(step(z))
        w0, b0 = self.w.copy(), self.b
        self.w = self.w + self.rate * (y - y_hat) * x
        self.b = self.b + self.rate * (y - y_hat)
        self.visits += 1
        u = Update(i, x.copy(), y, z, y_hat, w0, b0, self.w.copy(), self.b, self.rate)
        self.history.append(u)
        return u

    def run_epoch(self) -> list[Update]:
        """Visit examples up to the end of the current pass (a whole pass from its start)."""
        n = len(self.y)
        return [self.visit() for _ in range(n - self.visits % n)]


def squared_error_gradient(w: np.ndarray, b: float, x: np.ndarray, y: int) -> tuple[np.ndarray, float, float]:
    """(∂L/∂w, ∂L/∂b, step'(z)) of L = ½(step(w·x + b) − y)² by the chain rule, where it exists:
    (ŷ − y)·step'(z)·x with step'(z) = 0, so zero whatever the mistake (NaN at z = 0, no derivative)."""
    z = float(np.dot(w, x) + b)
    d = float(step_derivative(z))
    upstream = float(step(z)) - y
    return upstream * d * np.asarray(x, dtype=np.float64), upstream * d, d


def sigmoid_slope(z: float) -> float:
    """σ'(z) = σ(z)(1 − σ(z)): what logistic regression puts where the step has 0 (never 0 itself)."""
    s = float(sigmoid(np.array([z], dtype=np.float64))[0])
    return s * (1.0 - s)


def novikoff_bound(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """(R/γ)² for the separating line (w, b): an upper bound on the rule's mistakes from zero
    weights, with R the longest (x, 1) and γ the smallest signed margin of (x, 1) on the unit (w, b)."""
    xa = np.column_stack([x, np.ones(len(x))])
    u = np.append(w, b)
    u = u / np.linalg.norm(u)
    gamma = float(np.min((2 * np.asarray(y) - 1) * (xa @ u)))
    if gamma <= 0:
        raise PlaygroundError(_("that line does not separate the data; the bound needs one that does"))
    radius = float(np.max(np.linalg.norm(xa, axis=1)))
    return (radius / gamma) ** 2
