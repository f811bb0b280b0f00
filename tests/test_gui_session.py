"""One edit, one command: the Trainer is built once per user action, and file data are read
once, not at every structural edit."""

import numpy as np
import pytest
from helpers import wait_for

import engine.data.loaders as loaders
import engine.project as project_module
import engine.run.build as build_module
import playground.run.training_worker as worker_module
from engine.data.loaders import write_idx
from engine.project.fields import Effect
from playground.resources import PRESETS


@pytest.fixture
def builds(monkeypatch):
    """Counts the Trainers the worker constructs."""
    made = []

    class Counting(worker_module.Trainer):
        def __init__(self, *a, **k):
            made.append(1)
            super().__init__(*a, **k)

    monkeypatch.setattr(worker_module, "Trainer", Counting)
    return made


#: The counting `builds` (and the read counters) patch this process's modules: with the trainer in
#: its own process (python3 dev.py process) they would count nothing and pass whatever happened.
COUNTS_HERE = pytest.mark.thread_only("counts the Trainers and reads of this process; the child's are not seen")


def _settled(qtbot, window):
    seq = window.session.last_sent
    return wait_for(qtbot, window, lambda s: s.applied >= seq)


@COUNTS_HERE
@pytest.mark.parametrize("source", ["spiral", "shapes", "circle", "blobs"])
def test_a_data_set_click_builds_the_trainer_once(qtbot, window, builds, source):
    if source == "circle":
        window.data_panel._choose_source("xor")
        _settled(qtbot, window)
    builds.clear()
    window.data_panel.source_buttons[source].click()
    _settled(qtbot, window)
    assert len(builds) == 1


@COUNTS_HERE
def test_a_loss_change_a_preset_and_an_opened_file_each_build_once(qtbot, window, builds, tmp_path):
    controls = window.controls
    controls.loss.setCurrentIndex(controls.loss.findData("hinge"))
    controls.loss.activated.emit(controls.loss.currentIndex())  # as a user's pick does
    _settled(qtbot, window)
    assert len(builds) == 1 and window.session.snapshot.project["training"]["loss"] == "hinge"
    builds.clear()
    assert window.files.open_project(PRESETS / "04-spiral-tanh.json", preset=True)
    _settled(qtbot, window)
    assert len(builds) == 1
    builds.clear()
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    assert window.files.load_data_source({"csv": str(csv)})
    _settled(qtbot, window)
    assert len(builds) == 1 and window.session.snapshot.data.dataset.columns == ["a", "b"]


@COUNTS_HERE
def test_structural_edits_on_file_data_read_the_file_zero_times(qtbot, window, builds, tmp_path, monkeypatch):
    images = np.random.default_rng(0).integers(0, 255, (300, 8, 8), dtype=np.uint8)
    (tmp_path / "x.idx").write_bytes(write_idx(images))
    (tmp_path / "y.idx").write_bytes(write_idx(np.arange(300, dtype=np.uint8) % 3))
    source = {"idx": {"images": str(tmp_path / "x.idx"), "labels": str(tmp_path / "y.idx")}}
    assert window.files.load_data_source(source)
    _settled(qtbot, window)
    reads = []
    real = loaders.read_idx
    monkeypatch.setattr(loaders, "read_idx", lambda *a: reads.append(a) or real(*a))
    monkeypatch.setattr(build_module, "load_idx", lambda *a, **k: reads.append(a) or loaders.load_idx(*a, **k))
    builds.clear()
    window.network.editor.set_units(0, +1)  # add a neuron
    _settled(qtbot, window)
    window.session.reset()
    _settled(qtbot, window)
    window.network.editor.add_layer()
    snap = _settled(qtbot, window)
    assert reads == [] and len(builds) == 3
    assert [k.shape[1] for k in snap.weights[0::2]] == [5, 2, 2, 3]


@COUNTS_HERE
def test_a_live_edit_sends_one_command_and_keeps_the_run(qtbot, window, builds):
    gen = window.session.snapshot.generation
    change = window.session.state.set("training.optimizer.learning_rate", 0.3)
    assert change.effect == Effect.LIVE and change.paths == {"training.optimizer.learning_rate"}
    snap = _settled(qtbot, window)
    assert snap.generation == gen and builds == [] and snap.learning_rate == pytest.approx(0.3)


@COUNTS_HERE
def test_a_drawn_point_carries_the_network_on_and_shows_at_the_next_frame(qtbot, window, builds):
    window.session.step("epoch")
    before = _settled(qtbot, window)
    window.output.point_added.emit(1.5, -2.0)
    snap = _settled(qtbot, window)
    assert builds == [] and snap.generation == before.generation  # no rebuild from scratch
    assert snap.data.dataset.n == before.data.dataset.n + 1 and snap.epoch == before.epoch
    np.testing.assert_array_equal(snap.weights[0], before.weights[0])  # same network, carrying on


def test_an_edit_revalidates_only_the_section_it_touches(qtbot, window, monkeypatch):
    """With 10,000 drawn points an unrelated edit must not check every point again (190 ms an
    edit before; benchmarks/bench.py prints the time now)."""
    rng = np.random.default_rng(0)
    pts = {"x": rng.uniform(-5, 5, (10_000, 2)).tolist(), "y": [int(v) for v in rng.integers(0, 2, 10_000)]}
    window.session.state.set("data.source", {"points": pts})
    _settled(qtbot, window)
    checked = []
    real = project_module._data
    monkeypatch.setattr(project_module, "_data", lambda *a: checked.append(1) or real(*a))
    window.session.state.set("training.optimizer.learning_rate", 0.05)
    window.session.state.set("network.layers.0.units", 5)
    assert checked == []
    window.session.state.set("data.noise", 0.1)
    assert checked == [1]


def test_opening_any_preset_is_exactly_the_file_and_leaves_nothing_unsaved(window, qtbot):
    """Refreshing the panels must not write back (the test and validation sliders, set one
    after the other, had applied a mix of the old and new splits: the project came up edited)."""
    from engine.project.files import load_project

    for path in sorted(PRESETS.glob("*.json")):
        assert window.files.open_project(path, preset=True)
        assert not window.session.state.dirty, path.stem
        assert window.session.state.project == load_project(path), path.stem
