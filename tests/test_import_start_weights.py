"""Issue 33, item 2: "the imported project opens with its weights". `import-model` names the weights
file beside the project as its app.weights; every command that takes --weights, the notebook API
and (tests/test_gui_import_views.py) the window start from them; a missing or unfitting file is
one clear message and nothing is written or changed. The model files are the engine's own ONNX
export of a network whose weights were moved off their initial values, so no other framework is
needed (the --compare test is in the parity stage)."""

import json

import numpy as np
import pytest
from helpers import project

from engine.cli import main
from engine.core.errors import PlaygroundError
from engine.core.numbers import number
from engine.imports import import_model
from engine.project import build_network, prepare_data
from engine.project.files import load_project, onnx_model_bytes, read_weights, save_weights
from engine.run.training import Trainer

pytest.importorskip("onnx")

DENSE = {"data": {"source": "circle", "samples": 120},
         "network": {"layers": [{"units": 5, "activation": "tanh"}, {"units": 3, "activation": "relu"}],
                     "output_activation": "sigmoid"}}  # fmt: skip
STARTING = "starting from the project's initial weights in m.npz"


def _model(tmp_path):
    """m.onnx: DENSE's network with weights off their initial values, so a run that fell back to
    the initializer's shows."""
    p = project(**DENSE)
    data = prepare_data(p)
    net = build_network(p, data.n_inputs, data.dataset.classes)
    rng = np.random.default_rng(1)
    net.set_weights([w + rng.normal(0, 0.4, w.shape) for w in net.get_weights()])
    path = tmp_path / "m.onnx"
    path.write_bytes(onnx_model_bytes(net))
    return path


def _imported(tmp_path, capsys, *more):
    """`import-model m.onnx m.json ...`: the model as imported, and what the command printed."""
    model = _model(tmp_path)
    assert main(["import-model", str(model), str(tmp_path / "m.json"), *more]) == 0
    return import_model(model), capsys.readouterr().out


def _expected(tmp_path, weights):
    """The engine's own numbers for m.json at `weights`."""
    tr = Trainer(load_project(tmp_path / "m.json"), base_dir=tmp_path)
    tr.network.set_weights(weights)
    return tr.evaluate()


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_model_names_its_weights_and_every_command_starts_from_them(tmp_path, capsys):
    want, said = _imported(tmp_path, capsys)
    proj = tmp_path / "m.json"
    assert json.loads(proj.read_text())["app"]["weights"] == "m.npz"
    assert "m.json names m.npz as its initial weights (app.weights)" in said
    arrays, config = read_weights(tmp_path / "m.npz")
    assert config == load_project(proj)  # the project inside the weights is the one written
    weights = want.weight_list()
    expected = _expected(tmp_path, weights)
    initializer = Trainer(load_project(proj), base_dir=tmp_path).evaluate()
    assert expected["train"]["loss"] != initializer["train"]["loss"]  # the test can tell them apart
    # evaluate: no --weights needed; the imported model's numbers, bit for bit; one line says so.
    code, out, err = _run(capsys, "evaluate", proj, "--json")
    assert code == 0 and json.loads(out) == expected
    assert err.count("\n") == 1 and STARTING in err
    # train --epochs 0 keeps them: its table and the exported weights are the imported model's.
    code, out, err = _run(capsys, "train", proj, "--epochs", "0", "--export", tmp_path / "e.npz")
    assert code == 0 and STARTING in err
    row = next(line for line in out.splitlines() if line.startswith("train "))
    assert row.split()[1] == number(expected["train"]["loss"], 6)
    exported, _config = read_weights(tmp_path / "e.npz")
    assert all(np.array_equal(exported[k], arrays[k]) for k in arrays)
    # backprop and landscape: the same as with --weights m.npz given.
    for argv in (["backprop", proj, "--row", "3", "--json"], ["landscape", proj, "--resolution", "3", "--json"]):
        code, implicit, err = _run(capsys, *argv)
        assert code == 0 and STARTING in err
        code, explicit, err = _run(capsys, *argv, "--weights", tmp_path / "m.npz")
        assert code == 0 and STARTING not in err and implicit == explicit
    # An explicit --weights wins, and nothing says app.weights.
    other = Trainer(load_project(proj), base_dir=tmp_path)
    save_weights(tmp_path / "other.npz", other.network)
    code, out, err = _run(capsys, "evaluate", proj, "--json", "--weights", tmp_path / "other.npz")
    assert code == 0 and json.loads(out) == initializer and err == ""


def test_the_first_epoch_trains_from_the_imported_weights(tmp_path, capsys):
    want, _said = _imported(tmp_path, capsys)
    tr = Trainer(load_project(tmp_path / "m.json"), base_dir=tmp_path)
    tr.network.set_weights(want.weight_list())
    tr.fit(1)
    code, _out, err = _run(capsys, "train", tmp_path / "m.json", "--epochs", "1", "--export", tmp_path / "e.npz")
    assert code == 0, err
    exported, _config = read_weights(tmp_path / "e.npz")
    assert all(np.array_equal(exported[n], w) for n, w in zip(tr.network.param_names(), tr.network.get_weights()))


@pytest.mark.parametrize("where", ["sub/w.npz", "w.json"])
def test_weights_elsewhere_are_not_named_and_the_output_says_how_to_use_them(tmp_path, capsys, where):
    (tmp_path / "sub").mkdir()
    weights = tmp_path / where
    want, said = _imported(tmp_path, capsys, "--weights", str(weights))
    assert weights.is_file() and "weights" not in json.loads((tmp_path / "m.json").read_text())["app"]
    assert f"m.json does not name {weights}" in said and f"--weights {weights}" in said
    code, _out, err = _run(capsys, "evaluate", tmp_path / "m.json")
    assert code == 2 and "evaluate needs --weights W.npz: m.json names no weights of its own" in err
    code, out, _err = _run(capsys, "evaluate", tmp_path / "m.json", "--json", "--weights", weights)
    assert code == 0 and json.loads(out) == _expected(tmp_path, want.weight_list())


def _broken(tmp_path, how):
    """m.json whose app.weights file is missing, unfitting (the network edited) or not a weight file."""
    proj = tmp_path / "m.json"
    if how == "missing":
        (tmp_path / "m.npz").unlink()
    elif how == "unfitting":
        doc = json.loads(proj.read_text())
        doc["network"]["layers"][0]["units"] = 4
        proj.write_text(json.dumps(doc))
    else:
        (tmp_path / "m.npz").write_bytes(b"not a zip")
    return proj


BROKEN = {
    "missing": "app.weights names m.npz, which is not in ",
    "unfitting": "app.weights: m.npz: layers.0.kernel has shape (2, 5), expected (2, 4). Give it a weight file",
    "corrupt": "app.weights: m.npz",
}


@pytest.mark.parametrize("how", list(BROKEN))
def test_a_missing_or_unfitting_app_weights_is_one_clear_message_and_nothing_is_lost(tmp_path, capsys, how):
    _imported(tmp_path, capsys)
    proj = _broken(tmp_path, how)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    for argv in (["train", proj, "--epochs", "1", "--export", tmp_path / "e.npz"], ["evaluate", proj],
                 ["backprop", proj, "--row", "0"], ["landscape", proj, "--resolution", "3"]):  # fmt: skip
        code, out, err = _run(capsys, *argv)
        assert code == 2 and err.count("\n") == 1 and BROKEN[how] in err, (argv, err)
        assert "remove app.weights from the project to start from the initializer's weights" in err
        assert "Traceback" not in err and "epoch" not in out
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == files  # nothing written or changed
    code, _out, err = _run(capsys, "evaluate", proj, "--weights", tmp_path / "m.onnx")
    assert code == 2 and "app.weights" not in err  # an explicit --weights is not app.weights: that file is not read
    code, _out, err = _run(capsys, "summary", proj)
    assert code == 0  # the summary needs no weights


# ----------------------------------------------------------------- the notebook API
def test_the_api_opens_resets_and_saves_an_imported_project_with_its_weights(tmp_path, capsys):
    from playground.api import Playground

    want, _said = _imported(tmp_path, capsys)
    weights = want.weight_list()
    p = Playground.open(tmp_path / "m.json")
    assert all(np.array_equal(a, b) for a, b in zip(p.trainer.network.get_weights(), weights))
    assert p.evaluate() == _expected(tmp_path, weights)
    p.fit(2)
    trained = p.trainer.network.get_weights()
    assert p.reset().epoch == 0  # Reset returns to the imported weights, as the window's does
    assert all(np.array_equal(a, b) for a, b in zip(p.trainer.network.get_weights(), weights))
    p.fit(2)
    assert all(np.array_equal(a, b) for a, b in zip(p.trainer.network.get_weights(), trained))
    # Saved elsewhere: the initial weights go beside it, named by its app.weights; it reopens with them.
    (tmp_path / "out").mkdir()
    p.save(tmp_path / "out" / "copy.json")
    assert json.loads((tmp_path / "out" / "copy.json").read_text())["app"]["weights"] == "copy.weights.npz"
    again = Playground.open(tmp_path / "out" / "copy.json")
    assert all(np.array_equal(a, b) for a, b in zip(again.trainer.network.get_weights(), weights))
    # An explicit weight file wins; reset() still returns to the initial weights.
    init = tmp_path / "init.npz"
    save_weights(init, Trainer(load_project(tmp_path / "m.json"), base_dir=tmp_path).network)
    q = Playground.open(tmp_path / "m.json", weights=init)
    assert not np.array_equal(q.trainer.network.get_weights()[0], weights[0])
    assert np.array_equal(q.reset().trainer.network.get_weights()[0], weights[0])
    # A network they no longer fit: the initializer's, and a save no longer names them.
    q.set("network.layers.0.units", 4)
    q.save(tmp_path / "out" / "edited.json")
    assert "weights" not in json.loads((tmp_path / "out" / "edited.json").read_text())["app"]
    assert not (tmp_path / "out" / "edited.weights.npz").exists()


@pytest.mark.parametrize("how", list(BROKEN))
def test_the_api_says_a_missing_or_unfitting_app_weights(tmp_path, capsys, how):
    from playground.api import Playground

    _imported(tmp_path, capsys)
    proj = _broken(tmp_path, how)
    with pytest.raises(PlaygroundError, match="remove app.weights from the project") as exc:
        Playground.open(proj)
    assert BROKEN[how] in str(exc.value)


def test_render_draws_the_imported_weights(tmp_path, capsys, qapp):
    from playground.__main__ import main as app_main
    from playground.api import Playground

    _imported(tmp_path, capsys)
    proj = tmp_path / "m.json"
    argv = ["render", str(proj), "--view", "output", "--size", "120x120"]
    assert app_main([*argv, "--out", str(tmp_path / "a.png")]) == 0
    assert STARTING in capsys.readouterr().err
    assert app_main([*argv, "--weights", str(tmp_path / "m.npz"), "--out", str(tmp_path / "b.png")]) == 0
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert Playground.open(proj).figure("output", size=(120, 120)).data == (tmp_path / "a.png").read_bytes()
    doc = json.loads(proj.read_text())
    del doc["app"]["weights"]
    (tmp_path / "plain.json").write_text(json.dumps(doc))
    assert app_main(["render", str(tmp_path / "plain.json"), *argv[2:], "--out", str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").read_bytes() != (tmp_path / "a.png").read_bytes()  # the initializer's differ


def test_compare_and_the_torch_backend_start_from_app_weights(torch, tmp_path, capsys):
    from engine.backends.pytorch import compare

    want, _said = _imported(tmp_path, capsys)
    numpy_run, _torch_run, rows = compare(load_project(tmp_path / "m.json"), tmp_path, 1)
    start = Trainer(load_project(tmp_path / "m.json"), base_dir=tmp_path)
    start.network.set_weights(want.weight_list())
    start.fit(1)
    assert np.array_equal(numpy_run.network.params, start.network.params)
    assert rows[0]["weights"] < 1e-9
    code, _out, err = _run(capsys, "train", tmp_path / "m.json", "--compare", "--epochs", "1")
    assert code == 0 and "both runs start from the project's initial weights in m.npz" in err
    # --backend torch trains from them too: one epoch lands where the engine's does.
    code, _out, err = _run(capsys, "train", tmp_path / "m.json", "--backend", "torch", "--epochs", "1", "--export",
                           tmp_path / "t.npz")  # fmt: skip
    assert code == 0 and STARTING in err
    trained, _config = read_weights(tmp_path / "t.npz")
    for name, w in zip(start.network.param_names(), start.network.get_weights()):
        np.testing.assert_allclose(trained[name], w, rtol=0, atol=1e-9)
