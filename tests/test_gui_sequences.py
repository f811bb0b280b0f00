"""Sequence data in the window: the data panel picks the generated sequence sets by their
thumbnails, and a project with recurrent layers opens and trains in the app."""

import json

import numpy as np
from helpers import wait_for
from PySide6.QtCore import Qt


def test_the_sequence_thumbnails_give_the_sequence_sets_ready_to_train(qtbot, window):
    for name, problem, shape in (("sine", "regression", (20, 1)), ("adding", "regression", (20, 2)),
                                 ("parity", "classification", (8, 1))):  # fmt: skip
        button = window.data_panel.source_buttons[name]
        assert not button.icon().isNull()
        gen = window.session.snapshot.generation
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        snap = wait_for(qtbot, window, lambda s, g=gen: s.generation > g)
        d = snap.project["data"]
        assert d["source"] == name and d["problem"] == problem and d["sequence_length"] == shape[0]
        assert snap.data.dataset.sequence_shape == shape and snap.data.x_train.shape[1] == shape[0] * shape[1]
        assert button.isChecked()
        # The dense network the window had reads each sequence as one row of T·F values.
        steps = snap.steps
        window.session.step("epoch")
        wait_for(qtbot, window, lambda s, k=steps: s.steps > k and s.epoch >= 1)


def test_a_project_with_recurrent_layers_opens_and_trains(qtbot, window, tmp_path):
    path = tmp_path / "adding.json"
    path.write_text(json.dumps({
        "format": "nn-playground/1", "seed": 3,
        "data": {"source": "adding", "sequence_length": 12, "samples": 400, "test_fraction": 0.25},
        "network": {"layers": [{"type": "gru", "units": 6, "return_sequences": True},
                               {"type": "lstm", "units": 5}], "output_activation": "linear"},
        "training": {"loss": "mse", "optimizer": {"name": "adam", "learning_rate": 0.01}, "batch_size": 16},
    }))  # fmt: skip
    gen = window.session.snapshot.generation
    assert window.files.open_project(path)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen)
    assert [w.shape for w in snap.weights[:3]] == [(2, 18), (6, 18), (2, 18)]  # GRU: kernel, recurrent, 2 biases
    first = [w.copy() for w in snap.weights]
    window.session.step("epoch")
    snap = wait_for(qtbot, window, lambda s: s.epoch >= 1)
    assert not np.array_equal(snap.weights[1], first[1]) and np.isfinite(snap.history["loss"][-1])
    net = window.session.network()
    assert net.input_shape == (12, 2) and net.layers[1].name == "lstm"
    assert "lstm_1 (LSTM, tanh)" in net.summary()
