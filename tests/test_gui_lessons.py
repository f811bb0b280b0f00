"""A lesson on the real window: hidden and locked controls, steps whose goals are checked live,
and a lesson made from the current project."""

from conftest import TIMEOUT
from helpers import wait_for
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QWidget

from engine.project.links import from_project_link
from playground.actions.lessons import MakeLessonDialog
from playground.resources import PRESETS


def shown(window, name):
    w = window.findChild(QWidget, name)
    return w is not None and w.isVisibleTo(window)


def test_a_lesson_hides_locks_and_checks_its_goals(window, qtbot):
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS / "15-lesson-why-hidden-layers.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    bar = window.lessons.bar
    assert bar.isVisible() and "step 1 of 3" in bar.text.text()
    assert not shown(window, "dataScroll") and not shown(window, "loss") and shown(window, "learningRate")
    loss_box = window.findChild(QComboBox, "loss").parentWidget()
    assert loss_box.property("captionBox") and not loss_box.isVisibleTo(window)  # its caption goes too
    assert not window.findChild(QComboBox, "optimizer").isEnabled()
    # A locked setting is refused by the state too, whatever asks.
    messages = []
    window.network.message.connect(messages.append)
    window.network.editor.set("data.features", ["x1", "x2", "x1^2"])
    assert window.session.state.project["data"]["features"] == ["x1", "x2"] and "locked by this lesson" in messages[-1]
    qtbot.mouseClick(bar.next, Qt.MouseButton.LeftButton)
    assert "step 2 of 3" in bar.text.text() and "not yet" in bar.goal.text()
    window.session.state.apply({"network.layers": [{"units": 3, "activation": "tanh"}]})  # not locked: allowed
    window.session.set_playing(True)
    qtbot.waitUntil(lambda: "✓ met" in bar.goal.text(), timeout=30_000)
    window.session.set_playing(False)
    assert "test accuracy above 95%" in bar.goal.text()
    # Another project ends the lesson: everything comes back.
    gen = window.session.snapshot.generation
    window.files.open_project(PRESETS / "04-spiral-tanh.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    assert not bar.isVisible() and window.session.state.locked == []
    assert shown(window, "dataScroll") and shown(window, "loss")
    assert window.findChild(QComboBox, "optimizer").isEnabled()
    assert loss_box.isVisibleTo(window)


def test_make_a_lesson_share_it_and_open_tfps_hidden_controls(window, qtbot):
    window.findChild(QAction, "actionMakeLesson").trigger()
    dlg = window.findChild(MakeLessonDialog, "makeLessonDialog")
    row = dlg.targets.index("training.batch_size")
    dlg.table.item(row, 1).setCheckState(Qt.CheckState.Checked)
    lock = dlg.targets.index("training.optimizer.learning_rate")
    dlg.table.item(lock, 2).setCheckState(Qt.CheckState.Checked)
    dlg.add_step()
    dlg.text.setPlainText("Train until the test loss is low.")
    dlg.goal_metric.setCurrentIndex(dlg.goal_metric.findData("test_loss"))
    dlg.value.set_value(0.3)
    dlg.max_neurons.setValue(6)
    assert dlg.accept_lesson()
    lesson = window.session.state.project["app"]["lesson"]
    assert lesson == {"hide": ["training.batch_size"], "lock": ["training.optimizer.learning_rate"], "steps": [
        {"text": "Train until the test loss is low.", "goal": {"metric": "test_loss", "below": 0.3, "max_neurons": 6}}]}
    qtbot.waitUntil(lambda: not shown(window, "batchSize"), timeout=TIMEOUT)
    assert not window.findChild(QWidget, "learningRate").isEnabled()
    assert window.lessons.bar.isVisible() and "test loss below 0.3" in window.lessons.bar.goal.text()
    link = window.sharing.copy_project_link()
    assert from_project_link(link)["app"]["lesson"] == lesson
    # A bad goal is said in the dialog and changes nothing.
    window.findChild(QAction, "actionMakeLesson").trigger()
    dlg2 = next(d for d in window.findChildren(MakeLessonDialog) if d is not dlg and d.isVisible())
    dlg2.steps.setCurrentRow(0)
    dlg2.text.setPlainText("x" * 3000)
    assert not dlg2.accept_lesson() and "longer than" in dlg2.message.text()
    assert window.session.state.project["app"]["lesson"] == lesson and window.session.state.locked
    dlg2.reject()
    # A TensorFlow Playground link's *_hide keys hide those controls (no steps: no bar).
    from test_links import DEFAULT

    window.sharing.open_text(DEFAULT + "&learningRate_hide=true&noise_hide=true")
    qtbot.waitUntil(lambda: not shown(window, "learningRate"), timeout=TIMEOUT)
    assert not shown(window, "noise") and shown(window, "batchSize")
    assert not window.lessons.bar.isVisible()  # hidden controls, no steps


def test_make_lesson_writes_a_step_in_both_languages_and_each_learner_reads_theirs(window, qtbot):
    """Issue 34: a text field per language; a step given both is written {"en", "ko"}, English alone stays
    a plain text, Korean alone is named; reopening shows each language in its field and keeps the others."""
    from engine.core import i18n

    window.findChild(QAction, "actionMakeLesson").trigger()
    dlg = window.findChild(MakeLessonDialog, "makeLessonDialog")
    english, korean = dlg.texts["en"], dlg.texts["ko"]
    assert dlg.text is english and korean.objectName() == "lessonStepText_ko" and korean.isVisible()
    dlg.add_step()
    english.setPlainText("Lower the learning rate.")
    korean.setPlainText("학습률을 낮춰 보세요.")
    dlg.add_step()
    korean.setPlainText("재생을 누르세요.")  # Korean only
    dlg.add_step()
    english.setPlainText("Press Reset.")  # English only
    assert dlg.accept_lesson()
    steps = window.session.state.project["app"]["lesson"]["steps"]
    assert [s["text"] for s in steps] == [{"en": "Lower the learning rate.", "ko": "학습률을 낮춰 보세요."},
                                          {"ko": "재생을 누르세요."}, "Press Reset."]  # fmt: skip
    assert "Lower the learning rate." in window.lessons.bar.text.text()
    try:  # a Korean learner reads the Korean; English where the step has no Korean
        i18n.install("ko")
        window.lessons.go(0)
        assert window.lessons.bar.text.text().endswith("학습률을 낮춰 보세요.")
        window.lessons.go(2)
        assert window.lessons.bar.text.text().endswith("Press Reset.")
    finally:
        i18n.install("en")
    # Reopened: each language in its field; editing the English keeps the Korean and a language the dialog lacks.
    project = dict(window.session.state.project)
    lesson = {**project["app"]["lesson"], "steps": [{"text": {"en": "Old.", "ko": "예전.", "fr": "Ancien."}},
                                                    {"text": "한국어만 있는 예전 단계."}]}  # fmt: skip
    assert window.files.open_loaded({**project, "app": {**project["app"], "lesson": lesson}}, "Opened the lesson")
    window.findChild(QAction, "actionMakeLesson").trigger()
    again = next(d for d in window.findChildren(MakeLessonDialog) if d is not dlg and d.isVisible())
    again.steps.setCurrentRow(0)
    assert (again.texts["en"].toPlainText(), again.texts["ko"].toPlainText()) == ("Old.", "예전.")
    again.texts["en"].setPlainText("New.")
    again.steps.setCurrentRow(1)  # a plain Korean text opens in the Korean field
    assert (again.texts["en"].toPlainText(), again.texts["ko"].toPlainText()) == ("", "한국어만 있는 예전 단계.")
    assert [s["text"] for s in again.lesson()["steps"]] == [{"en": "New.", "ko": "예전.", "fr": "Ancien."},
                                                             {"ko": "한국어만 있는 예전 단계."}]  # fmt: skip
    again.reject()


def test_a_step_left_empty_is_named_in_the_lessons_languages(window, qtbot):
    """A step given no text is "Step n" in every language of a bilingual lesson ({"en": "Step 2",
    "ko": "2단계"}), else in the user's: "Step 2" (plain, as before) for an English user, {"ko": "2단계"}
    for a Korean one; a lesson written before reads unchanged; a locked Play is said in Korean."""
    from engine.core import i18n

    def make() -> MakeLessonDialog:
        window.findChild(QAction, "actionMakeLesson").trigger()
        return next(d for d in window.findChildren(MakeLessonDialog) if d.isVisible())

    dlg = make()
    dlg.add_step()
    dlg.texts["en"].setPlainText("Lower the learning rate.")
    dlg.add_step()  # left empty: the lesson is English only so far
    assert [s["text"] for s in dlg.lesson()["steps"]] == ["Lower the learning rate.", "Step 2"]
    dlg.steps.setCurrentRow(0)
    dlg.texts["ko"].setPlainText("학습률을 낮춰 보세요.")  # now bilingual
    dlg.add_step()
    assert dlg.steps.item(2).text() == "Step 3"  # the list shows the user's language
    steps = dlg.lesson()["steps"]
    assert steps[2]["text"] == {"en": "Step 3", "ko": "3단계"}
    dlg.steps.setCurrentRow(1)  # a step already named keeps its name until edited
    dlg.texts["en"].clear()
    dlg.steps.setCurrentRow(0)
    assert dlg.lesson()["steps"][1]["text"] == {"en": "Step 2", "ko": "2단계"}
    dlg.reject()
    written = {"hide": [], "lock": [], "steps": [{"text": "Step 1"}, {"text": "Step 2"}]}  # as files hold them
    try:
        i18n.install("ko")
        korean = make()
        korean.add_step()
        korean.add_step()
        assert korean.steps.item(1).text() == "2단계"
        assert [s["text"] for s in korean.lesson()["steps"]] == [{"ko": "1단계"}, {"ko": "2단계"}]
        korean.reject()
        project = window.session.state.project
        assert window.files.open_loaded({**project, "app": {**project.get("app", {}), "lesson": written}}, "Opened")
        reopened = make()
        assert reopened.lesson()["steps"] == written["steps"]  # written before: loads and saves unchanged
        reopened.reject()
        messages = []
        window.session.message.connect(messages.append)
        window.session.state.locked = ["view.play"]
        assert not window.lessons.allows("view.play") and messages[-1] == "이 레슨에서는 재생이 잠겨 있습니다"
    finally:
        i18n.install("en")
        window.session.state.locked = []
