"""Real data that ships with the app, so a course can use it with no download: UCI's
handwritten digits (1,797 8×8 images) and Fisher's iris (150 flowers, 4 measurements).

The files live in the app's resources/data folder. The engine looks for them in `DATA_DIRS`:
the clone's resources/data, and whatever folder the app adds when it is installed (the engine
knows no app paths). See resources/data/SOURCES.md for their origin and licence.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from . import images as _images  # noqa: F401  (the synthetic shapes come before the real sets)
from .dataset import Dataset
from .generators import register_dataset

_CLONE = Path(__file__).resolve().parents[2] / "resources" / "data"
DATA_DIRS: list[Path] = [_CLONE] if _CLONE.is_dir() else []
DIGITS = 1797
IRIS = 150


def data_file(name: str) -> Path:
    """The bundled file `name` from the first folder of DATA_DIRS that has it."""
    for folder in DATA_DIRS:
        if (folder / name).is_file():
            return folder / name
    if not DATA_DIRS:
        raise PlaygroundError(_("the bundled data file {name} is missing (no data folder to look in): reinstall "
                                "nn-playground").format(name=name))
    raise PlaygroundError(_("the bundled data file {name} is missing (looked in {where}): reinstall nn-playground")
                            .format(name=name, where=", ".join(map(str, DATA_DIRS))))


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    with np.load(data_file("digits.npz"), allow_pickle=False) as z:
        x, y = z["x"], z["y"]
    if x.shape != (DIGITS, 8, 8) or y.shape != (DIGITS,):
        raise PlaygroundError(_("digits.npz holds {shape} images and {y_shape} labels, not {digits} of 8×8").format(
                                  shape=x.shape, y_shape=y.shape, digits=DIGITS))
    return x.reshape(DIGITS, 64).astype(np.float64), y.astype(np.intp)


def _subset(n: int, samples: int, rng: np.random.Generator) -> np.ndarray:
    """`samples` rows of n, drawn without replacement (all of them, shuffled, at n)."""
    return rng.permutation(n)[:samples]


def digits(samples: int = DIGITS, noise: float = 0.0, rng: np.random.Generator | None = None,
           classes: int = 10) -> Dataset:  # fmt: skip
    """The UCI digits: pixels 0..16 (ink counted in 4×4 blocks), labels 0..9; noise adds
    Gaussian pixel noise of 16·noise."""
    rng = rng or np.random.default_rng(0)
    x_all, y_all = _digits_arrays()
    rows = _subset(DIGITS, samples, rng)
    x = x_all[rows].copy()
    if noise > 0:
        x = np.clip(x + rng.normal(0, 16 * noise, x.shape), 0, 16)
    columns = [f"px{r}_{c}" for r in range(8) for c in range(8)]
    return Dataset(x, y_all[rows], "classification", columns, 10, [str(d) for d in range(10)],
                   image_shape=(8, 8), name="digits")  # fmt: skip


IRIS_SPECIES = ["setosa", "versicolor", "virginica"]


@functools.lru_cache(maxsize=1)
def _iris_arrays() -> tuple[np.ndarray, np.ndarray, list[str]]:
    with open(data_file("iris.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if len(body) != IRIS or len(header) != 5:
        raise PlaygroundError(_("iris.csv should hold {iris} rows of 5 columns, got {count} rows").format(
                                  iris=IRIS, count=len(body)))
    x = np.array([[float(v) for v in r[:4]] for r in body])
    y = np.array([IRIS_SPECIES.index(r[4]) for r in body], dtype=np.intp)
    return x, y, header[:4]


def iris(samples: int = IRIS, noise: float = 0.0, rng: np.random.Generator | None = None,
         classes: int = 3) -> Dataset:  # fmt: skip
    """Fisher's iris: sepal and petal length and width (cm), three species; noise adds Gaussian
    noise of noise × each column's standard deviation."""
    rng = rng or np.random.default_rng(0)
    x_all, y_all, columns = _iris_arrays()
    rows = _subset(IRIS, samples, rng)
    x = x_all[rows].copy()
    if noise > 0:
        x = x + rng.normal(0, 1, x.shape) * noise * x_all.std(axis=0)
    return Dataset(x, y_all[rows], "classification", list(columns), 3, list(IRIS_SPECIES), name="iris")


register_dataset(
    "digits", "classification", N_("Real handwritten digits: 1,797 UCI scans, 8×8 pixels, 10 classes."),
    (10, 10), samples=DIGITS, kind="images", normalize="unit", max_samples=DIGITS, title=N_("Handwritten digits"),
)(digits)  # fmt: skip
register_dataset(
    "iris", "classification", N_("Real flowers: Fisher's iris, 150 plants, 4 measurements, 3 species."),
    (3, 3), samples=IRIS, kind="table", normalize="standardize", max_samples=IRIS, title=N_("Iris flowers"),
)(iris)  # fmt: skip
