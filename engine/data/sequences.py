"""Generated sequence sets, for the recurrent layers: each example is T steps of F features.

A row of `x` is one sequence laid out step-major (t0_f0, t0_f1, …, t1_f0, …; the columns are
named `t{step}_{feature}`, the layout a CSV of sequences uses too), and the Dataset's
`sequence_shape` is (T, F). T is data.sequence_length; `noise` is the standard deviation of
Gaussian noise added to what the network sees, never to the target, so a perfect model is
possible at any noise. Every draw comes from the generator given (a project's data stream).

- sine: a noisy sine wave of random frequency and phase; the target is its next clean value
  (regression, F = 1).
- adding: Hochreiter and Schmidhuber's adding problem (1997), in the form of Le, Jaitly and
  Hinton (2015): each step is (a value uniform in [0, 1], a marker 0 or 1), exactly two markers,
  one in each half of the sequence; the target is the sum of the two marked values (regression,
  F = 2). Predicting the mean, 1, scores an MSE of Var(u₁ + u₂) = 2/12 ≈ 0.167.
- parity: a bit string's parity, 1 when it holds an odd count of ones (classification, F = 1).
"""

from __future__ import annotations

import numpy as np

from ..core.i18n import N_
from .dataset import Dataset
from .generators import register_dataset

#: The sine wave's frequency range, in cycles per step: periods of 6 to 40 steps.
SINE_FREQUENCY = (1 / 40, 1 / 6)


def step_columns(steps: int, features: list[str]) -> list[str]:
    """The columns of a sequence row, step-major: t0_value, t0_marker, t1_value, …"""
    return [f"t{t}_{name}" for t in range(steps) for name in features]


def _sequences(name: str, x: np.ndarray, y: np.ndarray, problem: str, features: list[str],
               class_names: list[str] | None = None) -> Dataset:  # fmt: skip
    n, steps, width = x.shape
    classes = len(class_names) if class_names else 0
    return Dataset(x.reshape(n, steps * width), y, problem, step_columns(steps, features), classes,
                   list(class_names or []), name=name, sequence_shape=(steps, width))  # fmt: skip


@register_dataset("sine", "regression", N_("Sequences: continue a noisy sine wave (its next value)."), samples=1000,
                  kind="sequence", default_length=20, title=N_("Sine wave"))  # fmt: skip
def sine(samples: int = 1000, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 0,
         length: int = 20) -> Dataset:  # fmt: skip
    """x[n, t] = sin(2π·f·t + φ) + ε for t = 0 … T−1, f uniform in SINE_FREQUENCY, φ uniform in
    [0, 2π), ε ~ N(0, noise²); the target is the clean next value, sin(2π·f·T + φ)."""
    rng = rng or np.random.default_rng(0)
    freq = rng.uniform(*SINE_FREQUENCY, samples)[:, None]
    phase = rng.uniform(0, 2 * np.pi, samples)[:, None]
    angle = 2 * np.pi * freq * np.arange(length + 1) + phase
    wave = np.sin(angle)
    x = wave[:, :length] + rng.normal(0, 1, (samples, length)) * noise
    return _sequences("sine", x[:, :, None], wave[:, length].copy(), "regression", ["value"])


@register_dataset("adding", "regression", N_("Sequences: the adding problem (sum the two marked values)."),
                  samples=2000, kind="sequence", default_length=20, title=N_("Adding problem"))  # fmt: skip
def adding(samples: int = 2000, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 0,
           length: int = 20) -> Dataset:  # fmt: skip
    """Step t is (u_t, m_t): u_t uniform in [0, 1], m_t 1 at one step of the first half
    (t < T // 2) and one of the second, 0 elsewhere; the target is Σ_t m_t·u_t, from the values
    before the noise ε ~ N(0, noise²) is added to the u_t the network sees."""
    rng = rng or np.random.default_rng(0)
    half = length // 2
    values = rng.uniform(0, 1, (samples, length))
    first = rng.integers(0, half, samples)
    second = rng.integers(half, length, samples)
    rows = np.arange(samples)
    markers = np.zeros((samples, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    target = values[rows, first] + values[rows, second]
    seen = values + rng.normal(0, 1, values.shape) * noise
    return _sequences("adding", np.stack([seen, markers], axis=2), target, "regression", ["value", "marker"])


@register_dataset("parity", "classification", N_("Sequences: is the count of ones in a bit string odd?"), samples=1000,
                  kind="sequence", default_length=8, title=N_("Parity"))  # fmt: skip
def parity(samples: int = 1000, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 2,
           length: int = 8) -> Dataset:  # fmt: skip
    """T bits b_t, each 0 or 1 with probability ½; the label is (Σ b_t) mod 2 (1: odd), from the
    bits before the noise ε ~ N(0, noise²) is added to what the network sees."""
    rng = rng or np.random.default_rng(0)
    bits = rng.integers(0, 2, (samples, length))
    label = (bits.sum(axis=1) % 2).astype(np.intp)
    seen = bits + rng.normal(0, 1, bits.shape) * noise
    return _sequences("parity", seen[:, :, None], label, "classification", ["bit"], ["even", "odd"])
