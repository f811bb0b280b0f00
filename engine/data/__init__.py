"""Data: synthetic generators, file loaders, feature maps, normalisation and splits."""

from . import bundled as _bundled  # noqa: F401  (registers the "digits" and "iris" sets)
from . import images as _images  # noqa: F401  (registers the "shapes" image set)
from . import sequences as _sequences  # noqa: F401  (registers the "sine", "adding" and "parity" sequence sets)
from .dataset import SPLITS, Dataset, split_indices
from .features import FEATURES, NORMALIZATIONS, Normalizer, apply_features
from .folders import load_image_folder
from .generators import CLASS_RANGE, DATASETS, DEFAULT_SAMPLES, GENERATORS, PROBLEMS, DataSetInfo, generate
from .loaders import load_csv, load_idx, load_npz, read_idx, write_idx

__all__ = [
    "CLASS_RANGE",
    "DATASETS",
    "DEFAULT_SAMPLES",
    "FEATURES",
    "GENERATORS",
    "NORMALIZATIONS",
    "PROBLEMS",
    "SPLITS",
    "DataSetInfo",
    "Dataset",
    "Normalizer",
    "apply_features",
    "generate",
    "load_csv",
    "load_idx",
    "load_image_folder",
    "load_npz",
    "read_idx",
    "split_indices",
    "write_idx",
]
