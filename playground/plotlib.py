"""pyqtgraph, imported without building every Qt class first: every plot imports it from here.

pyqtgraph mirrors PySide6's QtCore, QtGui and QtWidgets in modules of its own by reading every
name `dir()` lists. PySide6 makes a class, and its enums, the first time it is read, so that read
built all of Qt's classes (600 enums of them) for the 150 the app uses: a third of a second of each
start. Here the mirrors are made first and read a name from PySide6 when pyqtgraph first asks for
it; while pyqtgraph imports, PySide6's modules list no names, so its copy loop copies none.
"""

from __future__ import annotations

import sys
import types

import PySide6.QtCore
import PySide6.QtGui
import PySide6.QtWidgets

_SOURCES = {"QtCore": PySide6.QtCore, "QtGui": PySide6.QtGui, "QtWidgets": PySide6.QtWidgets}


def _mirror(name: str, source: types.ModuleType) -> types.ModuleType:
    """A module that reads each name from `source` on first use and keeps it (module __getattr__)."""
    module = types.ModuleType(name)

    def __getattr__(attr: str) -> object:
        value = getattr(source, attr)
        setattr(module, attr, value)
        return value

    module.__getattr__ = __getattr__
    return module


def _import() -> types.ModuleType:
    if "pyqtgraph" in sys.modules:  # imported already (by a script of the user's, say): as it is
        import pyqtgraph

        return pyqtgraph
    saved = {name: vars(source).get("__dir__") for name, source in _SOURCES.items()}
    for name, source in _SOURCES.items():
        sys.modules[f"pyqtgraph.Qt.{name}"] = _mirror(f"pyqtgraph.Qt.{name}", source)
        source.__dir__ = list  # no names to copy: the mirror reads them when asked
    try:
        import pyqtgraph
    except Exception:  # a pyqtgraph this does not fit: imported the usual way
        for name in _SOURCES:
            sys.modules.pop(f"pyqtgraph.Qt.{name}", None)
        for mod in [m for m in sys.modules if m == "pyqtgraph" or m.startswith("pyqtgraph.")]:
            del sys.modules[mod]
        _restore(saved)
        import pyqtgraph
    finally:
        _restore(saved)
    return pyqtgraph


def _restore(saved: dict[str, object]) -> None:
    for name, source in _SOURCES.items():
        if saved[name] is None:
            vars(source).pop("__dir__", None)
        else:
            source.__dir__ = saved[name]


pg = _import()
