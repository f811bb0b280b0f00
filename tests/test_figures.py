"""`nn-playground render` and `record`: headless figures and slide animations, their encoders,
and their answers to bad input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.project.files import load_project, save_project, save_weights
from engine.run.training import Trainer
from playground.__main__ import main
from playground.media import animation
from playground.resources import PRESETS
from tests.pictures import read_apng, read_gif, read_png

SPIRAL = "03-spiral-relu"


def _small_gradient(h: int = 40, w: int = 64) -> np.ndarray:
    """A frame of more than 256 colours (so GIF must quantise it)."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 255 // w, yy * 255 // h, (xx + yy) * 255 // (w + h)], axis=2).astype(np.uint8)


def _encode(writer_class: type, frames: list[np.ndarray], fps: float = 10) -> bytes:
    f = io.BytesIO()
    writer = writer_class(f, fps)
    for frame in frames:
        writer.add(frame)
    writer.close()
    return f.getvalue()


def _ffmpeg_frames(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """Decode an animation with ffmpeg (an independent decoder): (n, h, w, 3)."""
    exe = animation.ffmpeg()
    assert exe is not None, "the test extra installs imageio-ffmpeg"
    out = subprocess.run([exe, "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-fps_mode", "passthrough", "-"], capture_output=True, check=True).stdout  # fmt: skip
    return np.frombuffer(out, np.uint8).reshape(-1, *shape, 3)


# ----------------------------------------------------------------- encoders
def test_png_and_apng_are_lossless_and_store_only_what_changed():
    a = _small_gradient()
    b = a.copy()
    b[5:9, 10:20] = (200, 30, 30)
    assert np.array_equal(read_png(animation.png_bytes(a)), a)
    data = _encode(animation.ApngWriter, [a, b, b])
    frames = read_apng(data)
    assert [np.array_equal(f, g) for f, g in zip(frames, [a, b, b])] == [True, True, True]
    assert b"acTL" in data and data.count(b"fdAT") == 2
    assert animation.changed_box(a, b) == (10, 5, 10, 4)
    assert animation.changed_box(b, b) == (0, 0, 1, 1)  # an unchanged frame still stores a rectangle


def test_gif_decodes_to_its_palette_and_ffmpeg_agrees(tmp_path):
    rng = np.random.default_rng(1)
    palette = rng.integers(0, 256, (256, 3), dtype=np.uint8)
    noise = palette[rng.integers(0, 256, (120, 160))]  # 256 colours, no runs: the LZW table fills and restarts
    few = np.zeros((120, 160, 3), np.uint8)
    few[:, 80:] = (255, 255, 255)
    gradient = np.zeros((120, 160, 3), np.uint8)
    gradient[:40, :64] = _small_gradient()
    data = _encode(animation.GifWriter, [noise, few, gradient], fps=20)
    frames, delays = read_gif(data)
    assert delays == [5, 5, 5]
    assert np.array_equal(frames[0], noise) and np.array_equal(frames[1], few)  # ≤ 256 colours: exact
    error = np.abs(frames[2].astype(int) - gradient).max()
    assert 0 < error <= 24  # 2,560 colours in 256: close, not exact
    path = tmp_path / "t.gif"
    path.write_bytes(data)
    assert np.array_equal(_ffmpeg_frames(path, (120, 160)), np.stack(frames))


def test_median_cut_is_deterministic_and_keeps_flat_colours():
    pixels = _small_gradient(64, 128).reshape(-1, 3)
    pixels[:500] = (255, 255, 255)
    one = animation.median_cut(pixels)
    two = animation.median_cut(pixels.copy())
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
    palette, index = one
    assert len(palette) == 256
    assert tuple(palette[index[0]]) == (255, 255, 255)  # a box of one colour is that colour


# ----------------------------------------------------------------- the commands
def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_record_runs_with_no_display_in_its_own_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "run.apng"
    result = subprocess.run(
        [sys.executable, "-m", "playground", "record", SPIRAL, "--epochs", "4", "--every", "2", "--size", "320x180",
         "--views", "output,curves", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # the offscreen platform's notes are not shown
    frames = read_apng(out.read_bytes())
    assert len(frames) == 3 and frames[0].shape == (180, 320, 3)  # epochs 0, 2 and 4
    assert "3 frames of output, curves" in result.stdout


def test_same_command_same_bytes(tmp_path, capsys, qapp):
    for suffix in (".gif", ".apng"):
        outs = [tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"]
        for out in outs:
            code, _, err = _run(capsys, "record", SPIRAL, "--epochs", "2", "--every", "1", "--size", "320x180",
                                "--views", "output,curves", "--out", out)  # fmt: skip
            assert code == 0, err
        assert outs[0].read_bytes() == outs[1].read_bytes()
    frames, delays = read_gif((tmp_path / "a.gif").read_bytes())
    assert len(frames) == 3 and delays == [10] * 3
    assert not np.array_equal(frames[0], frames[-1])  # the run moved


def test_last_frame_of_a_record_is_render_at_that_epoch(tmp_path, capsys, qapp):
    from playground.media.figures import Figures, Slide

    size, views = (640, 360), ["output", "weights"]
    folder = tmp_path / "frames"
    code, _, err = _run(capsys, "record", SPIRAL, "--epochs", "5", "--every", "2", "--size", "640x360",
                        "--views", ",".join(views), "--out", f"{folder}/")  # fmt: skip
    assert code == 0, err
    names = sorted(p.name for p in folder.iterdir())
    assert names == [animation.frame_name(k) for k in range(4)]  # epochs 0, 2, 4 and the last, 5
    last = read_png((folder / names[-1]).read_bytes())
    figures = Figures(load_project(PRESETS / f"{SPIRAL}.json"), views)
    slide = Slide(figures, size)
    boxes, scale = slide.boxes(), slide.scale
    slide.close()
    figures.close()
    for view, box in zip(views, boxes):
        out = tmp_path / f"{view}.png"
        code, _, err = _run(capsys, "render", SPIRAL, "--epochs", "5", "--view", view, "--size",
                            f"{box.w}x{box.h}", "--scale", scale, "--out", out)  # fmt: skip
        assert code == 0, err
        pane = last[box.y : box.y + box.h, box.x : box.x + box.w]
        assert np.array_equal(read_png(out.read_bytes()), pane), view


def test_render_draws_each_view_and_svg(tmp_path, capsys, qapp):
    for view in ("network", "confusion"):
        out = tmp_path / f"{view}.png"
        code, _, err = _run(capsys, "render", SPIRAL, "--view", view, "--size", "300x200", "--out", out)
        assert code == 0, err
        pixels = read_png(out.read_bytes())
        assert pixels.shape == (200, 300, 3) and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20
    code, _, err = _run(capsys, "render", "19-cnn-digits", "--view", "layers", "--size", "300x400",
                        "--out", tmp_path / "layers.svg")  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "layers.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["render", "--size", "10x10"], "each side must be 16"),
        (["render", "--size", "big"], "takes WIDTHxHEIGHT"),
        (["render", "--view", "outptu"], "did you mean 'output'"),
        (["render", "--view", "curves"], "give --epochs N"),
        (["render", "--view", "layers"], "these data are points"),
        (["render", "--scale", "0"], "--scale must be"),
        (["render", "--out", "{tmp}/x.bmp"], "saved as .png or .svg"),
        (["render", "--out", "{tmp}/no/such/x.png"], "does not exist"),
        (["render", "--out", "{tmp}/folder.png"], "is a folder"),
        (["record", "--size", "1920x"], "takes WIDTHxHEIGHT"),
        (["record", "--views", "output,bogus"], "no view called 'bogus'"),
        (["record", "--out", "{tmp}/x.avi"], ".gif, .apng or .mp4"),
        (["record", "--out", "{tmp}/no/such/x.gif"], "does not exist"),
        (["record", "--out", "{tmp}/file.txt/"], "is a file, not a folder"),
        (["record", "--fps", "0"], "--fps must be"),
        (["record", "--every", "0"], "--every must be"),
    ],
)
def test_bad_input_is_said_and_exits_2(tmp_path, capsys, args, words):
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "file.txt").write_text("not a folder")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / ("x.png" if argv[0] == "render" else "x.gif"))]
    code, _, err = _run(capsys, argv[0], SPIRAL, *argv[1:])
    assert code == 2
    assert words in err and err.startswith("nn-playground: ") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["file.txt", "folder.png"]  # nothing was written


def test_mp4_without_an_encoder_says_how_to_get_one(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(animation, "ffmpeg", lambda: None)
    code, _, err = _run(capsys, "record", SPIRAL, "--out", tmp_path / "x.mp4")
    assert code == 2 and "pip install 'nn-playground[video]'" in err


def test_mp4_is_written_by_ffmpeg(tmp_path, capsys, qapp):
    out = tmp_path / "run.mp4"
    code, _, err = _run(capsys, "record", SPIRAL, "--epochs", "2", "--every", "1", "--size", "321x181",
                        "--views", "curves", "--out", out)  # fmt: skip
    assert code == 0, err
    assert out.read_bytes()[4:8] == b"ftyp"
    assert _ffmpeg_frames(out, (182, 322)).shape[0] == 3  # padded to even sides for yuv420p


def test_render_equals_the_windows_export_plot(window, qtbot, tmp_path, capsys):
    from PySide6.QtGui import QImage

    from playground.media.figures import rgb_pixels

    project = load_project(PRESETS / f"{SPIRAL}.json")
    path = tmp_path / "spiral.json"
    save_project(path, project)
    trainer = Trainer(project)
    trainer.fit(3)
    weights = tmp_path / "w.npz"
    save_weights(weights, trainer.network, trainer.project, trainer.data.normalizer)
    assert window.files.open_project(path)
    qtbot.waitUntil(lambda: window.session.snapshot.project == window.session.state.project, timeout=15_000)
    assert window.files.import_weights(weights)
    want = trainer.network.get_weights()
    qtbot.waitUntil(lambda: all(np.array_equal(a, b) for a, b in zip(window.session.snapshot.weights, want)),
                    timeout=15_000)  # fmt: skip
    exported = tmp_path / "window.png"
    assert window.files.export_plot(exported)
    plot = window.output.plot
    code, _, err = _run(capsys, "render", path, "--weights", weights, "--size", f"{plot.width()}x{plot.height()}",
                        "--out", tmp_path / "cli.png")  # fmt: skip
    assert code == 0, err
    ours = read_png((tmp_path / "cli.png").read_bytes())
    theirs = rgb_pixels(QImage(str(exported)))
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)


def test_a_diverging_run_is_recorded_up_to_its_last_finite_weights(tmp_path, capsys, qapp):
    from tests.helpers import project

    p = project(
        data={"source": "plane", "samples": 200},
        network={"output_activation": "linear", "layers": [{"units": 8, "activation": "relu"}]},
        training={"loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 10},
                  "regularization": {"kind": "l2", "rate": 10}},
    )  # fmt: skip
    path = tmp_path / "diverges.json"
    save_project(path, p)
    out = tmp_path / "run.apng"
    code, stdout, err = _run(capsys, "record", path, "--epochs", "50", "--every", "1", "--size", "320x180",
                             "--views", "output,curves", "--out", out)  # fmt: skip
    assert code == 1
    assert "Training diverged at epoch" in err and "The last picture shows those weights" in err
    frames = read_apng(out.read_bytes())
    assert 2 <= len(frames) < 51  # the start, the epochs before it diverged, and the last finite weights
    assert f"{len(frames)} frames" in stdout
