"""The view budget: view work takes at most a set share of the worker's time, and a costly
network view is repainted less often, so training keeps its speed on big networks."""

from types import SimpleNamespace

from helpers import project

from playground.panels.views import NETWORK_SHARE, ViewRouter
from playground.run.commands import Build
from playground.run.snapshot import GRID_STEPS, THUMB_SIZE, take_snapshot
from playground.run.training_worker import VIEW_SHARE, TrainingWorker
from playground.run.worker_loop import FRAME


def _worker():
    w = TrainingWorker()
    w._build(Build(project(network={"layers": [{"units": 16, "activation": "relu"}] * 3}), None))
    return w


def test_costly_frames_lower_the_plane_resolution_then_space_frames_out():
    w = _worker()
    assert w._grid_n == GRID_STEPS[0] and w._grid.shape[0] == GRID_STEPS[0] ** 2
    for _ in range(20):
        w._budget(0.2)  # far above the share: 200 ms of view work a frame
    assert w._grid_n == GRID_STEPS[-1] and w._grid.shape[0] == GRID_STEPS[-1] ** 2
    assert w._frame > FRAME and w._view_cost / w._frame <= VIEW_SHARE + 1e-9
    assert "20×20" in w._thinned() and "fps" in w._thinned()
    for _ in range(60):
        w._budget(0.0005)  # cheap again: back up to the full resolution and the full frame rate
    assert w._grid_n == GRID_STEPS[0] and w._frame == FRAME and w._thinned() == ""


def test_a_low_resolution_snapshot_keeps_twenty_point_thumbnails():
    w = _worker()
    w._set_grid(w._trainer, 40)
    snap = take_snapshot(w._trainer, 1, w._grid, w._extent)
    assert snap.output_grid.shape[:2] == (40, 40)
    assert all(g.shape[1:] == (THUMB_SIZE, THUMB_SIZE) for g in snap.neuron_grids)


def test_a_costly_network_view_is_repainted_less_often_while_playing():
    drawn = []
    network = SimpleNamespace(paint_ms=30.0, set_snapshot=lambda s: drawn.append(s))
    quiet = SimpleNamespace(set_snapshot=lambda s: None, set_epoch=lambda *a: None, set_dataset=lambda d: None,
                            isVisible=lambda: False, setVisible=lambda v: None, refresh=lambda: None,
                            setText=lambda t: None, text=lambda: "")  # fmt: skip
    router = ViewRouter(quiet, network, quiet, quiet, quiet, quiet, quiet, quiet, quiet, quiet, quiet, quiet, quiet,
                        quiet)  # fmt: skip
    data = SimpleNamespace(dataset=SimpleNamespace(image_shape=None))
    snap = SimpleNamespace(epoch=1, steps=1, data=data, playing=True, hidden=None, weights=[], last_loss=0.1,
                           learning_rate=0.1, steps_per_second=1.0, thinned="")  # fmt: skip
    for _ in range(10):
        router.show(snap)
    assert len(drawn) == 1  # 30 ms a repaint: at most one per 30 / NETWORK_SHARE ms
    router.show(snap, True)
    assert len(drawn) == 2  # forced (a new run, paused): always
    assert NETWORK_SHARE < 0.5


def test_colour_maps_show_nan_and_inf_instead_of_raising():
    import numpy as np

    from playground.colors import NAN_COLOR, class_rgb, diverging_rgb

    values = np.array([np.nan, np.inf, -np.inf, 1e308, -1e308, 0.0])
    rgb = diverging_rgb(values)
    assert rgb.shape == (6, 3) and tuple(rgb[0]) == NAN_COLOR
    assert tuple(rgb[1]) == tuple(diverging_rgb(np.array([1.0]))[0])  # +inf: the blue end
    probs = np.array([[np.nan, 0.5], [0.9, 0.1]])
    out = class_rgb(probs, 2)
    assert tuple(out[0]) == NAN_COLOR and tuple(out[1]) != NAN_COLOR


def test_a_big_network_starts_at_a_low_resolution_instead_of_a_slow_first_frame():
    w = TrainingWorker()
    w._build(Build(project(network={"layers": [{"units": 512, "activation": "relu"}] * 4}), None))
    assert w._grid_n == GRID_STEPS[-1]
