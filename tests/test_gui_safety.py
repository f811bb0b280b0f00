"""Text from files is shown as text: no HTML from a project, a data file's name or an error."""

import json

from helpers import wait_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

HOSTILE = '<img src="/dev/zero"><table>' + "<tr><td>row</td></tr>" * 50 + "</table>"


def _project(tmp_path, **app):
    p = tmp_path / "note.json"
    p.write_text(json.dumps({"format": "nn-playground/1", "app": app}))
    return p


def test_a_project_note_with_html_is_shown_as_plain_text(qtbot, window, tmp_path):
    assert window.open_project(_project(tmp_path, note=HOSTILE))
    banner = window.banner
    assert banner.isVisible() and banner.textFormat() == Qt.TextFormat.PlainText
    assert banner.text().startswith('<img src="/dev/zero">')  # the markup itself, as typed
    wait_for(qtbot, window, lambda s: s.epoch == 0)


def test_a_long_note_is_cut_with_a_mark(qtbot, window, tmp_path):
    assert window.open_project(_project(tmp_path, note="word " * 20_000))
    assert len(window.banner.text()) <= 2_001 and window.banner.text().endswith("…")


def test_every_label_in_the_window_shows_plain_text_unless_it_is_ours(window):
    labels = window.findChildren(QLabel)
    assert len(labels) > 20
    rich = sorted(
        (label.objectName(), label.textFormat()) for label in labels if label.textFormat() != Qt.TextFormat.PlainText
    )
    # the parameter count's link and the gradient verdict's swatches: text the app writes itself;
    # no label is left to Qt's guess (AutoText), which is what loaded <img> from a note
    assert rich == [("legend", Qt.TextFormat.RichText), ("paramsLabel", Qt.TextFormat.RichText)]


def test_a_data_file_named_with_markup_shows_its_name(qtbot, window, tmp_path):
    csv = tmp_path / "<img src=zero.png>.csv"
    csv.write_text("x1,x2,label\n" + "".join(f"{i},{-i},{i % 2}\n" for i in range(12)))
    assert window.load_data_source({"csv": str(csv)})
    label = window.data_panel.source_label
    assert label.textFormat() == Qt.TextFormat.PlainText and "<img src=zero.png>.csv" in label.text()


def test_an_error_naming_a_file_with_markup_is_plain_text(qtbot, window, tmp_path):
    bad = tmp_path / "<b>bold<b>.json"
    bad.write_text("{not json")
    assert not window.open_project(bad)
    box = window.findChild(QMessageBox, "errorDialog")
    assert box.textFormat() == Qt.TextFormat.PlainText and "<b>bold<b>.json" in box.text()
    box.accept()
