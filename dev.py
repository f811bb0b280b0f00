#!/usr/bin/env python3
"""Set up a virtual environment and run nn-playground or its tests, from a fresh clone.

    python3 dev.py app [ARGS...]    install what the app needs into .venv, then launch it
    python3 dev.py test [ARGS...]   install the app and its test tools, then run the whole suite
    python3 dev.py parity [ARGS...] the second stage: PyTorch and Keras, then the tests that compare
                                    the engine with them
    python3 dev.py process [ARGS...] the third stage: the window's tests with the trainer in its own
                                    process, as users run it, and the slow process-mode tests
                                    (CI runs all three stages: .ci/run)
    python3 dev.py i18n             extract the marked messages (Babel), update resources/i18n/ko.po
                                    and compile it to ko.mo (after wrapping strings or translating)
    python3 dev.py font NANUM.ttf   subset NanumGothic (fonts-nanum) to resources/fonts/ (fontTools)

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


I18N = ROOT / "resources" / "i18n"
#: The catalog's markers (engine/core/i18n.py): a message, a plural, a term, a constant marked for later.
KEYWORDS = ["-k", "_", "-k", "ngettext:1,2", "-k", "term", "-k", "N_"]


def i18n(py: Path) -> int:
    """Babel: the marked messages of engine/ and playground/ into messages.pot, ko.po updated from
    it (a new message comes in untranslated, a removed one is dropped), ko.po compiled to ko.mo."""
    babel = [str(py), "-m", "babel.messages.frontend"]
    pot, po, mo = I18N / "messages.pot", I18N / "ko.po", I18N / "ko.mo"
    steps = [
        [*babel, "extract", "--no-location", "--sort-output", "--omit-header", "-F", str(I18N / "babel.cfg"),
         *KEYWORDS, "--no-default-keywords", "-o", str(pot), "engine", "playground"],
        [*babel, "update", "-i", str(pot), "-o", str(po), "-l", "ko", "--no-fuzzy-matching", "--ignore-obsolete",
         "--width=120"] if po.exists() else [*babel, "init", "-i", str(pot), "-o", str(po), "-l", "ko"],
        [*babel, "compile", "-i", str(po), "-o", str(mo), "-l", "ko"],
    ]
    for step in steps:
        code = subprocess.call(step)
        if code:
            return code
    return subprocess.call([str(py), "-c", PSEUDO_SCRIPT, str(pot), str(I18N / "pseudo.mo")])


#: The pseudo-locale's catalog: every extracted message translated as ⟦message⟧ (plurals alike), so
#: a window in it shows which visible texts did not come through the catalog (tests/test_i18n_pseudo.py).
PSEUDO_SCRIPT = """
import sys
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
with open(sys.argv[1], 'rb') as f:
    catalog = read_po(f)
for m in catalog:
    if m.id:
        m.string = tuple(f'\u27e6{i}\u27e7' for i in m.id) if m.pluralizable else f'\u27e6{m.id}\u27e7'
with open(sys.argv[2], 'wb') as f:
    write_mo(f, catalog)
"""


def font(py: Path, source: str) -> int:
    """Subset NanumGothic to resources/fonts/NanumGothic-subset.ttf: KS X 1001's 2,350 common
    Hangul syllables, every syllable of the catalogs and presets, the jamo, Latin and punctuation."""
    texts = [p.read_text(encoding="utf-8") for p in (*I18N.glob("*.po"), *(ROOT / "resources").rglob("*.json"))]
    common = [chr(c) for c in range(0xAC00, 0xD7A4) if _euc_kr(chr(c))]
    used = {ch for text in texts for ch in text if 0xAC00 <= ord(ch) <= 0xD7A3}
    text = "".join(sorted(set(common) | used))
    unicodes = ("U+0020-007E,U+00A0-00FF,U+2010-2027,U+2030-205E,U+2190-21FF,U+2200-22FF,U+3000-303F,U+3130-318F,"
                "U+FF01-FF60")
    out = ROOT / "resources" / "fonts" / "nnp-hangul.ttf"
    code = subprocess.call([str(py), "-m", "fontTools.subset", source, f"--text={text}", f"--unicodes={unicodes}",
                            "--no-hinting", f"--output-file={out}"])
    # A subset is a Modified Version under the OFL: it may not keep the Reserved Font Name (Nanum...).
    rename = (f"from fontTools.ttLib import TTFont; f = TTFont({str(out)!r}); n = f['name']; "
              "[n.removeNames(nameID=i) for i in (1, 3, 4, 6, 16, 17)]; "
              f"[n.setName(v, i, 3, 1, 0x409) for i, v in {FONT_NAMES!r}.items()]; f.save({str(out)!r})")
    return code or subprocess.call([str(py), "-c", rename])


#: The subset's names (name table IDs): not NanumGothic, a Reserved Font Name of the original.
FONT_NAMES = {1: "NNP Hangul", 3: "NNP Hangul Regular subset", 4: "NNP Hangul Regular", 6: "NNPHangul-Regular",
              16: "NNP Hangul", 17: "Regular"}


def _euc_kr(ch: str) -> bool:
    """Whether `ch` is one of KS X 1001's (EUC-KR's) 2,350 precomposed syllables."""
    try:  # Python's codec spells the other 8,822 with 8 bytes (KS X 1001's composition sequence)
        return len(ch.encode("euc_kr")) == 2
    except UnicodeEncodeError:
        return False


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test", "parity", "process", "i18n", "font"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command == "i18n":
        return i18n(ensure_venv("test"))
    if command == "font":
        if len(rest) != 1:
            print(__doc__)
            return 2
        return font(ensure_venv("test,fonts"), rest[0])
    if command == "app":
        py = ensure_venv("onnx")
        return subprocess.call([str(py), "-m", "playground", *rest])
    parity = command == "parity"
    py = ensure_venv("test,parity" if parity else "test")
    ensure_qt_libraries()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    # Compiled modules kept between runs (git ignores __pycache__): with PYTHONDONTWRITEBYTECODE set,
    # every worker and every command a test starts compiled the app again and pytest re-rewrote each
    # test file's asserts (collection took 12 s a process instead of 4).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The whole suite runs on every core (pytest-xdist), one worker more than the cores: tests that
    # wait on the clock (a slow start, a stalled server) leave a core to the others. Work stealing: a
    # worker that runs out takes tests queued for another, so no core idles at the end behind a slow
    # file. On 2 cores: split up front, 248 s; stealing, 179 s; with a third worker, 169 s.
    # The parity tests and the process-mode ones (marked by the fixtures they ask for and by file,
    # tests/conftest.py) are the second and third stages' alone.
    # The process stage keeps one worker a core: its tests start trainers of their own and time them.
    workers = (os.cpu_count() or 1) + (command == "test")
    spread = [] if rest else ["-n", str(workers), "--dist", "worksteal"]
    stage = ["-m", {"test": "not parity and not process", "parity": "parity",
                    "process": "process and not parity"}[command]]  # fmt: skip
    if command == "process":
        # The trainer's child imports the app by module name: this clone's, whatever .venv points at.
        env.update(NNP_TRAINER="process", PYTHONPATH=str(ROOT))
    code = subprocess.call([str(py), "-m", "pytest", *stage, *spread, *rest], env=env)
    if code == 0 and not rest and command == "test":
        lint = [p for p in ("engine", "playground", "tests", "benchmarks", "dev.py") if (ROOT / p).exists()]
        code = subprocess.call([str(py), "-m", "ruff", "check", *lint])
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
