#!/usr/bin/env python3
"""Set up a virtual environment and run nn-playground or its tests, from a fresh clone.

    python3 dev.py app [ARGS...]    install what the app needs into .venv, then launch it
    python3 dev.py test [ARGS...]   install the app and its test tools, then run the whole suite
    python3 dev.py parity [ARGS...] the second stage: PyTorch and Keras, then the tests that compare
                                    the engine with them (CI runs both stages)

Only Python 3.11+ is needed. The install step is skipped when pyproject.toml has not changed.
On Linux the test command also makes sure Qt's runtime libraries are present (apt-get as root),
or stops with the exact command to run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
# Debian packages Qt's offscreen platform needs, keyed by the shared library each provides.
QT_LIBS = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(extras: str) -> Path:
    """Create .venv if missing and install the project with `extras` when anything changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit(f"nn-playground needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    py = venv_python()
    if not py.exists():
        print(f"creating {VENV}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    stamp = VENV / f".installed-{extras}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print(f"installing nn-playground[{extras}] into {VENV}", flush=True)
        # Quiet: setuptools' notes about editable installs read like errors and are not ours to act on.
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True, env=env)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{extras}]"], check=True, env=env)
        stamp.write_text(digest)
    return py


def missing_qt_libraries() -> list[str]:
    """Debian packages for Qt's runtime libraries this Linux machine lacks."""
    if not sys.platform.startswith("linux") or not shutil.which("ldconfig"):
        return []
    known = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    return [pkg for lib, pkg in QT_LIBS.items() if lib not in known]


def ensure_qt_libraries() -> None:
    missing = missing_qt_libraries()
    if not missing:
        return
    line = "apt-get install -y " + " ".join(missing)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing Qt's runtime libraries: {' '.join(missing)}", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run([*line.split(), "-qq"], check=True, env=env)
        return
    sys.exit(f"Qt needs libraries this machine lacks. Install them with:\n    sudo {line}")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test", "parity"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command == "app":
        py = ensure_venv("onnx")
        return subprocess.call([str(py), "-m", "playground", *rest])
    parity = command == "parity"
    py = ensure_venv("test,parity" if parity else "test")
    ensure_qt_libraries()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # The whole suite runs on every core (pytest-xdist): GUI tests wait on their worker threads,
    # so two processes on two cores take half the time of one. The parity tests (marked by the
    # fixtures they ask for, tests/conftest.py) are the second stage's alone.
    spread = [] if rest else ["-n", "auto"]
    stage = ["-m", "parity" if parity else "not parity"]
    code = subprocess.call([str(py), "-m", "pytest", *stage, *spread, *rest], env=env)
    if code == 0 and not rest and not parity:
        lint = [p for p in ("engine", "playground", "tests", "benchmarks", "dev.py") if (ROOT / p).exists()]
        code = subprocess.call([str(py), "-m", "ruff", "check", *lint])
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
