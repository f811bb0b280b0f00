"""Synthetic data sets, registered by name (the 2-D ones here; images, real sets and sequences
register from their own modules).

circle, xor, gauss, spiral, plane and multi_gaussian reproduce TensorFlow Playground's
generators (geometry, label rules, noise semantics; its −1/+1 labels become 0/1), so intuition
carries over. Points lie in about [−6, 6]². `noise` runs from 0 to 0.5 as its slider does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.registry import Registry
from .dataset import Dataset

Generator = Callable[..., Dataset]
DEFAULT_SAMPLES = {"classification": 500, "regression": 1200}
#: data.sequence_length's range for the generated sequence sets (T, the steps of each example).
MIN_SEQUENCE_LENGTH, MAX_SEQUENCE_LENGTH = 2, 500
#: The most steps (samples × sequence_length) one generated sequence set may hold: 8 Mi steps are
#: 64 MB a feature in float64, before the split's copies.
MAX_SEQUENCE_STEPS = 8 * 2**20


@dataclass(frozen=True)
class DataSetInfo:
    """Everything the project validator, the data panel and the session need about a data set."""

    name: str
    make: Generator
    problem: str  # classification or regression
    classes: tuple[int, int]  # the class counts it supports ((0, 0) for regression)
    default_classes: int
    default_samples: int
    kind: str  # "points" (2-D, drawn on the plane), "images", "table" (more columns, no plane) or "sequence"
    note: str  # one line for the data panel
    normalize: str = "none"  # the normalisation that suits it (pixels: "unit")
    max_samples: int | None = None  # a real data set has only so many rows
    #: A sequence set's T when data.sequence_length is left out (0 for the other kinds).
    default_length: int = 0
    title: str = ""  # its name in words, for the app ("Two Gaussians"); `name` stays in files


#: The data sets by name: the one place a generator is added.
DATASETS: Registry[DataSetInfo] = Registry(N_("data set"))
GENERATORS = DATASETS  # the older name: names() lists the same sets
#: Derived views of DATASETS, kept for their many readers.
PROBLEMS: dict[str, str] = {}
CLASS_RANGE: dict[str, tuple[int, int]] = {}


def register_dataset(
    name: str,
    problem: str,
    note: str,
    classes: tuple[int, int] = (2, 2),
    default_classes: int | None = None,
    samples: int | None = None,
    kind: str = "points",
    normalize: str = "none",
    max_samples: int | None = None,
    default_length: int = 0,
    title: str = "",
) -> Callable[[Generator], Generator]:
    """Register generator `fn` as data set `name` (a sequence set, kind "sequence", gives its
    default T and takes the keyword `length`)."""
    if (kind == "sequence") != (default_length > 0):
        raise ValueError(f"{name}: a sequence set (and only one) has a default length")

    def deco(fn: Generator) -> Generator:
        rng = classes if problem == "classification" else (0, 0)
        samples_ = samples or DEFAULT_SAMPLES[problem]
        info = DataSetInfo(name, fn, problem, rng, default_classes or rng[0], samples_, kind, note, normalize,
                           max_samples, default_length, title)  # fmt: skip
        DATASETS.register(name)(info)  # its words: the info's title
        PROBLEMS[name] = problem
        CLASS_RANGE[name] = rng
        return fn

    return deco


def _uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return rng.uniform(lo, hi, n)


def _points(name: str, x: np.ndarray, y: np.ndarray, problem: str, classes: int = 2) -> Dataset:
    labels = y.astype(np.intp) if problem == "classification" else y.astype(np.float64)
    return Dataset(x, labels, problem, ["x1", "x2"], classes if problem == "classification" else 0, name=name)


@register_dataset("circle", "classification", N_("Circle: one class inside the other."), title=N_("Circle"))
def circle(samples: int = 500, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 2) -> Dataset:
    """Class 1 inside radius 2.5, class 0 in the ring 3.5..5; the label is decided after noise."""
    rng = rng or np.random.default_rng(0)
    radius = 5.0
    pts, labels = [], []
    for lo, hi in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        n = samples // 2 if lo == 0.0 else samples - samples // 2
        r = _uniform(rng, lo, hi, n)
        angle = _uniform(rng, 0, 2 * np.pi, n)
        x, y = r * np.sin(angle), r * np.cos(angle)
        nx = _uniform(rng, -radius, radius, n) * noise
        ny = _uniform(rng, -radius, radius, n) * noise
        labels.append(np.hypot(x + nx, y + ny) < radius * 0.5)
        pts.append(np.column_stack([x, y]))
    return _points("circle", np.concatenate(pts), np.concatenate(labels), "classification")


@register_dataset("xor", "classification", N_("Exclusive or: opposite quadrants share a class."),
                  title=N_("Exclusive or"))  # fmt: skip
def xor(samples: int = 500, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 2) -> Dataset:
    """Quadrants: class 1 where x·y ≥ 0 (after noise), points kept 0.3 away from the axes."""
    rng = rng or np.random.default_rng(0)
    padding = 0.3
    x = _uniform(rng, -5, 5, samples)
    x += np.where(x > 0, padding, -padding)
    y = _uniform(rng, -5, 5, samples)
    y += np.where(y > 0, padding, -padding)
    nx = _uniform(rng, -5, 5, samples) * noise
    ny = _uniform(rng, -5, 5, samples) * noise
    return _points("xor", np.column_stack([x, y]), (x + nx) * (y + ny) >= 0, "classification")


@register_dataset("gauss", "classification", N_("Two Gaussian clusters."), title=N_("Two Gaussians"))
def gauss(samples: int = 500, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 2) -> Dataset:
    """Two Gaussian blobs at (2, 2) (class 1) and (−2, −2); variance grows from 0.5 to 4 with noise."""
    rng = rng or np.random.default_rng(0)
    variance = 0.5 + (4.0 - 0.5) * (noise / 0.5)
    std = np.sqrt(variance)
    n1 = samples // 2
    pts = np.concatenate([rng.normal(2, std, (n1, 2)), rng.normal(-2, std, (samples - n1, 2))])
    labels = np.r_[np.ones(n1), np.zeros(samples - n1)]
    return _points("gauss", pts, labels, "classification")


def _spiral_arm(n: int, delta: float, noise: float, rng: np.random.Generator) -> np.ndarray:
    i = np.arange(n)
    r = i / n * 5
    t = 1.75 * i / n * 2 * np.pi + delta
    x = r * np.sin(t) + _uniform(rng, -1, 1, n) * noise
    y = r * np.cos(t) + _uniform(rng, -1, 1, n) * noise
    return np.column_stack([x, y])


@register_dataset("spiral", "classification", N_("Interleaved spiral arms (2 to 6 classes)."), (2, 6),
                  title=N_("Spiral"))  # fmt: skip
def spiral(samples: int = 500, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 2) -> Dataset:
    """Interleaved spiral arms: with 2 classes, TensorFlow Playground's spiral (class 1 starts at
    angle 0, class 0 at π); with k classes, k arms 2π/k apart."""
    rng = rng or np.random.default_rng(0)
    _check_classes("spiral", classes)
    if classes == 2:
        n = samples // 2
        pts = np.concatenate([_spiral_arm(n, 0.0, noise, rng), _spiral_arm(n, np.pi, noise, rng)])
        return _points("spiral", pts, np.r_[np.ones(n), np.zeros(n)], "classification")
    sizes = [samples // classes + (1 if j < samples % classes else 0) for j in range(classes)]
    arms = [_spiral_arm(m, 2 * np.pi * j / classes, noise, rng) for j, m in enumerate(sizes)]
    labels = np.concatenate([np.full(m, j) for j, m in enumerate(sizes)])
    return _points("spiral", np.concatenate(arms), labels, "classification", classes)


@register_dataset("moons", "classification", N_("Two interleaving half moons."), title=N_("Moons"))
def moons(samples: int = 500, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 2) -> Dataset:
    """Two interleaving half circles (class 0 on top), scaled to about [−4.5, 4.5] × [−2.3, 2.3];
    noise is Gaussian with standard deviation 5·noise/2."""
    rng = rng or np.random.default_rng(0)
    n0 = samples // 2
    n1 = samples - n0
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    pts = (np.concatenate([upper, lower]) - [0.5, 0.25]) * 3.0
    pts += rng.normal(0, 2.5 * noise, pts.shape)
    return _points("moons", pts, np.r_[np.zeros(n0), np.ones(n1)], "classification")


@register_dataset("blobs", "classification", N_("k Gaussian blobs (2 to 6 classes)."), (2, 6), default_classes=3,
                  title=N_("Blobs"))  # fmt: skip
def blobs(samples: int = 500, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 3) -> Dataset:
    """k Gaussian blobs with centres on a circle of radius 3.5; spread 0.5 + 4·noise."""
    rng = rng or np.random.default_rng(0)
    _check_classes("blobs", classes)
    labels = np.arange(samples) % classes
    angles = 2 * np.pi * labels / classes + np.pi / 2
    centres = 3.5 * np.column_stack([np.cos(angles), np.sin(angles)])
    pts = centres + rng.normal(0, 0.5 + 4 * noise, (samples, 2))
    return _points("blobs", pts, labels, "classification", classes)


def _square(rng: np.random.Generator, samples: int, noise: float) -> tuple[np.ndarray, ...]:
    """Points uniform over [−6, 6]² and the input noise the regression label is computed with."""
    radius = 6.0
    x = _uniform(rng, -radius, radius, samples)
    y = _uniform(rng, -radius, radius, samples)
    nx = _uniform(rng, -radius, radius, samples) * noise
    ny = _uniform(rng, -radius, radius, samples) * noise
    return x, y, nx, ny


@register_dataset("plane", "regression", N_("Regression: a tilted plane."), title=N_("Tilted plane"))
def plane(samples: int = 1200, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 0) -> Dataset:
    """Target (x + y) / 10 over [−6, 6]², with noise added to the inputs before labelling."""
    rng = rng or np.random.default_rng(0)
    x, y, nx, ny = _square(rng, samples, noise)
    return _points("plane", np.column_stack([x, y]), ((x + nx) + (y + ny)) / 10, "regression")


_GAUSSIANS = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]


def multi_gaussian_target(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Six signed bumps: each gives sign·clamp(1 − d/2, 0, 1); the largest in size wins."""
    best = np.zeros_like(x)
    for cx, cy, sign in _GAUSSIANS:
        value = sign * np.clip(1 - np.hypot(x - cx, y - cy) / 2, 0, 1)
        best = np.where(np.abs(value) > np.abs(best), value, best)
    return best


@register_dataset("multi_gaussian", "regression", N_("Regression: six signed bumps."), title=N_("Six bumps"))
def multi_gaussian(
    samples: int = 1200, noise: float = 0.0, rng: np.random.Generator | None = None, classes: int = 0
) -> Dataset:
    """TensorFlow Playground's six-bump surface over [−6, 6]²."""
    rng = rng or np.random.default_rng(0)
    x, y, nx, ny = _square(rng, samples, noise)
    return _points("multi_gaussian", np.column_stack([x, y]), multi_gaussian_target(x + nx, y + ny), "regression")


def _check_classes(name: str, classes: int) -> None:
    lo, hi = CLASS_RANGE[name]
    if not lo <= classes <= hi:
        raise PlaygroundError(_("{name} makes {lo} to {hi} classes, not {classes}").format(
                                  name=name, lo=lo, hi=hi, classes=classes))


def generate(
    name: str,
    samples: int | None = None,
    noise: float = 0.0,
    seed: int | np.random.Generator = 0,
    classes: int | None = None,
    sequence_length: int | None = None,
) -> Dataset:
    """Run generator `name` with a seeded generator (or draw from the one given: a project's data
    stream); defaults follow TensorFlow Playground. `sequence_length` is T for a sequence set
    (None: its default) and means nothing to the others."""
    info = DATASETS.get(name)
    fn, problem = info.make, info.problem
    if samples is None:
        samples = info.default_samples
    if not 2 <= samples <= 1_000_000:
        raise PlaygroundError(_("samples must be between 2 and 1,000,000, got {samples}").format(samples=samples))
    if info.max_samples is not None and samples > info.max_samples:
        raise PlaygroundError(_("{name} has {max_samples:,} samples; samples must be at most {max_samples:,}").format(
                                  name=name, max_samples=info.max_samples))
    if not 0.0 <= noise <= 1.0:
        raise PlaygroundError(_("noise must be between 0 and 1, got {noise}").format(noise=noise))
    lo, hi = CLASS_RANGE[name]
    if classes is None or problem == "regression" or lo == hi:
        classes = info.default_classes
    if problem == "classification":
        _check_classes(name, classes)
    rng = np.random.default_rng(seed)
    if info.kind != "sequence":
        return fn(samples=samples, noise=noise, rng=rng, classes=classes)
    length = info.default_length if sequence_length is None else sequence_length
    check_sequence_size(samples, length)
    return fn(samples=samples, noise=noise, rng=rng, classes=classes, length=length)


def check_sequence_size(samples: int, length: Any, key: str = "sequence_length") -> int:
    """T within its range, and samples × T within MAX_SEQUENCE_STEPS (checked before anything is
    drawn); `key` names T in the message."""
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or not (
            MIN_SEQUENCE_LENGTH <= length <= MAX_SEQUENCE_LENGTH):  # fmt: skip
        raise PlaygroundError(_("{key} must be a whole number from {min_sequence_length} to {max_sequence_length}, "
                                "got {length!r}").format(
                                  key=key, min_sequence_length=MIN_SEQUENCE_LENGTH,
                                  max_sequence_length=MAX_SEQUENCE_LENGTH, length=length))  # fmt: skip
    if samples * length > MAX_SEQUENCE_STEPS:
        raise PlaygroundError(_("{key} {length} × {samples:,} samples is {samples2:,} steps; at most "
                                "{max_sequence_steps:,} are generated (fewer samples or shorter sequences)").format(
                                  key=key, length=length, samples=samples, samples2=samples * length,
                                  max_sequence_steps=MAX_SEQUENCE_STEPS))  # fmt: skip
    return int(length)
