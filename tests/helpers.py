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


def wait_for(qtbot: Any, win: Any, predicate: Any, timeout: int = 15_000) -> Any:
    """Wait until the window's newest snapshot satisfies `predicate`; return that snapshot."""
    qtbot.waitUntil(lambda: win.session.snapshot is not None and predicate(win.session.snapshot), timeout=timeout)
    return win.session.snapshot


def engine_widths(snap: Any) -> list[int]:
    """Units per dense layer of the network a snapshot shows (output layer last)."""
    return [k.shape[1] for k in snap.weights[0::2]]
