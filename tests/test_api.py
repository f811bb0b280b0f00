"""The notebook API (playground/api.py): opening, editing, fitting, saving and reopening give the
engine's own numbers; bad input is said; figures are the render command's; the trace is the
engine's gradients; the sample notebook runs headless and prints the API's numbers."""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import PlaygroundError
from engine.project.files import load_project, weight_arrays
from engine.run.training import Trainer
from engine.teaching.backprop import example, numerical_gradient
from playground.__main__ import main
from playground.api import Playground, find_project, preset_names
from playground.resources import PRESETS
from tests.pictures import read_png

ROOT = Path(__file__).resolve().parents[1]
SPIRAL = "04-spiral-tanh"
NOTEBOOK = ROOT / "notebooks" / "tour.ipynb"


def _edited(p: Playground) -> Playground:
    """The tour's edits: a live one (the learning rate) and one that builds a new network."""
    p["training.optimizer.learning_rate"] = 0.03
    p["network.layers.0.units"] = 6
    return p


def _engine_run(project: dict, epochs: int) -> Trainer:
    tr = Trainer(project)
    tr.fit(epochs)
    return tr


# ----------------------------------------------------------------- opening
def test_a_preset_opens_by_name_number_title_or_file():
    by_name = Playground.open(SPIRAL)
    assert by_name.path == PRESETS / f"{SPIRAL}.json" and by_name.title == "Spiral with tanh"
    for other in ("04", "4", "spiral with TANH", "  Spiral with tanh ", PRESETS / f"{SPIRAL}.json"):
        assert find_project(other) == PRESETS / f"{SPIRAL}.json", other
    assert Playground.open("04").project == by_name.project == load_project(PRESETS / f"{SPIRAL}.json")
    for stem, title in preset_names():  # titles with a dot ("vs. narrow") are titles, not file names
        assert find_project(title) == find_project(stem) == PRESETS / f"{stem}.json", title


def test_a_dict_opens_with_the_files_defaults():
    p = Playground.open({"data": {"source": "xor"}, "network": {"layers": [{"units": 3, "activation": "relu"}]}})
    assert p["data.source"] == "xor" and p["network.layers.0.units"] == 3
    assert p["training.optimizer.name"] == "sgd" and p["training.optimizer.learning_rate"] == 0.03  # defaults
    assert p.trainer.network.count_params() == 2 * 3 + 3 + 3 + 1


@pytest.mark.parametrize(("source", "words"), [
    ("Spiral with tahn", "did you mean the preset '04-spiral-tanh'"),
    ("04-spiral-tahn", "did you mean the preset '04-spiral-tanh'"),
    ("nothing-like-it", r"no such project file or preset; preset_names\(\) lists the presets"),
    ("missing.json", "missing.json"),
])  # fmt: skip
def test_an_unknown_project_is_said(source, words):
    with pytest.raises(PlaygroundError, match=words):
        Playground.open(source)


def test_importing_the_api_in_a_fresh_process_lets_the_engines_lookup_find_presets():
    import subprocess

    code = ("import engine.cli, playground.api\n"
            f"print(engine.cli.resolve_project({SPIRAL!r}))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == PRESETS / f"{SPIRAL}.json"


# ----------------------------------------------------------------- round trip
def test_open_edit_fit_evaluate_save_reopen_gives_the_same_numbers(tmp_path):
    p = _edited(Playground.open(SPIRAL))
    seen = []
    history = p.fit(4, callback=lambda log: seen.append((log.epoch, log.metrics["loss"])))
    results = p.evaluate()
    # The engine alone, on the edited project, from its seed: bit for bit the same run.
    tr = _engine_run(p.project, 4)
    assert seen == [(k + 1, v) for k, v in enumerate(tr.history["loss"])]
    assert np.array_equal(history["loss"], np.array(tr.history["loss"]))
    assert results == tr.evaluate() and set(results) == {"train", "test"}
    assert np.array_equal(p.trainer.network.params, tr.network.params)

    project_file, weights = p.save(tmp_path / "mine.json"), p.save_weights(tmp_path / "mine.npz")
    assert json.loads(project_file.read_text())["network"]["layers"][0]["units"] == 6
    again = Playground.open(project_file, weights=weights)  # the trained weights: the same evaluation
    assert again.evaluate() == results and again.epoch == 0
    alone = Playground.open(weights)  # the .npz holds the project too
    assert alone.project == p.project and alone.evaluate() == results
    fresh = Playground.open(str(project_file))  # the project alone: the same run again
    assert np.array_equal(fresh.fit(4)["loss"], history["loss"]) and fresh.evaluate() == results


def test_a_live_edit_goes_on_training_and_a_network_edit_starts_again():
    p = Playground.open(SPIRAL)
    p.fit(2)
    p.set("training.optimizer.learning_rate", 0.002).set("training.batch_size", 25)
    assert p.epoch == 2  # live: the same run goes on
    p.fit(1)
    tr = Trainer(load_project(PRESETS / f"{SPIRAL}.json"))
    tr.fit(2)
    tr.set_learning_rate(0.002)
    tr.set_batch_size(25)
    tr.fit(1)
    assert np.array_equal(p.history["loss"], np.array(tr.history["loss"]))
    p["training.optimizer.name"] = "sgd"  # another optimizer: the weights stay
    assert p.epoch == 3 and np.array_equal(p.trainer.network.params, tr.network.params)
    p["network.layers.1.activation"] = "relu"  # another network: a new run from the seed
    assert p.epoch == 0 and len(p.history["loss"]) == 0
    p.fit(1)
    p.reset()
    assert p.epoch == 0


def test_history_as_arrays_and_as_a_frame(monkeypatch):
    p = Playground.open(SPIRAL)
    p.fit(2)
    h = p.history
    assert set(h) >= {"loss", "accuracy", "val_loss", "test_loss", "fit_loss", "learning_rate"}
    assert h["loss"].shape == (2,) and np.isnan(h["val_loss"]).all()  # no validation split: NaN
    monkeypatch.setitem(sys.modules, "pandas", None)  # as where pandas is not installed
    with pytest.raises(PlaygroundError, match=r"needs pandas \(pip install pandas\)"):
        p.history_frame()


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(("path", "value", "words"), [
    ("data.noise", 10, "data.noise must be <= 1, got 10"),
    ("training.optimizer.learning_rate", -1, "learning_rate must be > 0"),
    ("network.layers.0.activation", "tanhh", "network.layers[0].activation must be one of linear, sigmoid, tanh"),
    ("training.batch_size", 0, "training.batch_size must be >= 1"),
    ("network.layers.7.units", 4, "network.layers.7.units: this project has no such setting"),
    ("data.nosie", 0.1, "data.nosie is not a known key"),
    ("optimiser", 1, "optimiser is not a project setting"),
])  # fmt: skip
def test_a_bad_setting_is_refused_with_the_validators_message_and_nothing_changes(path, value, words):
    p = Playground.open(SPIRAL)
    p.fit(1)
    before = p.project
    with pytest.raises(PlaygroundError) as caught:
        p[path] = value
    assert words in str(caught.value)
    assert p.project == before and p.epoch == 1


def test_an_edit_the_engine_refuses_leaves_the_project_and_the_run_as_they_were():
    p = Playground.open("21-deep-sigmoid-batch-norm")
    p.fit(1)
    before = p.project
    # Live: the epoch limit is set first, then the trainer refuses the batch (the limit goes back);
    # a new run: refused when it is built.
    for edit in ({"app.epoch_limit": True, "training.batch_size": 1},
                 {"training.batch_size": 1, "network.layers.0.units": 5}):  # fmt: skip
        with pytest.raises(PlaygroundError, match="a batch size of 1 is too small here"):
            p.update(edit)
        assert p.project == before and p.epoch == 1
        assert p.trainer.epoch_limit is None and p.trainer.batch_size == before["training"]["batch_size"]
    p["app.epoch_limit"] = True  # alone it is taken: the run stops at training.epochs
    assert p.trainer.epoch_limit == before["training"]["epochs"]


def test_bad_calls_are_said(tmp_path):
    p = Playground.open(SPIRAL)
    bare = tmp_path / "bare.npz"
    np.savez(bare, **weight_arrays(p.trainer.network))
    for call, words in [
        (lambda: p.fit(-1), "epochs must be a whole number from 0 to"),
        (lambda: p.fit(2.5), "epochs must be a whole number"),
        (lambda: p.save(tmp_path / "p.txt"), "a project is saved as .json"),
        (lambda: p.save_weights(tmp_path / "w.txt"), "weights are saved as .npz, .json, .onnx"),
        (lambda: p.save(tmp_path / "no" / "p.json"), "does not exist"),
        (lambda: p.export(tmp_path / "m.zip"), "export writes OUT.onnx or a script OUT.py"),
        (lambda: Playground.open(bare), "holds weights without their project: open the project with weights="),
        (lambda: p.export(tmp_path / "m.py", framework="jax"), "framework must be one of pytorch, keras"),
        (lambda: p.trace(250), r"row must be 0 to 249 \(the training rows\), got 250"),
        (lambda: p.trace(), "give a training row, or inputs= with label="),
        (lambda: p.trace(inputs=[0.1, 0.2]), "inputs= needs label="),
        (lambda: p.trace(inputs=[0.1], label=1), "this data has 2 inputs"),
        (lambda: p.figure("outptu"), "did you mean 'output'"),
        (lambda: p.figure("curves"), r"fit\(\) some epochs first"),
        (lambda: p.figure("layers"), "these data are points"),
        (lambda: p.figure(size=(10, 10)), "each side must be 16"),
        (lambda: p.figure(format="jpg"), "format must be png or svg"),
        (lambda: p.figure(scale=0), "scale must be 0.5 to 8"),
    ]:
        with pytest.raises(PlaygroundError, match=words):
            call()


def test_a_diverging_fit_says_what_to_set_and_keeps_the_history():
    p = Playground.open("12-regression")
    p.update({"training.optimizer.name": "sgd", "training.optimizer.learning_rate": 100})
    assert p["training.optimizer"] == {"name": "sgd", "learning_rate": 100, "momentum": 0.0, "nesterov": False,
                                       "rules": "torch"}  # the window's choice: the new one's defaults  # fmt: skip
    words = r'diverged at epoch 1.*Try 10 or lower\. To try that: p\["training\.optimizer\.learning_rate"\] = \.\.\.'
    with pytest.raises(PlaygroundError, match=words + r", then reset\(\) and fit\(\) again"):
        p.fit(3)
    assert np.isfinite(p.trainer.network.params).all() and p.epoch == 0
    p["training.optimizer.learning_rate"] = 0.01
    p.reset().fit(1)  # from the initial weights, the edit kept
    assert p.epoch == 1 and np.isfinite(p.history["loss"]).all()


# ----------------------------------------------------------------- exports
def test_export_onnx_and_a_script(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    p = Playground.open(SPIRAL)
    p.fit(2)
    (onnx_file,) = p.export(tmp_path / "m.onnx")
    raw = np.array([[0.5, -1.0], [2.0, 3.0]])
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": raw.astype(np.float32)})[0]
    assert np.allclose(got, p.predict(raw), atol=1e-5)
    script, weights = p.export(tmp_path / "m.py", framework="keras")
    assert script.name == "m.py" and weights.name == "m_weights.npz" and "keras" in script.read_text()


# ----------------------------------------------------------------- trace
def test_trace_is_the_cli_backprop_and_central_differences(tmp_path, capsys):
    p = Playground.open(SPIRAL)
    p.fit(1)
    t = p.trace(3)
    weights = p.save_weights(tmp_path / "w.npz")
    assert main(["backprop", SPIRAL, "--weights", str(weights), "--row", "3", "--json"]) == 0
    assert t.to_json() == json.loads(capsys.readouterr().out)
    assert main(["backprop", SPIRAL, "--weights", str(weights), "--row", "3"]) == 0
    assert str(t) + "\n" == capsys.readouterr().out and "<pre>" in t._repr_html_()
    tr = p.trainer
    net = tr.network
    raw, features, label = example(tr.data, tr.data.dataset.x[tr.data.train[3]], tr.data.y_train[3], net.n_outputs)
    for k, layer in enumerate(t.layers):
        for (i, j), g in np.ndenumerate(layer.grad_kernel):
            assert g == pytest.approx(numerical_gradient(net, tr.loss, features, label, k, i, j, 1e-5), rel=1e-6,
                                      abs=1e-9)  # fmt: skip
        for j, g in enumerate(layer.grad_bias):
            assert g == pytest.approx(numerical_gradient(net, tr.loss, features, label, k, None, j, 1e-5), rel=1e-6,
                                      abs=1e-9)  # fmt: skip
    typed = p.trace(inputs=raw, label=label)
    assert typed.loss == t.loss and np.array_equal(typed.features, t.features)


# ----------------------------------------------------------------- figures
def test_figures_are_the_render_commands_png_and_svg(tmp_path, capsys, qapp):
    p = Playground.open(SPIRAL)
    p.fit(3)
    weights = p.save_weights(tmp_path / "w.npz")
    for view, size in (("output", (320, 240)), ("network", (300, 200)), ("weights", (400, 300)),
                       ("confusion", (200, 200))):  # fmt: skip
        fig = p.figure(view, size=size)
        pixels = read_png(fig._repr_png_())
        assert fig._repr_svg_() is None and pixels.shape == (size[1], size[0], 3), view
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10, view
        out = tmp_path / f"{view}.png"
        if view == "weights":  # the rows over time need the run itself: render trains the same epochs
            argv = ["--epochs", "3"]
        else:
            argv = ["--weights", str(weights)]
        assert main(["render", SPIRAL, *argv, "--view", view, "--size", f"{size[0]}x{size[1]}", "--out", str(out)]) == 0
        assert fig.data == out.read_bytes(), view
    svg = p.figure("curves", size="600x300", format="svg")
    assert svg._repr_png_() is None and svg._repr_svg_().lstrip().startswith("<?xml")
    assert 'width="600' in svg._repr_svg_() and svg.size == (600, 300)
    out = tmp_path / "render-curves.svg"
    assert main(["render", SPIRAL, "--epochs", "3", "--view", "curves", "--size", "600x300", "--out", str(out)]) == 0
    assert svg.data == out.read_bytes()
    capsys.readouterr()
    saved = svg.save(tmp_path / "curves.svg")
    assert saved.read_bytes() == svg.data
    with pytest.raises(PlaygroundError, match="save it as .svg"):
        svg.save(tmp_path / "curves.png")


def test_the_summary_for_jupyter():
    p = Playground.open(SPIRAL)
    p.fit(1)
    page = p._repr_html_()
    assert "<b>Spiral with tanh</b>" in page and "8, 8, 8; 177 parameters" in page and "Adam α=0.01" in page
    assert "latest" in page and "epoch</th><td style='text-align:left'>1<" in page
    assert "Dense" in p.summary() or "dense" in p.summary()


# ----------------------------------------------------------------- the sample notebook
def test_the_tour_notebook_runs_headless_and_prints_the_apis_numbers(tmp_path, qapp, monkeypatch):
    """notebooks/tour.ipynb executed by a real kernel (this Python, this checkout's code on its
    path): its losses and evaluation are the API's, run here with the same steps, to the last bit."""
    import nbclient  # the test extra installs them, with ipykernel
    import nbformat

    # A kernel of this interpreter, whatever "python3" kernel the user's Jupyter has.
    spec = tmp_path / "jupyter" / "kernels" / "nnp-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "nnp", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "the notebook is kept without outputs"
    bad = nbformat.v4.new_code_cell('p["data.noise"] = 10', metadata={"tags": ["raises-exception"]})
    nb.cells.append(bad)  # in this run only: a bad value is said as its message, without a traceback
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "QT_QPA_PLATFORM": "offscreen"}
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="nnp-test",
                                     resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute(env=env)
    outputs = {c.source.splitlines()[-1]: c.outputs for c in nb.cells if c.cell_type == "code"}

    def shown(last_line: str) -> dict:
        (result,) = [o for o in outputs[last_line] if o.output_type == "execute_result"]
        return result.data

    p = _edited(Playground.open("Spiral with tanh"))
    losses = []
    p.fit(5, callback=lambda log: losses.append(log.metrics["loss"]))
    assert ast.literal_eval(shown("losses")["text/plain"]) == losses
    assert ast.literal_eval(shown("p.evaluate()")["text/plain"]) == p.evaluate()
    assert "<b>Spiral with tanh</b>" in shown("p")["text/html"]
    import base64

    png = base64.b64decode(shown('p.figure("output", size=(400, 400))')["image/png"])
    assert read_png(png).shape == (400, 400, 3) and png == p.figure("output", size=(400, 400)).data
    assert shown("p.trace(0)")["text/plain"] == str(p.trace(0))
    (error,) = bad.outputs
    assert (error.output_type, error.ename) == ("error", "PlaygroundError")
    assert error.evalue == "data.noise must be <= 1, got 10"
    assert not any("api.py" in line or "engine" in line for line in error.traceback), error.traceback
