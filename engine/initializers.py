"""Kernel initializers by name, with Keras's formulas (fan_in = inputs, fan_out = units).

The "normal" variance-scaling ones draw from a normal truncated at ±2σ, with σ divided by
0.8796 so the truncated draws keep the intended variance, as Keras does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .registry import Registry

Initializer = Callable[[tuple[int, int], np.random.Generator], np.ndarray]
INITIALIZERS: Registry[Initializer] = Registry("initializer")

# Standard deviation of a unit normal truncated to [-2, 2].
_TRUNCATED_STD = 0.87962566103423978


def _truncated_normal(shape: tuple[int, int], std: float, rng: np.random.Generator) -> np.ndarray:
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():  # redraw the tails; about 4.6% each round
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * std


def _fans(shape: tuple[int, int]) -> tuple[int, int]:
    return shape[0], shape[1]


@INITIALIZERS.register("glorot_uniform")
def glorot_uniform(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """U(−l, l), l = √(6 / (fan_in + fan_out)). Keras's default."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


@INITIALIZERS.register("glorot_normal")
def glorot_normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Truncated N(0, σ²), σ = √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    return _truncated_normal(shape, np.sqrt(2.0 / (fan_in + fan_out)) / _TRUNCATED_STD, rng)


@INITIALIZERS.register("he_uniform")
def he_uniform(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """U(−l, l), l = √(6 / fan_in). Suits ReLU layers."""
    limit = np.sqrt(6.0 / shape[0])
    return rng.uniform(-limit, limit, shape)


@INITIALIZERS.register("he_normal")
def he_normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Truncated N(0, σ²), σ = √(2 / fan_in). Suits ReLU layers."""
    return _truncated_normal(shape, np.sqrt(2.0 / shape[0]) / _TRUNCATED_STD, rng)


@INITIALIZERS.register("lecun_normal")
def lecun_normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Truncated N(0, σ²), σ = √(1 / fan_in)."""
    return _truncated_normal(shape, np.sqrt(1.0 / shape[0]) / _TRUNCATED_STD, rng)


@INITIALIZERS.register("random_normal")
def random_normal(shape: tuple[int, int], rng: np.random.Generator, stddev: float = 0.05) -> np.ndarray:
    """N(0, stddev²), stddev = 0.05 by default as Keras."""
    return rng.normal(0.0, stddev, shape)


@INITIALIZERS.register("tfp_uniform")
def tfp_uniform(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Uniform in [−0.5, 0.5] whatever the layer's size: TensorFlow Playground's initial weights
    (its biases start at 0.1: network.bias_init)."""
    return rng.uniform(-0.5, 0.5, shape)


@INITIALIZERS.register("zeros")
def zeros(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """All zeros: every hidden unit computes the same thing and gets the same gradient
    (the symmetry problem), so the network never uses more than one unit per layer."""
    return np.zeros(shape)


INITIALIZERS.alias("glorot_uniform", "xavier_uniform")
INITIALIZERS.alias("glorot_normal", "xavier_normal")
