"""Model import: ONNX, Keras 3 (.keras) and PyTorch (.pt state dicts and TorchScript) files as a
validated project and its weights in the engine's Keras order (see result.py for the shared part,
and each format's module for its layouts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..core.errors import PlaygroundError
from ..core.i18n import _
from .result import Builder, Imported, data_for

FORMATS = {".onnx": "ONNX", ".keras": "Keras 3", ".pt": "PyTorch", ".pth": "PyTorch"}

__all__ = ["FORMATS", "Builder", "Imported", "data_for", "import_model"]


def import_model(path: str | Path, dtype: str = "float64", activation: Any = "relu",
                 output_activation: Any = None, input_shape: tuple[int, ...] | None = None) -> Imported:  # fmt: skip
    """The model in `path` as a project and weights, by its extension. `activation`,
    `output_activation` and `input_shape` are for PyTorch state dicts, which hold no activations
    and no input shape beyond the first layer's weights."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".onnx":
        from .onnx import import_onnx

        result = import_onnx(p, dtype)
    elif ext == ".keras":
        from .keras import import_keras

        result = import_keras(p, dtype)
    elif ext in (".pt", ".pth"):
        from .torch import import_torch

        result = import_torch(p, dtype, activation, output_activation, input_shape)
    else:
        result = None
    if result is not None:
        title = _("{name} (imported from {source})").format(name=p.name, source=result.source)
        result.project["app"] = {"title": title,
                                 "note": " ".join(n[0].upper() + n[1:] + "." for n in result.notes)}  # fmt: skip
        return result
    if not ext:
        raise PlaygroundError(_("{name}: models are imported from {formats} files, not a file without an "
                                "extension").format(name=p.name, formats=", ".join(FORMATS)))
    raise PlaygroundError(_("{name}: models are imported from {formats} files, not {extension}").format(
                              name=p.name, formats=", ".join(FORMATS), extension=ext))
