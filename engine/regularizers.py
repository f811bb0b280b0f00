"""Weight penalties on kernels (never biases), added to the mini-batch objective as Keras does."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import PlaygroundError
from .registry import Registry

REGULARIZERS: Registry[str] = Registry("regularization")
for _name in ("none", "l1", "l2"):
    REGULARIZERS.register(_name)(_name)

FORMULAS = {
    "none": "no penalty",
    "l1": "J += λ Σ|W|  (drives weights to exactly zero: sparse)",
    "l2": "J += λ Σ W²  (no ½, as Keras; shrinks all weights: small, spread)",
}


@dataclass
class Regularizer:
    """`kind` is none, l1 or l2; `rate` is λ. Mutable so the rate can change mid-run."""

    kind: str = "none"
    rate: float = 0.0

    def __post_init__(self) -> None:
        REGULARIZERS.get(self.kind)
        if not np.isfinite(self.rate) or self.rate < 0:
            raise PlaygroundError(f"regularization rate must be >= 0, got {self.rate}")

    @property
    def active(self) -> bool:
        return self.kind != "none" and self.rate > 0

    def penalty(self, kernels: np.ndarray) -> float:
        """λ Σ|W| or λ Σ W² over the (flat) kernel weights."""
        if not self.active:
            return 0.0
        if self.kind == "l1":
            return self.rate * float(np.sum(np.abs(kernels)))
        return self.rate * float(np.dot(kernels, kernels))

    def add_gradient(self, kernels: np.ndarray, grad: np.ndarray) -> None:
        """grad += d(penalty)/dW, in place: λ·sign(W) or 2λ·W."""
        if not self.active:
            return
        if self.kind == "l1":
            grad += self.rate * np.sign(kernels)
        else:
            grad += (2.0 * self.rate) * kernels
