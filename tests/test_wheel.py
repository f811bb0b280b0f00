"""A wheel built from the repository, installed into a fresh virtual environment and run from
another folder, is the whole app: every package, every preset, the style and the icon.

The fresh environment has no pip of its own and reaches its dependencies (NumPy, PySide6,
pyqtgraph) through a .pth line to this environment's site-packages, so the test needs no
download; this environment's editable install is not visible there (.pth files are read only
in a site folder itself), so the app can only come from the wheel.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

from engine.core.i18n import pick

ROOT = Path(__file__).resolve().parents[1]


def run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp)],
        env={**os.environ, "PYTHONWARNINGS": "ignore"})  # fmt: skip
    wheel = next(tmp.glob("nn_playground-*.whl"))
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    site = Path(run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "deps.pth").write_text(str(Path(numpy.__file__).resolve().parents[1]) + "\n")
    run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        env={**os.environ, "PYTHONWARNINGS": "ignore"})  # fmt: skip
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp)}
    return venv, elsewhere, env, site


def test_the_app_comes_from_the_wheel(installed):
    venv, elsewhere, env, site = installed
    where = run([str(venv / "bin" / "python"), "-c", "import playground.resources as p, engine; "
                 "print(p.__file__); print(engine.__file__); print(p.RESOURCES)"],
                cwd=elsewhere, env=env).stdout.split()  # fmt: skip
    assert all(w.startswith(str(site)) for w in where), where
    assert where[2].endswith("playground/_resources")


def test_version_presets_and_training_a_preset_by_name(installed):
    venv, elsewhere, env, _ = installed
    exe = str(venv / "bin" / "nn-playground")
    from playground import __version__

    assert run([exe, "--version"], cwd=elsewhere, env=env).stdout.strip() == f"nn-playground {__version__}"
    lines = run([exe, "presets"], cwd=elsewhere, env=env).stdout.splitlines()
    names = sorted(p.stem for p in (ROOT / "resources" / "presets").glob("*.json"))
    assert [line.split()[0] for line in lines] == names
    files = (ROOT / "resources" / "presets").glob("*.json")
    titles = {p.stem: pick(json.loads(p.read_text())["app"]["title"]) for p in files}  # English (LANGUAGE=en)
    assert lines[3] == f"{names[3]}  {titles[names[3]]}"
    out = run([exe, "train", "04-spiral-tanh", "--epochs", "2"], cwd=elsewhere, env=env).stdout
    assert "epoch 2/2" in out and "test" in out
    out = run([exe, "train", "13-real-digits", "--epochs", "1"], cwd=elsewhere, env=env).stdout
    assert "1258 samples" in out and "epoch 1/1" in out  # the bundled digits: 70% of 1,797 train
    bad = subprocess.run([exe, "train", "spiral-tanh"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "did you mean the preset '04-spiral-tanh'" in bad.stderr


def test_the_window_opens_with_its_presets_style_and_icon(installed):
    venv, elsewhere, env, _ = installed
    script = (
        "from playground.app import make_app\n"
        "from playground.main_window import MainWindow\n"
        "app = make_app()\n"
        "w = MainWindow()\n"
        "presets = [a for a in w.findChildren(type(w.actions()[0])) if a.objectName().startswith('preset_')]\n"
        "import time\n"
        "end = time.monotonic() + 60\n"  # the first snapshot, from the installed trainer process
        "while w.session.snapshot is None and time.monotonic() < end: app.processEvents()\n"
        "print(len(presets), bool(app.styleSheet()), not w.windowIcon().isNull(), type(w.session.handle).__name__,"
        " w.session.snapshot is not None)\n"
        "w.shutdown()\n"
    )
    out = run([str(venv / "bin" / "python"), "-c", script], cwd=elsewhere, env=env).stdout.split()
    presets = str(len(list((ROOT / "resources" / "presets").glob("*.json"))))
    assert out == [presets, "True", "True", "ProcessHandle", "True"]
