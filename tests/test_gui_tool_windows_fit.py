"""Every tool window fits a 1280×720 projector: its smallest layout fits the screen less a title
bar, so nothing is cut off when the window manager shrinks it to the screen; in English and in
Korean (issue 34), no label or button of it is clipped at the size it opens with."""

import pytest
from PySide6.QtWidgets import QApplication

#: 720 less a window title bar and a panel: what a tool window may need at most.
MAX_W, MAX_H = 1280, 680

OPENERS = ["open_backprop", "open_graphs", "open_paths", "open_landscape", "open_loss_explorer",
           "open_perceptron", "open_convexity", "open_activation_stats", "open_race", "check_gradients",
           "record"]  # fmt: skip


@pytest.mark.parametrize("ui_language", ["en", "ko"], indirect=True)
def test_every_tool_window_fits_1280_by_720(qtbot, window, monkeypatch, ui_language):
    """Placed on a 1280×720 screen (its available area less a panel), each window is within it and
    shows every text whole. One main window opens all eleven in turn (a main window apiece cost ten
    seconds of the suite); each is closed before the next, and every window's faults are listed."""
    from helpers import clipped_texts, wait_for
    from PySide6.QtCore import QRect

    from playground.actions import presentation, tools

    projector = QRect(0, 0, MAX_W, MAX_H)
    monkeypatch.setattr(tools, "keep_on_screen", lambda w: presentation.keep_on_screen(w, projector))
    wait_for(qtbot, window, lambda s: s is not None)
    faults = []
    for opener in OPENERS:
        win = getattr(window.tools, opener)()
        assert win is not None, opener
        for _ in range(4):
            QApplication.processEvents()
        hint = win.minimumSizeHint()
        if hint.width() > MAX_W or hint.height() > MAX_H:
            faults.append((opener, "smallest layout", hint.width(), hint.height()))
        if win.width() > MAX_W or win.height() > MAX_H:
            faults.append((opener, "first size", win.width(), win.height()))
        if clipped := clipped_texts(win):
            faults.append((opener, "clipped", clipped))
        win.close()
        QApplication.processEvents()
    assert not faults, faults
