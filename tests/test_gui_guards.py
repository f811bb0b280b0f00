"""What must not act does not act, whatever way it is reached (issue 28): the controls of a
removed layer, and a lesson's locked Play, Step and Reset through the menu and the keys."""

from conftest import TIMEOUT
from helpers import wait_for
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QToolButton, QWidget


def _layers(window, units):
    return window.session.state.apply({"network.layers": [{"units": u, "activation": "tanh"} for u in units]})


def test_the_controls_of_a_removed_layer_are_inert(qtbot, window):
    """A '+' still on screen (or a click already queued) for layer 3 after it was removed raised
    IndexError in NetworkView._set_units (now NetworkEditor.set_units); a stale control of a layer
    that still exists edited it."""
    view = window.network
    _layers(window, [3, 4, 5])
    stale = {name: view.findChild(cls, name) for cls, name in (
        (QToolButton, "addNeuron2"), (QToolButton, "removeNeuron2"), (QToolButton, "addNeuron0"),
        (QSpinBox, "units2"), (QDoubleSpinBox, "dropout2"))}  # fmt: skip
    assert all(w is not None for w in stale.values())
    _layers(window, [3])  # layers 2 and 3 go; the controls above are an older rebuild's
    before = window.session.state.project["network"]["layers"]
    stale["addNeuron2"].clicked.emit()  # as a click queued before the rebuild arrives
    stale["removeNeuron2"].clicked.emit()
    stale["addNeuron0"].clicked.emit()  # layer 1 still exists, but this is not its control now
    stale["units2"].valueChanged.emit(7)
    stale["dropout2"].valueChanged.emit(0.3)
    view.editor.set_units(2, +1)  # what the GUI monkey does with an index it read a moment before
    view.editor.set_units(-1, +1)
    assert window.session.state.project["network"]["layers"] == before
    # The controls of the current rebuild still work.
    fresh = [b for b in view.findChildren(QToolButton, "addNeuron0") if b.isEnabled()]  # old ones await deletion
    assert len(fresh) == 1 and fresh[0] is not stale["addNeuron0"]
    qtbot.mouseClick(fresh[0], Qt.MouseButton.LeftButton)
    assert window.session.state.project["network"]["layers"][0]["units"] == 4
    wait_for(qtbot, window, lambda s: s.project == window.session.state.project, timeout=TIMEOUT)


LOCKED_LESSON = {"hide": ["playButton"], "lock": ["view.step", "view.reset"],
                 "steps": [{"text": "Watch the network before it trains."}]}  # fmt: skip


def test_a_lessons_locks_on_play_step_and_reset_hold_for_the_menu_and_the_keys(qtbot, window, monkeypatch):
    """With the Play button hidden, Run → Play and Space still started training (epoch 0 → 155)."""
    state = window.session.state
    state.replace({**state.project, "app": {"lesson": LOCKED_LESSON}})
    qtbot.waitUntil(lambda: not window.findChild(QWidget, "playButton").isVisibleTo(window), timeout=TIMEOUT)
    messages, calls = [], []
    window.session.message.connect(messages.append)
    for name in ("step", "reset", "new_weights"):
        monkeypatch.setattr(window.session, name, lambda *a, name=name: calls.append(name))
    window.play_action.trigger()
    assert not window.session.playing
    qtbot.keyClick(window.network, Qt.Key.Key_Space)
    assert not window.session.playing
    qtbot.keyClick(window.network, Qt.Key.Key_S)
    qtbot.keyClick(window.network, Qt.Key.Key_R)
    assert not window.session.playing and not calls
    actions = [window.findChild(QAction, n) for n in ("actionPlay", "actionStep", "actionReset", "actionNewWeights")]
    assert not any(a.isEnabled() for a in actions)  # greyed in the Run menu
    for act in actions:  # and the actions check the lock themselves, whatever enables them
        act.setEnabled(True)
        act.trigger()
    assert not window.session.playing and not calls
    assert "Play is locked by this lesson" in messages and "Step is locked by this lesson" in messages
    # Another project ends the lesson: the actions work again.
    state.replace({**state.project, "app": {}})
    qtbot.waitUntil(lambda: window.play_action.isEnabled(), timeout=TIMEOUT)
    qtbot.keyClick(window.network, Qt.Key.Key_Space)
    assert window.session.playing
    window.session.set_playing(False)
    window.findChild(QAction, "actionReset").trigger()
    assert calls == ["reset"]


def test_the_layer_stacks_controls_of_a_removed_layer_are_inert(qtbot, window):
    """The layer stack (image data) had the same fault: a row's control left from before a
    remove edited, moved or removed by an index that no longer held its layer."""
    from playground.resources import PRESETS

    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS / "19-cnn-digits.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen, timeout=TIMEOUT)
    stack, state = window.layers, window.session.state
    n = len(state.project["network"]["layers"])
    qtbot.waitUntil(lambda: stack.findChild(QToolButton, f"layerRemove{n - 1}") is not None, timeout=TIMEOUT)
    stale_remove = stack.findChild(QToolButton, f"layerRemove{n - 1}")
    stale_up = stack.findChild(QToolButton, f"layerUp{n - 1}")
    assert stack.remove(n - 1)  # the last layer goes
    before = state.project["network"]["layers"]
    stale_remove.clicked.emit()  # as clicks queued before the rebuild arrives
    stale_up.clicked.emit()
    for i in (n - 1, n, -1):  # what a script or the monkey might pass
        assert not stack.edit(i, "units", 9) and not stack.remove(i) and not stack.change_type(i, "dense")
    assert not stack.move(n - 1, -1)
    assert state.project["network"]["layers"] == before
