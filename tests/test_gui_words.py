"""Names in words on screen (issue 31, item 10): every list the window and its tool windows show
gives its entries in words ("Binary cross-entropy", "Glorot uniform"), never as the identifiers
the files keep ("binary_crossentropy", "glorot_uniform"), which stay as the items' data."""

import json
import re

import pytest
from conftest import TIMEOUT
from helpers import build_every_tab, wait_for
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QComboBox

from playground.resources import PRESETS
from playground.widgets import Caption

#: The tool windows that open without asking anything (the summary and About are modal text).
TOOLS = ("actionRace", "actionBackprop", "actionGraphs", "actionMakeLesson", "actionPaths", "actionLandscape",
         "actionRecord", "actionActivationStats", "actionConvexity", "actionLossExplorer",
         "actionPerceptron")  # fmt: skip


def raw_items(combos) -> list[str]:
    """Items whose text looks like an identifier: an underscore in it, or the same as its data."""
    bad = []
    for combo in combos:
        for i in range(combo.count()):
            text, data = combo.itemText(i), combo.itemData(i)
            if "_" in text or (isinstance(data, str) and text == data):
                where = combo.objectName() or combo.accessibleName() or type(combo.parent()).__name__
                bad.append(f"{where}: {text!r}")
    return bad


def every_combo() -> list[QComboBox]:
    return [c for w in QApplication.topLevelWidgets() for c in w.findChildren(QComboBox)]


def test_every_list_in_the_window_and_its_tools_is_in_words(qtbot, window, tmp_path):
    build_every_tab(window)  # the tabs built when first shown: their lists too
    bad = []
    opt = window.controls.optimizer
    for i in range(opt.count()):  # each optimizer brings its own fields (SGD's and Adam's update rule)
        opt.setCurrentIndex(i)
        opt.activated.emit(i)
        qtbot.waitUntil(lambda i=i: window.controls.opt_params.property("optimizer") == opt.itemData(i))
        bad += raw_items(window.findChildren(QComboBox))
    for name in TOOLS:
        window.findChild(QAction, name).trigger()
    QApplication.processEvents()
    bad += raw_items(every_combo())
    # Image and sequence data bring the layer stack, with its own lists (recurrent layers, BN).
    gen = window.session.snapshot.generation
    window.files.open_project(PRESETS / "18-cnn-shapes.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen, timeout=TIMEOUT)
    bad += raw_items(window.findChildren(QComboBox))
    recurrent = tmp_path / "adding.json"
    recurrent.write_text(json.dumps({
        "format": "nn-playground/1", "data": {"source": "adding", "sequence_length": 6, "samples": 200},
        "network": {"layers": [{"type": "gru", "units": 3, "return_sequences": True}, {"type": "lstm", "units": 3},
                               {"type": "dense", "units": 4, "batch_norm": True}], "output_activation": "linear"},
        "training": {"loss": "mse"},
    }))  # fmt: skip
    gen = window.session.snapshot.generation
    assert window.files.open_project(recurrent)
    wait_for(qtbot, window, lambda s: s.generation > gen, timeout=TIMEOUT)
    bad += raw_items(window.findChildren(QComboBox))
    assert not bad, "\n".join(sorted(set(bad)))


def test_the_combos_keep_the_identifiers_as_data_and_write_them_to_the_project(qtbot, window):
    act = window.findChild(QComboBox, "activation0")
    act.setCurrentIndex(act.findData("relu"))
    act.activated.emit(act.currentIndex())
    assert window.session.state.project["network"]["layers"][0]["activation"] == "relu"
    assert window.findChildren(QComboBox, "activation0")[-1].currentText() == "ReLU"
    c = window.controls
    k = c.loss.findData("binary_crossentropy")
    assert c.loss.itemText(k) == "Binary cross-entropy"
    assert "binary_crossentropy" in c.loss.itemData(k, 3)  # the tooltip gives both
    init = window.network.initializer
    assert init.itemText(init.findData("glorot_uniform")) == "Glorot uniform"
    init.setCurrentIndex(init.findData("he_uniform"))
    init.activated.emit(init.currentIndex())
    assert window.session.state.project["network"]["initializer"] == "he_uniform"
    sched = c.schedule
    sched.setCurrentIndex(sched.findData("inverse_time"))
    sched.activated.emit(sched.currentIndex())
    assert window.session.state.project["training"]["schedule"]["name"] == "inverse_time"
    c.optimizer.setCurrentIndex(c.optimizer.findData("adam"))
    c.optimizer.activated.emit(c.optimizer.currentIndex())
    qtbot.waitUntil(lambda: c.opt_params.property("optimizer") == "adam")
    rules = c.opt_fields["rules"]
    assert [rules.itemText(i) for i in range(rules.count())] == ["PyTorch", "Keras"]
    rules.setCurrentIndex(rules.findData("keras"))
    rules.activated.emit(rules.currentIndex())
    assert window.session.state.project["training"]["optimizer"]["rules"] == "keras"
    assert rules.parent().findChild(Caption).text() == "UPDATE RULE"  # the words above the field


@pytest.mark.parametrize("text", ["half_squared", "tfp_square", "glorot_uniform", "he_uniform", "tfp_uniform"])
def test_no_identifier_the_issue_saw_is_on_screen(window, text):
    shown = [c.itemText(i) for c in window.findChildren(QComboBox) for i in range(c.count())]
    assert text not in shown and not any(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", s) for s in shown)
