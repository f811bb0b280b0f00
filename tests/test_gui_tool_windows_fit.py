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
@pytest.mark.parametrize("opener", OPENERS)
def test_a_tool_window_fits_1280_by_720(qtbot, window, opener, monkeypatch, ui_language):
    """Placed on a 1280×720 screen (its available area less a panel), each window is within it and
    shows every text whole."""
    from helpers import clipped_texts, wait_for
    from PySide6.QtCore import QRect

    from playground.actions import presentation, tools

    projector = QRect(0, 0, MAX_W, MAX_H)
    monkeypatch.setattr(tools, "keep_on_screen", lambda w: presentation.keep_on_screen(w, projector))
    wait_for(qtbot, window, lambda s: s is not None)
    win = getattr(window.tools, opener)()
    assert win is not None, opener
    for _ in range(4):
        QApplication.processEvents()
    hint = win.minimumSizeHint()
    assert hint.width() <= MAX_W and hint.height() <= MAX_H, (opener, hint.width(), hint.height())
    assert win.width() <= MAX_W and win.height() <= MAX_H, (opener, win.width(), win.height())  # its first size too
    assert not clipped_texts(win), (opener, clipped_texts(win))
    win.close()
