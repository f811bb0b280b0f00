"""View → Presentation (F11): the window rearranged for a projector. The controls keep to one row
(the rest behind a "more" button), the data panel folds to a thin strip at the left edge, the
insight tabs fold to their tab bar, the output plot takes a column of its own beside the curves,
and the text is larger. Leaving it puts every splitter, font and panel back as it was; the choice
is remembered with the window's other settings."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.core.i18n import _

from ..plotlib import pg
from ..widgets import guarded, name_widget

SETTING = "presentation"
FOLDED = "rowFolded"  # set on a control the one-row bar put away (a lesson that hides it takes it over)
PRIORITY = "rowPriority"  # the higher, the sooner a control leaves the one-row bar; unset: it always stays
SCALE = 1.25  # the text's size in presentation, against the normal layout's
PLOT_POINTS = 11.0  # the plots' tick and axis text (pyqtgraph draws its own text: no style sheet reaches it)
WIDGET_MAX = 16_777_215  # Qt's QWIDGETSIZE_MAX: no maximum
#: Text the style sheet sizes itself does not follow the window's font: these grow with it.
PRESENT_QSS = """
#caption { font-size: 9pt; }
QLabel[role="counter"] { font-size: 22pt; }
#legend, #curveReadout, #zeroWeights, #curvesKey, #histogramKey { font-size: 11pt; }
#noteText, #banner { font-size: 12pt; }
#sourceLabel { font-size: 11pt; }
"""


class OneRow(QObject):
    """Keeps a bar laid out by a FlowLayout on one row: the controls with the highest PRIORITY go
    first (then the rightmost), behind a "more" button that shows them all again (wrapped)."""

    def __init__(self, bar: QWidget) -> None:
        super().__init__(bar)
        self.bar = bar
        self.layout = bar.layout()
        tip = _("The settings that do not fit this row: show them all, or fold them away again")
        self.more = name_widget(QToolButton(bar), "moreControls", _("More controls"), tip)
        self.more.setProperty("role", "more")
        self.more.hide()
        self.layout.addWidget(self.more)
        self.more.clicked.connect(self._toggle)
        self.on = False
        self.expanded = False
        self._busy = False
        bar.installEventFilter(self)

    def set_on(self, on: bool) -> None:
        self.on, self.expanded = on, False
        self.refit()

    def _toggle(self) -> None:
        self.expanded = not self.expanded
        self.refit()

    @guarded  # an override of a Qt virtual
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.bar and event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self.refit()
        return False

    def folded(self) -> list[QWidget]:
        """The controls the row has put away now."""
        return [w for w in self._controls() if w.property(FOLDED)]

    def _controls(self) -> list[QWidget]:
        items = (self.layout.itemAt(i) for i in range(self.layout.count()))
        return [it.widget() for it in items if it.widget() is not None and it.widget() is not self.more]

    def refit(self) -> None:
        """Fold what does not fit one row (none while off or expanded); show what fits again."""
        if self._busy:
            return
        self._busy = True
        try:
            shown = [w for w in self._controls() if not w.isHidden() or w.property(FOLDED)]
            fold: list[QWidget] = []
            if self.on and not self.expanded:
                ranked = sorted((w for w in shown if w.property(PRIORITY)),
                                key=lambda w: (-int(w.property(PRIORITY)), -shown.index(w)))  # fmt: skip
                kept = list(shown)
                self.more.setText(_("+{count} more ▾").format(count=len(ranked)))  # the widest it will say
                while ranked and self.layout.row_width(kept + ([self.more] if fold else [])) > self.bar.width():
                    fold.append(ranked.pop(0))
                    kept.remove(fold[-1])
            for w in shown:
                if w in fold and not w.isHidden():
                    w.setProperty(FOLDED, True)
                    w.hide()
                elif w not in fold and w.property(FOLDED):
                    w.setProperty(FOLDED, False)
                    w.show()
            self.more.setText(_("fewer ▴") if self.expanded else _("+{count} more ▾").format(count=len(fold)))
            self.more.setVisible(self.on and (bool(fold) or self.expanded))
        finally:
            self._busy = False


class SideStrip(QWidget):
    """A side panel that can fold to a thin strip with its name on it (in presentation); out of
    presentation it is the panel alone. It hides with the panel (a lesson may hide it)."""

    STRIP_WIDTH = 24

    def __init__(self, panel: QWidget, title: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Side")
        self.panel, self.title = panel, title
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        tip = _("Fold or unfold the {panel} panel").format(panel=title.lower())
        self.strip = name_widget(QToolButton(), f"{name}Strip", tip)
        self.strip.setFixedWidth(self.STRIP_WIDTH)
        self.strip.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.strip.setProperty("role", "strip")
        self.strip.clicked.connect(lambda: self.set_folded(not self.folded))
        self.strip.hide()
        self.body = QWidget()  # folded by hiding this, so a lesson's own hide of the panel stays its own
        inner = QVBoxLayout(self.body)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(panel)
        lay.addWidget(self.strip)
        lay.addWidget(self.body, 1)
        self.folded = False
        self.setSizePolicy(panel.sizePolicy())  # the splitter shares out its width as it did to the panel
        self.setVisible(not panel.isHidden())
        panel.installEventFilter(self)

    @guarded
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.panel and event.type() in (QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self.setVisible(not self.panel.isHidden())
        return False

    def set_strip(self, on: bool) -> None:
        """Presentation: the strip shows and the panel starts folded. Off: the panel as it was."""
        self.strip.setVisible(on)
        self.set_folded(on)

    def set_folded(self, folded: bool) -> None:
        self.folded = folded and self.strip.isVisibleTo(self)
        self.body.setVisible(not self.folded)
        letters = "\n".join(self.title.upper())
        self.strip.setText(f"▸\n\n{letters}" if self.folded else "◂")
        tip = _("Show the {panel} panel") if self.folded else _("Fold the {panel} panel to this strip")
        self.strip.setToolTip(tip.format(panel=self.title.lower()))


class TabsFold(QObject):
    """The insight tabs folded to their tab bar (in presentation): a click on a tab opens them, a
    click on the open tab, or on the corner arrow, folds them again."""

    def __init__(self, tabs: QTabWidget, holder: QWidget) -> None:
        super().__init__(tabs)
        self.tabs, self.holder = tabs, holder
        self.stack = tabs.findChild(QStackedWidget)
        self.corner = name_widget(QToolButton(), "foldTabs", _("Fold or unfold the tabs"))
        self.corner.setAutoRaise(True)
        self.corner.clicked.connect(lambda: self.set_folded(not self.folded))
        tabs.setCornerWidget(self.corner, Qt.Corner.TopRightCorner)
        self.corner.hide()
        self.on = False
        self.folded = False
        tabs.tabBarClicked.connect(self._clicked)

    def set_on(self, on: bool) -> None:
        self.on = on
        self.corner.setVisible(on)
        self.set_folded(on)

    def set_folded(self, folded: bool) -> None:
        self.folded = folded and self.on
        self.stack.setVisible(not self.folded)  # hidden pages are not computed (OnScreen)
        self.tabs.setMinimumWidth(self.tabs.tabBar().minimumSizeHint().width() if self.folded else 0)
        top = self.holder.layout().contentsMargins().top() if self.holder.layout() else 0
        self.holder.setMaximumHeight(self.tabs.tabBar().sizeHint().height() + top + 2 if self.folded else WIDGET_MAX)
        self.corner.setArrowType(Qt.ArrowType.UpArrow if self.folded else Qt.ArrowType.DownArrow)
        self.corner.setToolTip(_("Open the tabs") if self.folded else _("Fold the tabs to their names"))

    def _clicked(self, index: int) -> None:
        if not self.on:
            return
        if self.folded:
            self.set_folded(False)
        elif index == self.tabs.currentIndex():
            self.set_folded(True)


class Presentation(QObject):
    """Switches the main window between its normal layout and the presentation layout."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.main: QSplitter = window.findChild(QSplitter, "mainSplitter")
        self.right: QSplitter = window.findChild(QSplitter, "rightColumn")
        self.output_box = self.right.widget(0)
        self.data: SideStrip = self.main.widget(0)  # the data panel, wrapped by the window
        self.row = OneRow(window.controls)
        self.tabs = TabsFold(window.tabs, self.right.widget(2))
        self.on = False
        self._refit = QTimer(self)  # the columns shared out again once a new window size is laid out
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._settled)
        self._clamp = False  # a show is being laid out: fit the window to the screen after it
        window.installEventFilter(self)
        self._saved: tuple[Any, ...] = ()
        self._axes: list[tuple[Any, ...]] = []

    @guarded  # an override of a Qt virtual
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if self.on and obj is self.window and event.type() in (QEvent.Type.Show, QEvent.Type.Resize):
            self._clamp = self._clamp or event.type() == QEvent.Type.Show
            self._refit.start()
        return False

    def _settled(self) -> None:
        """After a show or a resize in presentation: the columns shared out for the new size; once
        shown, never larger than the screen (the width the layout needed while it was shown stayed)."""
        if self.on:
            if self._clamp:
                keep_on_screen(self.window)
            self._fit()
        self._clamp = False

    def action(self) -> QAction | None:
        return self.window.findChild(QAction, "actionPresentation")

    def follow_action(self) -> None:
        """View → Presentation was toggled."""
        act = self.action()
        self.set_on(act is not None and act.isChecked())

    def restore(self) -> None:
        """Start in presentation if the window was left in it."""
        if str(self.window.settings.value(SETTING, "false")).lower() == "true":
            self.set_on(True)

    def reveal_tabs(self) -> None:
        """A tab was brought to the front on purpose (a preset's view): open the tabs to show it."""
        self.tabs.set_folded(False)

    def set_on(self, on: bool) -> None:
        act = self.action()
        if act is not None and act.isChecked() != on:
            act.setChecked(on)
        if on == self.on:
            return
        self.on = on
        self.window.settings.setValue(SETTING, on)
        size = self.window.size()
        if on:
            self._enter()
        else:
            self._leave()
        QApplication.processEvents()  # laid out at the new fonts before the window's size is set back
        self.window.resize(size)  # a layout that needed more room on the way must not leave the window larger
        if on:
            self._fit()

    def _enter(self) -> None:
        w = self.window
        self._saved = (
            QByteArray(self.main.saveState()), QByteArray(self.right.saveState()),
            self.output_box.sizePolicy(), self.right.sizePolicy(), w.testAttribute(Qt.WidgetAttribute.WA_SetFont),
            QFont(w.font()), w.note_bar.toggle.isChecked(),
        )  # fmt: skip
        w.note_bar.toggle.setChecked(False)  # the note to its first sentence (an import's notes took 5 lines)
        font = QFont(w.font())
        font.setPointSizeF(QApplication.font().pointSizeF() * SCALE)
        w.setStyleSheet(PRESENT_QSS)  # before the font: a style sheet set later puts the old font back
        w.setFont(font)
        for keep in (self.main.widget(1), w.tabs):  # the network's column and the tabs need the width more
            keep.setFont(self._saved[5])
        self._axes = _plot_text(w.centralWidget(), PLOT_POINTS)
        self.main.insertWidget(2, self.output_box)  # a column of its own, between the network and the curves
        for i, stretch in enumerate((0, 2, 0, 2)):
            self.main.setStretchFactor(i, stretch)
        self.data.set_strip(True)
        w.time_bar.set_compact(True)
        self.tabs.set_on(True)
        self.row.set_on(True)

    def _fit(self) -> None:
        """The output column as wide as the square plot the height allows (within what the other
        columns need at least); the rest shared by the network and the curves."""
        total = self.main.width() - self.main.handleWidth() * 3
        strip = self.data.sizeHint().width() if self.data.isVisibleTo(self.main) else 0
        middle_min = self.main.widget(1).minimumSizeHint().width()
        right_min = self.right.minimumSizeHint().width()
        square = self.window.output.square
        vb = square.plot.getPlotItem().getViewBox()
        extra_w, extra_h = (square.plot.width() - int(vb.width()), square.plot.height() - int(vb.height())) \
            if vb.width() > 1 else (50, 40)  # the axes' room beside and under the data area
        side = self.main.height() - (self.output_box.height() - square.height()) - extra_h
        side = max(200, min(side, max(420, int(0.36 * (total - strip)))))  # a share of the width left to the curves
        margins = self.output_box.layout().contentsMargins()
        out = side + extra_w + margins.left() + margins.right()
        out = max(self.output_box.minimumSizeHint().width(), min(out, total - strip - middle_min - right_min))
        rest = total - strip - out
        middle = max(middle_min, rest // 2)
        self.main.setSizes([strip, middle, out, max(right_min, rest - middle)])

    def _leave(self) -> None:
        w = self.window
        main_state, right_state, out_policy, right_policy, had_font, font, note_open = self._saved
        w.note_bar.toggle.setChecked(note_open)
        self.row.set_on(False)
        self.tabs.set_on(False)
        self.data.set_strip(False)
        w.time_bar.set_compact(False)
        self.right.insertWidget(0, self.output_box)
        self.output_box.setSizePolicy(out_policy)
        self.right.setSizePolicy(right_policy)
        w.setStyleSheet("")
        _plot_text_back(self._axes)
        for widget, own in ((w, had_font), (self.main.widget(1), False), (w.tabs, False)):
            widget.setFont(font if own else QFont())
            widget.setAttribute(Qt.WidgetAttribute.WA_SetFont, own)
        self.main.restoreState(main_state)
        self.right.restoreState(right_state)


def _plot_text(root: QWidget, points: float) -> list[tuple[Any, ...]]:
    """Every plot's tick and axis-title text at `points`; what each axis had, to put back."""
    saved = []
    for plot in root.findChildren(pg.PlotWidget):
        for name in ("left", "bottom"):
            axis = plot.getPlotItem().getAxis(name)
            saved.append((axis, axis.style["tickFont"], QFont(axis.label.font()), axis.textWidth, axis.textHeight))
            font = QFont(QApplication.font())
            font.setPointSizeF(points)
            axis.setTickFont(font)
            axis.label.setFont(font)
            axis.resizeEvent()
            axis._adjustSize()  # room for the new text size
    return saved


def _plot_text_back(saved: list[tuple[Any, ...]]) -> None:
    """The axes' text and the room they kept for it as they were (pyqtgraph only lets that room
    shrink by 10 px or more, so it is set back too)."""
    for axis, tick_font, label_font, width, height in saved:
        if not shiboken6.isValid(axis):
            continue
        axis.setTickFont(tick_font)
        axis.label.setFont(label_font)
        axis.textWidth, axis.textHeight = width, height
        axis.resizeEvent()
        axis._adjustSize()


def keep_on_screen(window: QWidget, avail: QRect | None = None) -> None:
    """Never larger than the screen (a saved size from a bigger monitor, the default on a laptop or
    projector, a width a layout needed on the way): shrink to the available area (`avail`, or the
    window's screen's) and keep the title bar on it."""
    if avail is None:
        screen = window.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        avail = screen.availableGeometry()
    w, h = min(window.width(), avail.width()), min(window.height(), avail.height())
    if (w, h) != (window.width(), window.height()):
        window.resize(w, h)
    if not avail.contains(window.frameGeometry().topLeft()):
        window.move(avail.topLeft())
