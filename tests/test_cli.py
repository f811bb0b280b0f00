"""The headless CLI end to end, through a subprocess, as a user runs it."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "playground", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def proj(tmp_path):
    p = {
        "format": "nn-playground/1",
        "seed": 1,
        "data": {"source": "xor", "samples": 200, "noise": 0.05, "validation_fraction": 0.2, "test_fraction": 0.3},
        "network": {"layers": [{"units": 8, "activation": "tanh"}]},
        "training": {"optimizer": {"name": "adam", "learning_rate": 0.03}, "epochs": 30},
    }
    path = tmp_path / "xor.json"
    path.write_text(json.dumps(p))
    return path


def test_train_export_evaluate(proj, tmp_path):
    done = cli("train", proj, "--epochs", 25, "--export", tmp_path / "w.npz", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "epoch 25/25" in done.stdout and "val_loss" in done.stdout
    assert "test" in done.stdout.splitlines()[-2] and "weights saved" in done.stdout
    ev = cli("evaluate", proj, "--weights", tmp_path / "w.npz", "--json", cwd=tmp_path)
    assert ev.returncode == 0, ev.stderr
    results = json.loads(ev.stdout)  # stdout holds the JSON and nothing else
    assert set(results) == {"train", "validation", "test"} and results["test"]["accuracy"] > 0.85
    assert cli("train", proj, "--epochs", 1, "--weights", tmp_path / "w.npz", cwd=tmp_path).returncode == 0


def test_same_seed_same_weights_through_the_cli(proj, tmp_path):
    for name in ("a", "b"):
        assert (
            cli(
                "train", proj, "--epochs", 3, "--seed", 7, "--export", tmp_path / f"{name}.npz", cwd=tmp_path
            ).returncode
            == 0
        )
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files if k != "config")


def test_regression_json_leaves_accuracy_out(tmp_path):
    p = tmp_path / "plane.json"
    p.write_text(
        json.dumps(
            {
                "format": "nn-playground/1",
                "data": {"source": "plane", "samples": 100, "test_fraction": 0.0},
                "network": {"output_activation": "linear"},
                "training": {"loss": "mse", "epochs": 2},
            }
        )
    )
    assert cli("train", p, "--export", tmp_path / "w.json", cwd=tmp_path).returncode == 0
    results = json.loads(cli("evaluate", p, "--weights", tmp_path / "w.json", "--json", cwd=tmp_path).stdout)
    assert list(results) == ["train"] and list(results["train"]) == ["loss"]


def test_summary_and_export_data(proj, tmp_path):
    s = cli("summary", proj, cwd=tmp_path)
    assert s.returncode == 0 and "Total params: 33" in s.stdout
    e = cli("export-data", proj, tmp_path / "d.csv", cwd=tmp_path)
    assert e.returncode == 0
    assert (tmp_path / "d.csv").read_text().splitlines()[0] == "x1,x2,label,split"


def test_older_keras_keys_are_read_with_a_note_on_stderr(tmp_path):
    """Issue 29, item 13: Keras 2's lr and decay train as learning_rate and the inverse_time
    schedule; the CLI says so on stderr (stdout stays the command's own)."""
    p = {"format": "nn-playground/1", "data": {"source": "xor", "samples": 60},
         "training": {"optimizer": {"name": "sgd", "lr": 0.1, "decay": 1e-4}, "epochs": 2}}  # fmt: skip
    path = tmp_path / "old.json"
    path.write_text(json.dumps(p))
    done = cli("train", path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "note:" not in done.stdout and "epoch 2" in done.stdout
    assert "note: training.optimizer.lr is older Keras's name for learning_rate" in done.stderr
    assert '"name": "inverse_time", "decay_rate": 0.0001, "decay_steps": 1' in done.stderr


def test_onnx_export_from_the_cli(proj, tmp_path):
    pytest.importorskip("onnx")
    done = cli("train", proj, "--epochs", 1, "--export", tmp_path / "m.onnx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.onnx").stat().st_size > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "missing.json"], "missing.json: no such file"),
        (["train", "bad.json"], "bad.json: training.batch_size must be >= 1, got 0"),
        (["evaluate", "xor.json"], "--weights"),
        (["train", "xor.json", "--export", "w.txt"], "as .npz, .json or .onnx"),
        (["evaluate", "xor.json", "--weights", "xor.json"], 'xor.json: expected an object with a "weights" object'),
        (["export-data", "xor.json", "out.xls"], "as .csv or .npz"),
        (["train", "xor.json", "--epochs", "zero"], "invalid int value"),
        (["train", "xor.json", "--epochs", "-1"], "--epochs must be 0 to 10,000,000, got -1"),
        (["train", "xor.json", "--seed", str(2**40)], "--seed must be <= 4,294,967,295, got 1099511627776"),
        (["train", "xor.json", "--export", "no/such/folder/w.npz"], "folder no/such/folder does not exist"),
        (["train", "xor.json", "--export", "adir.npz"], "adir.npz: is a folder"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(proj, tmp_path, args, message):
    (tmp_path / "bad.json").write_text(json.dumps({"format": "nn-playground/1", "training": {"batch_size": 0}}))
    (tmp_path / "adir.npz").mkdir()
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["landscape", "04-spiral-tanh", "--seed", "-1"],
         "nn-playground: --seed must be 0 to 4,294,967,295 (the random directions' seed), got -1"),
        (["landscape", "04-spiral-tanh", "--seed", str(2**32)], "--seed must be 0 to 4,294,967,295"),
        (["backprop", "19-cnn-digits", "--input", "1", "--label", "0"], "nn-playground: this data has 64 inputs"),
        (["path", "quadratic", "--optimizer", '{"name": "adam", "learning_rate": 1%s}' % ("0" * 400)],
         "nn-playground: adam.learning_rate must be <= 100, got a 401-digit number"),
        (["path", "quadratic", "--optimizer", '{"name": "sgd", "momentum": -1%s}' % ("0" * 400)],
         "nn-playground: sgd.momentum must be >= 0, got a 401-digit number"),
        (["summary", "huge.json"], "nn-playground: huge.json: seed is a 5,000-digit whole number"),
    ],
)  # fmt: skip
def test_numbers_out_of_range_are_refused_without_a_traceback(tmp_path, args, message):
    """Issue 28, items 7 and 12: each of these ended in a traceback with status 1 (NumPy's
    negative-seed ValueError, a broadcast error in the walk of a CNN, math.isfinite's
    OverflowError, the JSON reader's 4,300-digit ValueError)."""
    (tmp_path / "huge.json").write_text('{"format": "nn-playground/1", "seed": %s}' % ("7" * 5000))
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr, done.stderr


def test_bad_output_paths_are_refused_before_any_training(proj, tmp_path):
    done = cli("train", proj, "--epochs", 5, "--export", tmp_path / "nowhere" / "w.npz", cwd=tmp_path)
    assert done.returncode == 2 and "does not exist" in done.stderr
    assert "epoch" not in done.stdout  # nothing was trained first


def test_zero_epochs_exports_the_initial_weights(proj, tmp_path):
    from engine.project.files import load_project, read_weights
    from engine.run.training import Trainer

    done = cli("train", proj, "--epochs", 0, "--export", tmp_path / "init.npz", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    arrays, _ = read_weights(tmp_path / "init.npz")
    fresh = Trainer(load_project(proj))
    for name, w in zip(fresh.network.param_names(), fresh.network.get_weights()):
        np.testing.assert_array_equal(arrays[name], w)


def test_help_lists_every_command(capsys):
    from engine.cli import COMMANDS
    from playground.__main__ import main as entry

    assert entry(["--help"]) == 0
    text = capsys.readouterr().out
    assert "PROJECT.json" in text and "--play" in text
    for command in COMMANDS:
        assert f"  {command}" in text


@pytest.mark.parametrize(("typed", "hint"), [("trian", "did you mean 'train'?"), ("sumary", "did you mean 'summary'?")])
def test_a_mistyped_command_suggests_the_right_one(capsys, typed, hint):
    from playground.__main__ import main as entry

    assert entry([typed]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"nn-playground: unknown command '{typed}'; {hint}"


def test_without_a_display_the_window_says_what_to_do(capsys, monkeypatch):
    from playground import __main__ as entry

    monkeypatch.setattr(entry.sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert entry.main([]) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "nn-playground train PROJECT.json" in err


def test_a_diverging_run_prints_short_numbers_and_terminal_words(tmp_path):
    """Issue 31, item 3: lesson 16's loss printed 264 digits, the table said "inf" right after "the
    last finite weights were kept", and a terminal user was told to "press Reset"."""
    done = cli("train", "16-lesson-learning-rate", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert not re.search(r"\d{12}", done.stdout + done.stderr), done.stdout  # no run of a dozen digits
    assert "loss 1.144e126" in done.stdout
    lines = done.stdout.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("split")):]
    assert table[1].split() == ["train", "∞", "—"] and "inf" not in done.stdout
    assert table[-1].startswith("∞: the loss is too large for a float64")
    assert "Reset" not in done.stderr
    assert "Try 0.3 or lower. To try that, copy the preset (" in done.stderr
    assert "set training.optimizer.learning_rate there and train that file" in done.stderr
    assert "The table below is for the last finite weights." in done.stderr


def test_a_rate_too_high_that_never_diverges_gets_one_warning(tmp_path):
    """Issue 31, item 4: SGD at α = 10 on the tanh spiral bounced between 5 and 20 silently."""
    p = json.loads((ROOT / "resources" / "presets" / "04-spiral-tanh.json").read_text())
    p["training"]["optimizer"] = {"name": "sgd", "learning_rate": 10}
    (tmp_path / "fast.json").write_text(json.dumps(p))
    done = cli("train", "fast.json", "--epochs", 60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning at epoch" in line]
    assert len(warnings) == 1, done.stderr
    assert "without diverging: α = 10 is likely too high for SGD here. Try 1 or lower." in warnings[0]
    assert warnings[0].endswith("set training.optimizer.learning_rate in fast.json and train again.")
