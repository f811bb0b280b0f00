"""View → Presentation (issue 31): at 1280×720 the output plot is at least 400 px square and the
curves at least 200 px tall with every axis label and key entry whole, the controls on one row;
leaving it puts the layout back exactly; the choice is remembered."""

import pytest
from helpers import clipped_texts, wait_for
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QSplitter, QWidget
from test_links import DEFAULT

from engine.core.i18n import _ as tr
from playground.main_window import MainWindow
from playground.resources import PRESETS

TFP = (DEFAULT.replace("dataset=circle", "dataset=spiral").replace("networkShape=4,2", "networkShape=8,8,8,6,4")
       .replace("showTestData=false", "showTestData=true"))  # fmt: skip


def _settle(window, rounds: int = 8) -> None:
    for _ in range(rounds):  # a new minimum or a fold climbs one parent per pass of the event loop
        QApplication.processEvents()


def _present(window, qtbot, on: bool = True) -> None:
    act = window.findChild(QAction, "actionPresentation")
    assert act is not None and act.isCheckable() and act.shortcut().toString() == "F11"
    if act.isChecked() != on:
        act.trigger()
    assert act.isChecked() == on and window.presentation.on == on
    _settle(window)


def _open(window, qtbot, monkeypatch, which: str) -> None:
    gen = window.session.snapshot.generation
    if which == "tfp":
        monkeypatch.setattr(window.files.dialogs, "info", lambda *a: None)
        assert window.sharing.open_text(TFP)
    elif which == "lesson17":
        assert window.files.open_project(PRESETS / "17-lesson-overfitting-and-l2.json", preset=True)
    else:  # the spiral at 8 × 64
        assert window.files.open_project(PRESETS / "03-spiral-relu.json", preset=True)
        wait_for(qtbot, window, lambda s: s.generation > gen)
        gen = window.session.snapshot.generation
        window.session.state.set("network.layers", [{"units": 64, "activation": "relu"}] * 8)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    if which == "deep":
        assert [k.shape[1] for k in snap.weights[0::2]][:-1] == [64] * 8
    window.session.step("epoch")
    wait_for(qtbot, window, lambda s: s.epoch >= 1 and s.generation == snap.generation)
    window.router.show(window.session.snapshot, True)  # every view drawn: labels at their widest


def _inside(outer: QRect, inner: QRect, what: str) -> None:
    assert outer.adjusted(-1, -1, 1, 1).contains(inner), f"{what}: {inner} leaves {outer}"


def assert_plot_text_whole(plot) -> None:
    """Each axis (its ticks' room and its title) lies inside the plot widget, and the widget is not
    cut by the panel holding it."""
    assert plot.visibleRegion().boundingRect().size() == plot.size(), f"{plot.objectName()} is cut"
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        room = axis.mapToScene(axis.rect()).boundingRect()  # the room laid out for its ticks and title
        _inside(plot.rect(), plot.mapFromScene(room).boundingRect(), f"{name} axis")
        if axis.label.isVisible():
            m = axis.label.document().documentMargin()  # blank room around the text, inside its item
            glyphs = axis.label.mapToScene(axis.label.boundingRect().adjusted(m, m, -m, -m)).boundingRect()
            label = plot.mapFromScene(glyphs).boundingRect()
            _inside(plot.rect(), label, f"{name} axis title {axis.labelText!r}")


def assert_label_whole(label) -> None:
    """A wrapping label has the height its text needs at its width; a single line fits its width."""
    assert label.isVisible()
    if label.wordWrap():
        assert label.heightForWidth(label.width()) <= label.height() + 1, label.objectName()
    else:
        assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()


@pytest.mark.parametrize("ui_language", ["en", "ko"], indirect=True)  # issue 34: in both languages
@pytest.mark.parametrize("which", ["tfp", "lesson17", "deep"])
def test_presentation_at_1280_by_720_gives_the_output_and_curves_most_of_the_window(qtbot, window, monkeypatch,
                                                                                     which):
    _open(window, qtbot, monkeypatch, which)
    _present(window, qtbot)
    window.resize(1280, 720)
    _settle(window)
    vb = window.output.plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: vb.width() >= 400 and vb.height() >= 400, timeout=5000)
    assert window.width() <= 1280 and window.height() <= 720
    assert abs(vb.width() - vb.height()) <= 3  # square
    assert window.curves.plot.height() >= 200
    for plot in (window.output.plot, window.curves.plot):
        assert_plot_text_whole(plot)
    assert_label_whole(window.curves.key)
    assert {tr("train"), tr("test")} <= set(window.curves.key_entries())  # in the window's language
    # One row of controls: every shown control of the bar starts at the same height.
    bar = window.controls
    tops = {w.geometry().top() for w in bar.findChildren(QWidget) if w.parentWidget() is bar and w.isVisible()}
    assert len(tops) == 1, tops
    assert window.findChild(QWidget, "learningRate").isVisible() and window.findChild(QWidget, "playButton").isVisible()
    # The data panel is a thin strip (or hidden by the lesson), the tabs their tab bar.
    side = window.findChild(QWidget, "dataSide")
    assert side.width() <= 30 or not side.isVisible()
    assert window.tabs.height() <= 45
    assert not clipped_texts(window), clipped_texts(window)


@pytest.mark.parametrize("ui_language", ["en", "ko"], indirect=True)
def test_leaving_presentation_restores_the_layout_exactly(qtbot, window):
    window.resize(1280, 720)
    _settle(window)
    names = ("controlBar", "dataScroll", "networkView", "outputPlot", "curvesPlot", "insightTabs", "timeBar",
             "histogramPlot", "epochLabel", "caption")  # fmt: skip

    def layout():
        from playground.panels.plotting import SquarePlot

        for square in window.findChildren(SquarePlot):  # a square plot settles in two passes (its axes' room)
            qtbot.waitUntil(lambda s=square: not s._refit_timer.isActive())
            square.fit()
            square.fit()
        found = {n: window.findChild(QWidget, n) for n in names}
        geometry = {n: (w.mapTo(window, w.rect().topLeft()), w.size(), w.isVisible()) for n, w in found.items()}
        fonts = {n: w.font().toString() for n, w in found.items()}
        splitters = {s.objectName(): (s.sizes(), s.count()) for s in window.findChildren(QSplitter)}
        return geometry, fonts, splitters, window.size()

    before = layout()
    _present(window, qtbot)
    assert layout() != before
    assert window.font().pointSizeF() > QApplication.font().pointSizeF()
    _present(window, qtbot, on=False)
    after = layout()
    for part, (old, new) in enumerate(zip(before, after)):
        if isinstance(old, dict):
            assert {k: (old[k], v) for k, v in new.items() if old[k] != v} == {}, part
    assert after == before


def test_presentation_is_remembered(qtbot, tmp_path, window):
    _present(window, qtbot)
    assert str(window.settings.value("presentation")).lower() == "true"
    window.settings.sync()
    again = MainWindow(settings=QSettings(window.settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    try:
        assert again.presentation.on and again.findChild(QAction, "actionPresentation").isChecked()
    finally:
        again.shutdown()
        qtbot.waitUntil(again.session.handle.thread.isFinished, timeout=15_000)
    _present(window, qtbot, on=False)
    assert str(window.settings.value("presentation")).lower() == "false"


def test_the_folded_panels_and_controls_open_with_a_click(qtbot, window):
    window.resize(1280, 720)
    _present(window, qtbot)
    strip = window.findChild(QWidget, "dataStrip")
    assert strip.isVisible() and not window.findChild(QWidget, "dataScroll").isVisible()
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton)
    _settle(window)
    assert window.findChild(QWidget, "dataScroll").isVisible()
    # The tabs: a click on a tab opens them on it; a preset's chosen view opens them too.
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
    _settle(window)
    assert window.tabs.currentIndex() == 1 and window.gradients.isVisible() and window.tabs.height() > 100
    # The controls that did not fit the row are one click away, and fold away again.
    more = window.findChild(QWidget, "moreControls")
    folded = window.presentation.row.folded()
    assert more.isVisible() and folded and not any(w.isVisible() for w in folded)
    qtbot.mouseClick(more, Qt.MouseButton.LeftButton)
    _settle(window)
    assert all(w.isVisible() for w in folded) and not window.presentation.row.folded()
    qtbot.mouseClick(more, Qt.MouseButton.LeftButton)
    _settle(window)
    assert window.presentation.row.folded()


def test_a_lesson_that_hides_a_folded_control_keeps_it_hidden_after_presentation(qtbot, window):
    window.resize(1280, 720)
    _present(window, qtbot)
    folded = window.presentation.row.folded()
    loss_box = window.findChild(QWidget, "loss").parentWidget()
    assert loss_box in folded or window.findChild(QWidget, "schedule").parentWidget() in folded
    project = dict(window.session.state.project)
    project["app"] = {**project.get("app", {}), "lesson": {"hide": ["training.loss", "training.schedule"]}}
    assert window.files.open_loaded(project, "Opened the lesson")
    _settle(window)
    _present(window, qtbot, on=False)
    assert not window.findChild(QWidget, "loss").isVisible() and not window.findChild(QWidget, "schedule").isVisible()
    assert window.findChild(QWidget, "learningRate").isVisible()
