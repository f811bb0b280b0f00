"""Small shared builders for tests."""

from __future__ import annotations

import copy
from typing import Any

from engine.project import normalize_project


def project(**sections: Any) -> dict[str, Any]:
    """A validated project; keyword arguments are merged into the named sections."""
    raw: dict[str, Any] = {"format": "nn-playground/1", "seed": sections.pop("seed", 0)}
    for name, values in sections.items():
        raw[name] = copy.deepcopy(values)
    return normalize_project(raw)
