"""Where the app's data files live: the repository's resources/ folder in a clone, and the same
files shipped inside the package (playground/_resources) when installed from a wheel."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from engine.data.bundled import DATA_DIRS


def _resources() -> Path:
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "resources" / "presets").is_dir():
        return root / "resources"  # a clone (run in place, or installed editable)
    # A wheel installs plain files, so the package's folder is a real path.
    return Path(str(importlib.resources.files("playground").joinpath("_resources")))


RESOURCES = _resources()
if (RESOURCES / "data") not in DATA_DIRS:  # the bundled data sets, wherever the app is installed
    DATA_DIRS.append(RESOURCES / "data")
PRESETS = RESOURCES / "presets"
STYLE = RESOURCES / "styles" / "app.qss"
ICON = RESOURCES / "icons" / "app.svg"
