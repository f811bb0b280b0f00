"""The engine is a library of its own: it never imports Qt, pyqtgraph or the app."""

import ast
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "pyqtgraph", "superqt", "shiboken6", "playground")


def test_engine_source_has_no_forbidden_imports():
    offenders = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in FORBIDDEN
            ]
    assert not offenders, offenders


def test_importing_the_engine_loads_no_qt_at_runtime():
    code = (
        "import sys, engine, engine.core.model, engine.core.layers, engine.teaching.gradcheck\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_wheel_lists_every_package_and_resource_folder():
    """pyproject.toml lists packages by hand (resources/ is mapped into the wheel as
    playground/_resources): a new subpackage or resource folder must be added there."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    inits = [p for top in ("engine", "playground") for p in (ROOT / top).rglob("__init__.py")]
    packages = {".".join(p.parent.relative_to(ROOT).parts) for p in inits}
    dirs = [p for p in (ROOT / "resources").rglob("*") if p.is_dir() and not p.name.startswith((".", "__"))]
    folders = {"playground._resources." + ".".join(p.relative_to(ROOT / "resources").parts) for p in dirs}
    assert packages | folders | {"playground._resources"} == listed
    assert config["package-dir"] == {"playground._resources": "resources"}


def test_nothing_branches_on_the_models_class_or_a_layers():
    """Issue 36: one model for every project, and consumers ask a layer's kind instead of testing
    its class. No isinstance/issubclass in engine/ or playground/ names the model or a layer kind."""
    from engine.core.layers import LAYERS

    named = {"LayerStack", "Model", "Network", "ConvNetwork", "Sequential"} | {
        LAYERS.get(n).__name__ for n in LAYERS.names()}  # fmt: skip
    offenders = []
    for top in ("engine", "playground"):
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("isinstance", "issubclass"):
                    classes = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
                    names = {getattr(c, "id", getattr(c, "attr", "")) for c in classes}
                    offenders += [f"{path.relative_to(ROOT)}:{node.lineno} tests {n}" for n in names & named]
    assert not offenders, offenders


def test_no_module_compares_an_activation_with_the_name_softmax():
    """What softmax is special for is a property of its descriptor (elementwise, jacobian_words,
    probabilities, as sigmoid's probabilities): a test of the name in a branch would miss the next
    such activation. Its registration and the losses' declarations may name it; no comparison may
    (a name compared in a tuple with it, ("sigmoid", "softmax"), is caught too; a fast path for
    sigmoid itself, or torch's hard-wired gates, may name sigmoid)."""
    offenders = []
    for top in ("engine", "playground"):
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Compare):
                    continue
                for side in [node.left, *node.comparators]:
                    names = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                    if any(isinstance(n, ast.Constant) and n.value == "softmax" for n in names):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


#: The packages from the bottom up: a module may import from its own tier and the ones below it,
#: never above (the engine's tiers all sit below the app's). Top-level modules are named whole.
TIERS = [
    ["engine.core"],  # the model, its layers, losses, optimizers, registries, limits, numbers
    ["engine.data"],  # data sets: generators, loaders, feature maps, splits, downloads
    ["engine.run"],  # a run: built from a validated project's pieces, and the training loop
    ["engine.project"],  # the field table, the project file and its validation, links, lessons
    ["engine.imports"],  # model import: ONNX, Keras and PyTorch files as a project and weights
    ["engine.exports"],  # code export
    ["engine.backends"],  # other engines that train a project (PyTorch), built from the exports' code
    ["engine.teaching"],  # the teaching tools' computations: backprop trace, landscape, surfaces...
    ["engine.cli_args", "engine.cli", "engine"],  # the headless command line, and the package's short names
    # palette, resources, language, pyqtgraph as the plots import it
    ["playground.colors", "playground.resources", "playground.i18n", "playground.plotlib", "playground"],
    ["playground.run"],  # the trainer's process and the session: no widgets
    ["playground.widgets"],  # small widgets and dialogs
    ["playground.panels"],  # the main window's panels and views
    ["playground.media"],  # pictures and animations of the views, off screen
    ["playground.windows"],  # the tool windows
    ["playground.actions"],  # the window's menus and what they do
    ["playground.main_window"],
    ["playground.app"],
    ["playground.figure_cli", "playground.__main__", "playground.api"],  # the commands, the notebook API
]


def _tier(module: str) -> int:
    """The tier of a module: the longest tier name it starts with."""
    best, level = "", -1
    for i, names in enumerate(TIERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > len(best):
                best, level = name, i
    return level


def _imports(path: pathlib.Path) -> list[tuple[int, str]]:
    """Every engine/playground module a file imports, anywhere in it, as absolute names."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    package = parts[:-1]  # a module's package; for __init__.py, the package itself
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [(node.lineno, n) for n in names if n.split(".")[0] in ("engine", "playground")]
    return found


def test_imports_point_down_the_tiers_only():
    """Issue 36: the folders show the layering and the imports keep it (the network core takes what
    it needs as arguments; shared pieces sit below both users)."""
    offenders, unplaced = [], []
    for top in ("engine", "playground"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            me = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            mine = _tier(me)
            if mine < 0:
                unplaced.append(me)
                continue
            offenders += [f"{me}:{line} imports {name}" for line, name in _imports(path) if _tier(name) > mine]
    assert not unplaced, f"modules in no tier (add them to TIERS): {unplaced}"
    assert not offenders, offenders


def test_the_tier_test_sees_an_upward_import(tmp_path):
    """The test above can fail: a core module importing the project is caught."""
    fake = ROOT / "engine" / "core" / "_tier_probe.py"
    try:
        fake.write_text("from ..project import fields\nfrom .model import Model\n")
        assert [n for _, n in _imports(fake)] == ["engine.project", "engine.core.model"]
        assert _tier("engine.project") > _tier("engine.core._tier_probe")
    finally:
        fake.unlink()


def test_the_network_core_loads_nothing_above_it():
    """Importing the core (as a notebook or the trainer's process does) loads no project, data or
    run module through another one."""
    code = ("import sys, engine.core.model, engine.core.layers, engine.core.optimizers, engine.core.losses\n"
            "bad = [m for m in sys.modules if m.startswith(('engine.project', 'engine.run', 'engine.data'))]\n"
            "print(bad); sys.exit(1 if bad else 0)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_run_has_no_widgets():
    """playground.run is what the trainer's process and the session are made of: QtCore at most."""
    offenders = []
    for path in sorted((ROOT / "playground" / "run").rglob("*.py")):
        text = path.read_text()
        offenders += [f"{path.name}: {w}" for w in ("QtWidgets", "QtGui", "pyqtgraph") if w in text]
    assert not offenders, offenders


def test_no_module_passes_600_lines_and_the_main_window_300():
    """A module past 600 lines holds more than one thing: split it at a seam, into modules whose
    names say what they hold. The main window composes panels and actions, and stays short."""
    long = {str(p.relative_to(ROOT)): n for top in ("engine", "playground") for p in (ROOT / top).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 600}  # fmt: skip
    assert not long, long
    assert len((ROOT / "playground" / "main_window.py").read_text().splitlines()) <= 300


def test_tests_reach_pytorch_and_keras_only_through_their_fixtures():
    """A test that imported torch itself skipped in the default stage (no torch there) and, not asking
    for the `torch` fixture, was not in the parity stage either: it ran nowhere (five BN tests did)."""
    pattern = re.compile(r"^\s*(import (torch|keras)\b|from (torch|keras)\b)|importorskip\(\s*[\"'](torch|keras)", re.M)
    found = [p.name for p in (ROOT / "tests").glob("*.py") if p.name != "conftest.py" and pattern.search(p.read_text())]
    assert not found, f"ask for the torch or keras fixture instead (tests/conftest.py): {found}"
