"""Tools → Record…: the run's kept epochs as an animation, drawn between events and written by
a thread of its own, with progress and Cancel."""

from __future__ import annotations

import numpy as np

from tests.pictures import read_apng

TIMEOUT = 30_000


def _steps(window, qtbot, epochs: int) -> None:
    """Train `epochs` epochs one at a time (each new epoch is kept by the time bar)."""
    s = window.session
    for _ in range(epochs):
        target = s.snapshot.epoch + 1
        s.step("epoch")
        qtbot.waitUntil(lambda target=target: s.snapshot.epoch >= target, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: len(s.timeline) == epochs + 1, timeout=TIMEOUT)


def _quick(dlg) -> None:
    from playground.windows.record import SIZES

    dlg.size_box.setCurrentIndex([s[:2] for s in SIZES].index((960, 540)))
    assert dlg.frame_size() == (960, 540)


def test_record_writes_a_frame_per_kept_epoch_and_cancel_writes_nothing(window, qtbot, tmp_path):
    _steps(window, qtbot, 3)
    action = next(a for a in window.actions() if a.objectName() == "actionRecord")
    action.trigger()
    from playground.windows.record import RecordDialog

    dlg = window.findChild(RecordDialog, "recordDialog")
    assert dlg is not None and dlg.isVisible()
    assert dlg.views() == ["output", "network", "curves"]
    assert not dlg.boxes["layers"].isEnabled() and "points" in dlg.boxes["layers"].toolTip()
    _quick(dlg)
    out = tmp_path / "run.apng"
    assert dlg.record(out)
    assert not dlg.start.isEnabled() and dlg.cancel.isEnabled()
    qtbot.waitUntil(lambda: not dlg.running, timeout=TIMEOUT)
    frames = read_apng(out.read_bytes())
    assert len(frames) == 4 and frames[0].shape == (540, 960, 3)  # epochs 0 to 3
    assert not np.array_equal(frames[0], frames[-1])
    assert dlg.bar.value() == dlg.bar.maximum() == 4
    assert "Saved run.apng: 4 frames" in dlg.status.text()
    assert dlg.start.isEnabled() and not dlg.cancel.isEnabled()

    old = tmp_path / "old.gif"
    old.write_bytes(b"the old file")
    assert dlg.record(old)
    dlg.cancel_recording()  # before the first frame is drawn: the encoder is waiting for it
    qtbot.waitUntil(lambda: not dlg.running, timeout=TIMEOUT)
    assert old.read_bytes() == b"the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.gif", "run.apng"]  # no temporary file left
    assert "Cancelled: nothing was written" in dlg.status.text()

    errors = []
    window.dialogs.error = lambda title, text: errors.append(text)
    assert not dlg.record(tmp_path / "run.bmp")
    assert errors and ".gif, .apng or .mp4" in errors[0]
    for box in dlg.boxes.values():
        box.setChecked(False)
    assert not dlg.record(tmp_path / "other.apng")
    assert "Choose at least one view" in dlg.status.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.gif", "run.apng"]
