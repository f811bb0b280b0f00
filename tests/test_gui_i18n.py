"""The window's languages (issue 34): Hangul renders with the bundled font on a machine without a
Korean one, the pseudo-locale finds every visible text that bypassed the catalog, View → Language
keeps the choice and restarts without losing the work, and the Korean window shows Korean."""

import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from conftest import TIMEOUT
from helpers import build_every_tab
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QFontDatabase, QRawFont, QTextLayout
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QMessageBox,
    QTabBar,
    QTableWidget,
    QTabWidget,
    QWidget,
)

from engine.core import i18n as catalog
from playground import i18n
from playground.actions import language

ROOT = Path(__file__).resolve().parent.parent
HANGUL = re.compile(r"[\uac00-\ud7a3]+")
#: Texts that are the project's own (a preset's title, the note, recent files) or a language's name
#: in itself: not the catalog's.
NOT_CATALOG = re.compile(r"^(preset_|actionLanguage_|noteBar|noteText|recent)")
#: Qt's own widgets (a tab bar's scroll buttons): Qt's catalog (qtbase_ko.qm) translates them, not ours.
QT_OWN = re.compile(r"^(ScrollLeftButton|ScrollRightButton)$")


def catalog_hangul() -> set[str]:
    """Every run of Hangul syllables in the Korean catalog and the presets."""
    texts = [(ROOT / "resources" / "i18n" / "ko.po").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in (ROOT / "resources" / "presets").glob("*.json")]
    return {word for text in texts for word in HANGUL.findall(text)}


def test_the_bundled_font_has_every_syllable_the_app_shows(qtbot):  # qtbot: QRawFont needs the app
    raw = QRawFont(str(i18n.HANGUL_FONT), 12)
    assert raw.isValid() and raw.familyName() == "NNP Hangul"
    ks_x_1001 = [chr(c) for c in range(0xAC00, 0xD7A4) if len(chr(c).encode("euc_kr")) == 2]
    used = {ch for word in catalog_hangul() for ch in word}
    assert len(ks_x_1001) == 2350 and len(used) > 300
    # ord(): PySide reads a one-character str as Latin-1
    lacking = [ch for ch in sorted(used | set(ks_x_1001)) if not raw.supportsCharacter(ord(ch))]
    assert not lacking, f"rebuild the font (python3 dev.py font, resources/fonts/SOURCES.md): {''.join(lacking)}"


def test_korean_renders_in_the_windows_font_with_no_missing_glyph(qtbot):
    from playground.app import make_app

    app = make_app()
    font = app.font()
    words = sorted(catalog_hangul())
    for word in words:
        layout = QTextLayout(word, font)
        layout.beginLayout()
        layout.createLine()
        layout.endLayout()
        runs = layout.glyphRuns()
        assert runs, word
        for run in runs:
            assert 0 not in list(run.glyphIndexes()), f"{word!r} has a missing glyph in {run.rawFont().familyName()}"
            assert all(run.rawFont().supportsCharacter(ord(ch)) for ch in word), word
    assert "NNP Hangul" in QFontDatabase.families()


def texts_of(widget: QWidget) -> list[str]:
    """The texts a widget shows or says: its own, its items', its tooltip and accessible name."""
    out = [widget.toolTip(), widget.accessibleName()]
    if isinstance(widget, (QLabel, QAbstractButton)):
        out.append(widget.text())
    if isinstance(widget, QGroupBox):
        out.append(widget.title())
    if isinstance(widget, QLineEdit):
        out.append(widget.placeholderText())
    if isinstance(widget, QComboBox) and not widget.isEditable():
        for i in range(widget.count()):
            out += [widget.itemText(i), str(widget.itemData(i, Qt.ItemDataRole.ToolTipRole) or "")]
    if isinstance(widget, (QTabWidget, QTabBar)):
        for i in range(widget.count()):
            out += [widget.tabText(i), widget.tabToolTip(i)]
    return out


def bypassed(text: str) -> bool:
    """A text with words in it (two letters or more) that did not come through the catalog."""
    words = re.sub(r"<[^>]*>|&nbsp;", " ", text).replace("&", "")  # rich text's tags are no words
    return "⟦" not in text and re.search(r"[A-Za-z]{2,}", words) is not None


def part_of(window, widget: QWidget) -> str:
    """Which part of the window a widget belongs to: the control bar, or the module of the nearest
    playground class around it (the file its strings are in)."""
    w = widget
    while w is not None and w is not window:
        if w is window.controls:
            return "controlBar"
        w = w.parentWidget()
    w = widget
    while w is not None:
        if type(w).__module__.startswith("playground"):
            return type(w).__module__
        w = w.parentWidget()
    return "window"


def menu_texts(menu: QMenu) -> list[tuple[str, str]]:
    out = [(menu.objectName(), menu.title())]
    for act in menu.actions():
        if act.menu() is not None:
            out += menu_texts(act.menu())
        elif not act.isSeparator():
            out += [(act.objectName(), t) for t in (act.text(), act.toolTip(), act.statusTip())]
    return out


def bypassing_texts(window) -> dict[str, list[str]]:
    """Every visible or hideable text of the window that bypassed the catalog, by part."""
    found: dict[str, list[str]] = defaultdict(list)
    for name, text in menu_texts_of_bar(window):
        if text and bypassed(text) and not NOT_CATALOG.match(name or "") and name != "menuRecent":
            found["menus"].append(f"{name}: {text!r}")
    recent = window.recent_menu
    for widget in window.findChildren(QWidget):
        if isinstance(widget, QMenu) and (widget is recent or widget.parent() is window.menuBar()):
            continue
        if QT_OWN.match(widget.objectName()) or NOT_CATALOG.match(widget.objectName()) or (widget.parentWidget() and
                                                     NOT_CATALOG.match(widget.parentWidget().objectName())):
            continue
        for text in texts_of(widget):
            if text and bypassed(text):
                found[part_of(window, widget)].append(f"{widget.objectName() or type(widget).__name__}: {text!r}")
    if bypassed(window.windowTitle()):
        found["window"].append(f"title: {window.windowTitle()!r}")
    return found


def menu_texts_of_bar(window) -> list[tuple[str, str]]:
    out = []
    for act in window.menuBar().actions():
        if act.menu() is not None and act.menu() is not window.recent_menu:
            out += [(n, t) for n, t in menu_texts(act.menu()) if not (act.menu().objectName() == "menuPresets"
                                                                     and n.startswith("preset_"))]
    return out


@pytest.fixture
def window_in(qtbot, tmp_path, monkeypatch):
    """A main window built in a language (and English again after the test)."""
    from playground.app import make_app
    from playground.main_window import MainWindow
    from playground.widgets import plain

    make_app()
    monkeypatch.setattr(plain, "ask", lambda *a, **k: QMessageBox.StandardButton.Discard)
    made = []

    def build(lang: str, english_terms: bool = False):
        i18n.install(lang, english_terms)
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        win = MainWindow(settings=settings)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.session.snapshot is not None, timeout=TIMEOUT)
        made.append(win)
        return win

    yield build
    i18n.install("en", False)
    for win in made:
        win.session.set_playing(False)
        win.session.state.set_dirty(False)
        win.shutdown()
        qtbot.waitUntil(win.session.handle.thread.isFinished, timeout=TIMEOUT)


def test_the_pseudo_locale_finds_texts_that_bypassed_the_catalog(window_in):
    """Every part of the main window (menus, control bar, panels, their widgets) shows only texts that
    came through the catalog: under the pseudo-locale, a text with words and no ⟦…⟧ bypassed it."""
    win = window_in("pseudo")
    assert win.findChild(QAction, "actionQuit").text() == "⟦&Quit⟧"  # the catalog's messages are wrapped
    data = win.findChild(QWidget, "data_spiral")  # and so are the engine's (a data set's note, from its registry)
    assert data.toolTip() == "⟦Interleaved spiral arms (2 to 6 classes).⟧"
    build_every_tab(win)  # the tabs built when first shown: their texts too
    found = bypassing_texts(win)
    assert not found, "\n".join(f"{part}: {t}" for part, texts in sorted(found.items()) for t in texts)
    # The check sees a text that bypassed the catalog (in any part of the window).
    data.setToolTip("Interleaved spiral arms")
    assert bypassing_texts(win) == {"playground.panels.data_panel": ["data_spiral: 'Interleaved spiral arms'"]}


def test_the_korean_window_shows_korean_menus_and_controls(window_in, qtbot):
    win = window_in("ko")
    titles = [a.text() for a in win.menuBar().actions()]
    assert titles == ["파일(&F)", "실행(&R)", "보기(&V)", "프리셋(&P)", "도구(&T)", "도움말(&H)"]
    assert win.recent_menu.title() == "최근 파일 열기(&R)"
    assert win.controls.play_button.accessibleName() == "재생" and win.controls.unit() == "batch"
    captions = [c.text() for c in win.controls.findChildren(QLabel) if c.objectName() == "caption"]
    assert {"학습률", "옵티마이저", "손실", "정규화", "에폭"} <= set(captions)
    assert win.controls.loss.currentText() in ("이진 교차 엔트로피", "범주형 교차 엔트로피", "평균 제곱 오차")
    win.controls.step_unit.setCurrentIndex(1)
    assert win.controls.step_unit.currentText() == "에폭" and win.controls.unit() == "epoch"
    # What shows only once the plane is drawn: the legend's colour names too.
    win.session.step("epoch")
    qtbot.waitUntil(lambda: win.session.snapshot.epoch == 1 and win.output.legend.text() != "", timeout=TIMEOUT)
    assert win.output.legend.text().startswith("주황: 클래스 0 · 파랑: 클래스 1"), win.output.legend.text()


def test_the_korean_data_panel_shows_the_engines_texts_in_korean(window_in):
    """The data panel's texts that come from the engine's tables (a data set's note and name, the
    normalisation, split and last-batch words, a field's help) are Korean in the Korean window."""
    win = window_in("ko")
    panel = win.data_panel
    assert panel.source_label.text().startswith("원: 한 클래스가 다른 클래스 안에 있습니다.")  # the circle, the default
    spiral = panel.source_buttons["spiral"]
    assert spiral.toolTip() == "서로 맞물린 나선 팔 (클래스 2~6개)." and spiral.accessibleName() == "나선 데이터셋"
    assert [panel.normalize.itemText(i) for i in range(panel.normalize.count())] == ["없음 (원본)", "표준화",
                                                                                      "최대 |x|로 나누기"]
    assert [panel.split.itemText(i) for i in range(panel.split.count())] == ["클래스별 층화", "한 번 섞기"]
    assert panel.last_batch.itemText(panel.last_batch.findData("carry")) == "다음으로 넘김"
    assert panel.sequence_length.toolTip().startswith("T, 생성되는 각 시퀀스의 시점 수")
    assert win.findChild(QWidget, "remote_mnist").text() == "MNIST"  # a name stays a name


def test_the_korean_model_summary_lines_up_in_its_dialogs_font(window_in):
    """Tools → Model summary in Korean: Keras's headings in Korean, each column's heading starting
    where its values do in the dialog's font (a Hangul letter there is narrower than two columns)."""
    from PySide6.QtGui import QFontMetricsF

    from playground.actions.tools import summary_font

    win = window_in("ko")
    lines = win.tools.show_summary().splitlines()
    head = next(line for line in lines if line.startswith("층 (종류)"))
    row = next(line for line in lines if line.startswith("output (Dense, sigmoid)"))
    metrics = QFontMetricsF(summary_font())
    x = metrics.horizontalAdvance
    space = x(" ")
    assert abs(x(head[: head.index("출력 형태")]) - x(row[: row.index("(None")])) <= space / 2
    assert abs(x(head) - x(row)) <= space / 2  # the parameter counts end under the end of their heading
    assert "전체 파라미터: 25 (200.00 B)" in lines  # the default project: 2 → 4 → 2 → 1


def test_english_terms_follow_the_korean_ones(window_in):
    win = window_in("ko", english_terms=True)
    captions = {c.text() for c in win.controls.findChildren(QLabel) if c.objectName() == "caption"}
    assert "학습률 (LEARNING RATE)" in captions  # captions are upper-cased
    assert win.controls.optimizer.itemText(win.controls.optimizer.findData("momentum")) == "모멘텀 (Momentum)"


def test_view_language_keeps_the_choice_and_restarts_without_losing_the_work(window_in, qtbot, tmp_path,
                                                                           monkeypatch):  # fmt: skip
    monkeypatch.setenv("LANG", "C.UTF-8")
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(key, raising=False)
    win = window_in("en")
    english, korean = win.findChild(QAction, "actionLanguage_en"), win.findChild(QAction, "actionLanguage_ko")
    assert english.isChecked() and not korean.isChecked() and korean.text() == "한국어"
    korean.trigger()  # the restart question is answered "not now" by the fixture
    assert win.settings.value("language") == "ko" and korean.isChecked() and not english.isChecked()
    assert i18n.chosen_language(win.settings) == "ko" and catalog.language() == "en"  # at the next start
    terms = win.findChild(QAction, "actionEnglishTerms")
    terms.trigger()
    assert i18n.english_terms(win.settings) and terms.isChecked()

    win.session.state.set("training.optimizer.learning_rate", 0.1)  # unsaved work
    win.session.step("epoch")
    qtbot.waitUntil(lambda: win.session.snapshot.epoch == 1, timeout=TIMEOUT)
    weights = [w.copy() for w in win.session.snapshot.weights]
    launched = []
    assert language.restart(win, launch=lambda program, args: launched.append(args))
    assert launched == [["-m", "playground"]] and not win.isVisible()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value(language.RESTORE_KEY) == "dirty" and win.files.recovery.exists()

    again = window_in(i18n.chosen_language(settings), i18n.english_terms(settings))  # the new process's start
    restarted = language.take_restart(again.settings)
    assert restarted == {"ask": False, "dirty": True} and language.take_restart(again.settings) is None
    assert again.files.offer_recovery(**restarted)  # no question asked
    assert again.session.state.dirty and again.session.state.project["training"]["optimizer"]["learning_rate"] == 0.1
    qtbot.waitUntil(lambda: again.session.snapshot.weights is not None and all(
        np.array_equal(a, b) for a, b in zip(again.session.snapshot.weights, weights)), timeout=TIMEOUT)
    assert again.findChild(QAction, "actionQuit").text() == "끝내기(&Q)"
    QApplication.processEvents()


def test_a_bilingual_preset_shows_the_users_language(window_in, qtbot):
    from playground.resources import PRESETS

    win = window_in("ko")
    assert win.findChild(QAction, "preset_01-logistic-regression").text() == "로지스틱 회귀 (은닉층 없음)"
    assert win.findChild(QAction, "preset_04-spiral-tanh").text() == "나선과 tanh"  # every preset is bilingual
    assert win.files.open_project(PRESETS / "16-lesson-learning-rate.json", preset=True)
    qtbot.waitUntil(lambda: win.note_bar.title == "레슨: 너무 큰 학습률", timeout=TIMEOUT)
    assert win.note_bar.note.startswith("학습률 α에 대한 세 단계 레슨")
    assert win.lessons.bar.text.text().startswith("레슨 · 3단계 중 1단계: 학습률이 3입니다.")


#: Texts of the tool windows that are no language, so never the catalog's: the logic gates' names
#: (the perceptron's data sets), formulas (an input feature, a computation graph's title) and each
#: language's name in itself (Make Lesson's text fields, as View → Language shows them).
NOT_LANGUAGE = frozenset({"AND", "OR", "NAND", "XOR", "sin(X₁)", "sin(X₂)", "f = 2·(x·y + max(z, w))",
                          *catalog.LANGUAGES.values()})
#: Tools entries that open no window here (About waits for its answer; the draw pad is for image data).
NO_WINDOW = ("actionAbout", "actionDrawInput")


def qt_own(widget: QWidget) -> bool:
    """A widget whose texts Qt's or pyqtgraph's catalogs own: a tab bar's scroll buttons, a dialog's
    standard button (Close, Cancel: qtbase_ko.qm translates them), a plot's own context menu."""
    parent = widget.parentWidget()
    if QT_OWN.match(widget.objectName()) or (isinstance(parent, QDialogButtonBox) and isinstance(
            widget, QAbstractButton) and parent.standardButton(widget) != QDialogButtonBox.StandardButton.NoButton):
        return True
    while widget is not None:
        if type(widget).__module__.startswith("pyqtgraph"):
            return True
        widget = widget.parentWidget()
    return False


def window_texts(top: QWidget) -> list[str]:
    """Every text a tool window shows or says (its tables' and lists' items too) that bypassed the
    catalog and is no formula or name of NOT_LANGUAGE."""
    texts = [top.windowTitle()]
    for widget in [top, *top.findChildren(QWidget)]:
        if qt_own(widget):
            continue
        texts += texts_of(widget)
        if isinstance(widget, QTableWidget):
            heads = [widget.horizontalHeaderItem(c) for c in range(widget.columnCount())] + [
                widget.verticalHeaderItem(r) for r in range(widget.rowCount())]
            items = [widget.item(r, c) for r in range(widget.rowCount()) for c in range(widget.columnCount())]
            texts += [item.text() for item in heads + items if item is not None]
        if isinstance(widget, QListWidget):
            texts += [widget.item(r).text() for r in range(widget.count())]
    return [t for t in texts if t and bypassed(t) and t not in NOT_LANGUAGE]


def test_the_tool_windows_under_the_pseudo_locale(window_in, qtbot):
    """Every window of the Tools menu opened in the pseudo-locale shows no text that bypassed the
    catalog (but the few of NOT_LANGUAGE); a text set around the catalog in any of them is found."""
    win = window_in("pseudo")
    tools = next(a.menu() for a in win.menuBar().actions() if a.menu() is not None and a.text() == "⟦&Tools⟧")
    opened: dict[str, list[str]] = {}
    for act in tools.actions():
        if act.isSeparator() or act.menu() is not None or act.objectName() in NO_WINDOW or not act.isEnabled():
            continue
        before = set(QApplication.topLevelWidgets())
        act.trigger()
        qtbot.waitUntil(lambda before=before: any(w.isVisible() for w in set(QApplication.topLevelWidgets()) - before),
                        timeout=TIMEOUT)  # fmt: skip
        for top in set(QApplication.topLevelWidgets()) - before:
            if top.isVisible() and not isinstance(top, QMenu):
                name = top.objectName() or type(top).__name__
                opened[name] = window_texts(top)
                assert "⟦" in top.windowTitle(), f"{act.objectName()}: {top.windowTitle()!r}"
                # The check can fail: an English label, a list's item and a tooltip put in around the catalog.
                probe = QLabel("Learning rate", top)
                probe.setToolTip("The step size")
                listed = QListWidget(top)
                listed.addItem("Momentum")
                assert {"Learning rate", "The step size", "Momentum"} <= set(window_texts(top)), name
                top.close()
    assert {"pathsWindow", "raceWindow", "makeLessonDialog", "lossExplorer", "perceptronWindow", "convexWindow",
            "graphWindow", "backpropWindow", "landscapeWindow"} <= set(opened) and len(opened) >= 12, sorted(opened)
    found = [f"{name}: {t!r}" for name, texts in opened.items() for t in texts]
    assert not found, "\n".join(found)


def test_the_tool_windows_speak_korean(window_in, qtbot):
    """The names the tool windows take from the engine's registries (optimizers, surfaces, data
    sets, CS231n's classes) and the verdicts they work out after a run or a click are Korean."""
    from engine.teaching.race import lane_label

    win = window_in("ko", english_terms=True)
    paths = win.tools.open_paths()
    lane = paths.lanes[1].optimizer
    assert lane.currentText() == "모멘텀 (Momentum)"
    assert lane.itemText(lane.count() - 1) == "무작위 탐색 (Random search)"
    assert paths.surface_box.currentText() == "Rosenbrock 골짜기" and "최솟값까지" in paths.formula.text()
    lane.setCurrentIndex(lane.count() - 1)
    form = paths.lanes[1].edit_settings()
    assert form.windowTitle() == "레인 2: 무작위 탐색 (Random search)" and form.findChild(QWidget, "pathSetting_tries")
    assert {"시도 수 (tries)", "시드 (seed)"} <= {w.text() for w in form.findChildren(QLabel)}
    form.reject()
    paths.surface_box.setCurrentIndex(paths.surface_box.findData("quadratic"))
    assert "조건수 max(a, b) / min(a, b) = 10" in paths.formula.text()
    paths.close()
    race = win.tools.open_race()
    assert race.rows[1].optimizer.currentText() == "모멘텀 (Momentum)"
    assert lane_label({"name": "momentum"}) == "모멘텀 (Momentum) α=0.01"  # the curves' legend, made by the race
    race.close()
    losses = win.tools.open_loss_explorer()
    assert losses.classes == ["고양이", "자동차", "개구리"] and losses.class_edit.text() == "고양이, 자동차, 개구리"
    assert "예제 1 (정답: 고양이)" in losses.working.toPlainText() and "−ln p_고양이 = −ln 0.13 = 2.04" in (
        losses.working.toPlainText())
    losses.close()
    gates = win.tools.open_perceptron()
    assert [gates.data_box.itemText(i) for i in range(gates.data_box.count())][-1] == "두 무리"
    gates.close()
    graphs = win.tools.open_graphs()
    assert graphs.explain(graphs.graph.index("q")).startswith("q: 덧셈은 나눠 줍니다")
    graphs.close()
    convex = win.tools.open_convexity()
    qtbot.waitUntil(lambda: convex.result is not None, timeout=TIMEOUT)
    assert convex.data_box.currentText() == "겹치는 클래스"
    assert "볼록하지 않습니다" in convex.infos["squared_error"].text()
    assert "최솟값 1개 (별)" in convex.infos["cross_entropy"].text()
    convex.close()
    lesson = win.tools.make_lesson()
    targets = [lesson.table.item(r, 0).text() for r in range(lesson.table.rowCount())]
    assert "패널: 컨트롤 바" in targets and "재생 버튼" in targets
    assert lesson.goal_metric.itemText(lesson.goal_metric.findData("val_loss")) == "검증 손실 (validation loss)"
    lesson.close()


def test_the_korean_gradient_check_lines_up_in_its_dialogs_font(window_in, qtbot):
    """Tools → Check Gradients in Korean: the table's headings and array names in Korean, each number
    ending under the end of its heading in the dialog's font (as the model summary's columns do)."""
    from PySide6.QtGui import QFontMetricsF

    win = window_in("ko")
    dlg = win.tools.check_gradients()
    qtbot.waitUntil(lambda: dlg.text is not None, timeout=TIMEOUT)
    lines = dlg.text.splitlines()
    head = next(line for line in lines if line.startswith("배열"))
    row = next(line for line in lines if line.startswith("출력층 kernel"))
    assert "최대 상대 오차" in head and head.endswith("검사한 수") and lines[0].startswith("훈련 샘플")
    x = QFontMetricsF(dlg.view.font()).horizontalAdvance
    space = x(" ")
    heading_end = x(head[: head.index("최대 상대 오차") + len("최대 상대 오차")])
    largest, norm_error = row.split()[2:4]  # after "출력층 kernel": the two relative errors
    assert abs(heading_end - x(row[: row.index(largest) + len(largest)])) <= space / 2
    norm = "‖a−n‖/(‖a‖+‖n‖)"
    norm_end = x(head[: head.index(norm) + len(norm)])
    assert abs(norm_end - x(row[: row.rindex(norm_error) + len(norm_error)])) <= space / 2
    dlg.close()
