"""The engine is a library of its own: it never imports Qt, pyqtgraph or the app."""

import ast
import pathlib
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
        "import sys, engine, engine.model, engine.layers, engine.gradcheck\n"
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
    from engine.layers import LAYERS

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


#: The network core, and what it builds runs with: below the project layer (the field table and
#: the project validator), which imports them and never the other way round.
CORE = ("model", "layers", "training", "optimizers", "losses", "activations", "initializers", "regularizers",
        "limits", "build")  # fmt: skip
PROJECT_LAYER = ("fields", "project")


def test_the_network_core_imports_nothing_from_the_field_table_or_the_project():
    paths = [ROOT / "engine" / f"{name}.py" for name in CORE] + sorted((ROOT / "engine").glob("layer_*.py"))
    offenders = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                module = (node.module or "").removeprefix("engine.") if node.level <= 1 else ""
                names = [module] if module else [a.name for a in node.names]  # from . import project
            elif isinstance(node, ast.Import):
                names = [a.name.removeprefix("engine.") for a in node.names]
            else:
                continue
            offenders += [f"{path.name}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in PROJECT_LAYER]
    assert not offenders, offenders
    # Nor through another module: importing the core loads neither.
    modules = ", ".join(f"engine.{name}" for name in CORE) + ", " + ", ".join(
        f"engine.{p.stem}" for p in sorted((ROOT / "engine").glob("layer_*.py")))  # fmt: skip
    code = (f"import sys, {modules}\n"
            f"bad = [m for m in sys.modules if m.removeprefix('engine.') in {PROJECT_LAYER!r}]\n"
            "print(bad); sys.exit(1 if bad else 0)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_engine_module_passes_600_lines():
    """A module past 600 lines holds more than one thing: split it at a seam, into modules whose
    names say what they hold (engine/project.py was validation, data preparation and network
    building: building went to engine/build.py). playground/ has files past it still, being split."""
    long = {p.name: n for p in (ROOT / "engine").rglob("*.py") if (n := len(p.read_text().splitlines())) > 600}
    assert not long, long
