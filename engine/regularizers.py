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
    "l1": "J += λ Σ|W|; a weight the step would carry across zero stops at zero (TensorFlow Playground's rule), "
    "so useless weights become exactly 0: sparse",
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

    def clip_crossings(self, before: np.ndarray, after: np.ndarray) -> None:
        """L1 only: kernel weights whose step crossed zero are set to exactly zero, in place.

        The subgradient λ·sign(w) alone never lands on 0, it jumps across it every step; TFP stops
        such a weight at zero, which is what makes L1's sparsity visible."""
        if self.active and self.kind == "l1":
            after[before * after < 0] = 0.0  # strictly across: a weight at 0 may leave it either way

    def add_gradient(self, kernels: np.ndarray, grad: np.ndarray) -> None:
        """grad += d(penalty)/dW, in place: λ·sign(W) or 2λ·W."""
        if not self.active:
            return
        if self.kind == "l1":
            grad += self.rate * np.sign(kernels)
        else:
            grad += (2.0 * self.rate) * kernels
