"""The layer stack in the window: a convolutional network built, edited and watched from the app
alone, its filters and the picked image's feature maps drawn from the worker's own numbers."""

import numpy as np
import pytest
from helpers import wait_for
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QSpinBox

from engine.core.model import LayerStack
from engine.project import build_network
from playground.resources import PRESETS


def _net(snap):
    net = build_network(snap.project, snap.data.n_inputs, snap.data.dataset.classes, snap.data.dataset.image_shape)
    net.set_weights(snap.weights)
    return net


def test_a_cnn_is_built_edited_and_watched_in_the_layer_stack(qtbot, window, tmp_path):
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS / "19-cnn-digits.json", preset=True)
    area, layers = window.area, window.layers
    assert area.page() == "layers" and not area.buttons["neurons"].isEnabled()
    snap = wait_for(qtbot, window, lambda s: s.generation > gen and s.layer_maps is not None)
    # One row per layer of Keras's summary, with its output shape and parameter count.
    details = [row.detail.text() for row in layers.rows]
    assert details == ["→ 8×8×8 · 80 parameters", "→ 4×4×8 · 0 parameters", "→ 128 · 0 parameters",
                       "→ 10 · 1,290 parameters"]  # fmt: skip
    # The maps are the network's own layer outputs for the first test image, on one grey scale per layer.
    row = int(snap.data.test[0])
    maps = snap.layer_maps
    assert maps.row == row
    net = _net(snap)
    outs = net.layer_outputs(snap.data.x_test[:1])
    conv = maps.layers[0]
    assert conv.kind == "Conv2D" and conv.maps.shape == (8, 8, 8) and conv.filters.shape == (8, 1, 3, 3, 3)
    expected = np.clip((np.moveaxis(outs[0][0], 2, 0) - conv.low) * 255 / (conv.high - conv.low), 0, 255)
    assert np.abs(conv.maps.astype(int) - expected.astype(int)).max() <= 1
    assert np.allclose(maps.layers[-1].values, outs[-1][0], atol=1e-6)
    strip = layers.rows[0].strip
    assert strip.picture is conv and strip._parts[0][0].startswith("8 filters 3×3")
    # Training changes the filters that are drawn.
    window.session.step("epoch")
    later = wait_for(qtbot, window, lambda s: s.epoch >= 1 and s.layer_maps is not maps)
    assert not np.array_equal(later.layer_maps.layers[0].filters, conv.filters)
    # Exported from the app and loaded back: ONNX predicts what the engine does, the weights return.
    files, trained = window.files, later.weights
    assert files.export_weights(tmp_path / "cnn.onnx", "onnx") and files.export_weights(tmp_path / "cnn.npz")
    for framework in ("pytorch", "keras"):  # the scripts themselves are run in test_codegen.py
        assert files.export_code(tmp_path / f"cnn_{framework}.py", framework)
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(tmp_path / "cnn.onnx"))
    raw = later.data.dataset.x[later.data.test[:5]]
    onnx_out = sess.run(None, {sess.get_inputs()[0].name: raw.reshape(5, 8, 8, 1).astype(np.float32)})[0]
    assert np.allclose(onnx_out, _net(later).predict(later.data.transform(raw)), atol=1e-4)
    window.session.new_weights()
    wait_for(qtbot, window, lambda s: not np.array_equal(s.weights[0], trained[0]))
    assert files.import_weights(tmp_path / "cnn.npz")
    wait_for(qtbot, window, lambda s: all(np.array_equal(a, b) for a, b in zip(s.weights, trained)))
    # Clicking a sample makes the layer view follow it, ringed in blue.
    window.images.tabs.setCurrentWidget(window.images.samples)
    grid = window.images.samples
    qtbot.waitUntil(lambda: grid.shown.size > 3)
    tiles = grid.tiles
    size = tiles.cell_size()
    qtbot.mouseClick(tiles, Qt.MouseButton.LeftButton, pos=QPoint(int(4 + 3 * size + size / 2), int(4 + size / 2)))
    picked = int(grid.shown[3])
    assert tiles.marked == 3
    wait_for(qtbot, window, lambda s: s.layer_maps is not None and s.layer_maps.row == picked)
    qtbot.waitUntil(lambda: layers.input_row.detail.text().startswith(f"sample {picked + 1}"))
    # A layer that does not fit is refused with its key in the user's words; nothing changes.
    before = window.session.state.project["network"]["layers"]
    pool = layers.findChild(QSpinBox, "stack_pool_size1")
    pool.setValue(16)
    assert window.session.state.project["network"]["layers"] == before
    assert "pool size 16 is larger than its 8×8 input" in window.statusBar().currentMessage()
    # Adding a convolution puts it after the image layers; the worker builds it.
    assert layers.add_layer("conv2d")
    kinds = [layer.get("type", "dense") for layer in window.session.state.project["network"]["layers"]]
    assert kinds == ["conv2d", "max_pooling2d", "conv2d", "flatten"]
    built = wait_for(qtbot, window, lambda s: len(s.weights) == 6)
    assert built.weights[2].shape == (3, 3, 8, 8)
    assert isinstance(_net(built), LayerStack) and _net(built).spatial
    assert layers.move(2, -1)  # conv ↔ pool
    assert [r.kind for r in layers.plan][:3] == ["Conv2D", "Conv2D", "MaxPooling2D"]
    assert layers.change_type(3, "dense") and layers.edit(3, "units", 12)
    assert [r.output_shape for r in layers.plan][-3:] == [(128,), (12,), (10,)]
    assert not layers.change_type(0, "dense")  # a convolution cannot follow it
    assert "cannot follow a flatten or dense layer" in window.statusBar().currentMessage()
    assert layers.remove(3) and layers.remove(1)
    assert [r.kind for r in layers.plan] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]


def test_a_dense_net_on_images_has_both_views_and_the_stack_edits_it(qtbot, window):
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS / "13-real-digits.json", preset=True)
    area, layers = window.area, window.layers
    wait_for(qtbot, window, lambda s: s.generation > gen)
    assert area.bar.isVisible() and area.page() == "neurons" and area.buttons["neurons"].isEnabled()
    qtbot.mouseClick(area.buttons["layers"], Qt.MouseButton.LeftButton)
    assert area.page() == "layers"
    snap = wait_for(qtbot, window, lambda s: s.layer_maps is not None)
    assert [p.kind for p in snap.layer_maps.layers] == ["Flatten", "Dense", "Dense"]
    assert np.allclose(snap.layer_maps.layers[1].values, _net(snap).neuron_outputs(snap.data.x_test[:1])[0][0])
    assert layers.edit(0, "units", 20)
    wait_for(qtbot, window, lambda s: s.weights[0].shape == (64, 20))
    assert window.network.hidden[0]["units"] == 20  # the neuron graph shows the same network
    assert layers.add_layer("conv2d")  # a convolution: only the stack can draw it
    assert area.page() == "layers" and not area.buttons["neurons"].isEnabled()
    wait_for(qtbot, window, lambda s: s.weights[0].ndim == 4)
    # Back to points: the graph again, no stack buttons.
    assert window.files.open_project(PRESETS / "04-spiral-tanh.json", preset=True)
    wait_for(qtbot, window, lambda s: s.data.dataset.image_shape is None)
    assert area.page() == "neurons" and not area.bar.isVisible()


def test_the_hidden_space_of_a_cnn_shows_its_dense_layers_by_their_stack_numbers(qtbot, window):
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS / "18-cnn-shapes.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    assert window.show_view("hidden")
    snap = wait_for(qtbot, window, lambda s: s.hidden is not None)
    assert snap.hidden.names == ("layer 6",) and [p.shape for p in snap.hidden.points] == [(200, 32)]
    net = _net(snap)
    rows = snap.data.train[:200]
    dense = net.neuron_outputs(snap.data.x_train[: rows.size])[2]
    assert np.allclose(snap.hidden.points[0], dense)
    view = window.hidden_space
    qtbot.waitUntil(lambda: view.layer.count() == 1 and view.layer.itemText(0) == "layer 6 (32)")
    window.session.state.set("network.layers", snap.project["network"]["layers"][:5])  # no dense layer left
    wait_for(qtbot, window, lambda s: s.hidden is not None and not s.hidden.points)
    qtbot.waitUntil(lambda: "dense layer after the flatten" in view.empty.text())


def test_maps_strips_lay_tiles_out_crisp_and_take_colour_input(qtbot):
    """Integer zooms (pixels stay square), at most two rows while a tile can shrink, and a colour
    image drawn in colour."""
    from playground.panels.maps_strip import MapsStrip, fit, montage
    from playground.run.layer_maps import LayerPicture

    assert fit(8, 8, 300, 26, 64) == (8, 4)  # 8 maps of 8×8 at the largest, 64 px: two rows of 4
    assert fit(32, 16, 300, 26, 64) == (2, 8)  # 32 maps shrink to 32 px (not below 26): four rows of 8
    tiles = np.arange(2 * 2 * 3, dtype=np.uint8).reshape(3, 2, 2)
    grid = montage(tiles, 2)
    assert grid.shape == (5, 5) and (grid[2] == 255).all() and (grid[3:, :2] == tiles[2]).all()
    strip = MapsStrip()
    qtbot.addWidget(strip)
    strip.resize(300, 100)
    rgb = np.zeros((1, 12, 12, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    strip.set_picture(LayerPicture(None, "Input", (12, 12, 3), maps=rgb), [], -1)
    (caption, img, zoom), = strip._parts
    assert caption == "the picked image" and zoom == 5 and img.pixelColor(3, 3).red() == 200
    assert img.pixelColor(3, 3).green() == 0 and strip.sizeHint().height() >= 12 * 5


def test_batch_norm_projects_open_train_and_show_in_both_views(qtbot, window, tmp_path):
    """A dense project with batch_norm (the neuron graph) and a CNN with it (the layer stack): each
    opens, trains an epoch, and its views read the entry's output (after BN and f) and the kernels."""
    import json

    from PySide6.QtWidgets import QDoubleSpinBox

    dense = {"format": "nn-playground/1", "data": {"source": "spiral", "samples": 200},
             "network": {"layers": [{"units": 6, "activation": "relu", "batch_norm": True}, {"units": 3}]},
             "training": {"batch_size": 10}}  # fmt: skip
    path = tmp_path / "bn.json"
    path.write_text(json.dumps(dense))
    gen = window.session.snapshot.generation
    assert window.files.open_project(path)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    assert window.area.page() == "neurons"
    window.session.step("epoch")
    snap = wait_for(qtbot, window, lambda s: s.epoch >= 1 and bool(s.neuron_grids))
    assert [k.shape for k in snap.kernels] == [(2, 6), (6, 3), (3, 1)] and len(snap.weights) == 10
    assert [g.shape[0] for g in snap.neuron_grids] == [6, 3, 1] and np.all(snap.neuron_grids[0] >= 0)  # relu(BN(z))
    assert window.network.hidden[0]["batch_norm"] is True
    cnn = {"format": "nn-playground/1",
           "data": {"source": "shapes", "classes": 3, "samples": 90, "normalize": "unit", "features": None},
           "network": {"layers": [{"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same",
                                   "batch_norm": True}, {"type": "batch_normalization"}, {"units": 4}],
                       "output_activation": "softmax"},
           "training": {"loss": "categorical_crossentropy", "batch_size": 8}}  # fmt: skip
    path.write_text(json.dumps(cnn))
    gen = window.session.snapshot.generation
    assert window.files.open_project(path)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen and s.layer_maps is not None)
    layers = window.layers
    assert [p.kind for p in snap.layer_maps.layers] == ["Conv2D", "BatchNormalization", "Activation",
                                                        "BatchNormalization", "Flatten", "Dense", "Dense"]
    assert len(layers.rows) == 7 and layers.rows[1].title.text() == "BatchNormalization"  # made by the key: no controls
    assert len(layers.findChildren(QSpinBox, "stack_filters0")) == 1
    assert len(layers.findChildren(QDoubleSpinBox, "stack_momentum1")) == 1  # the typed one has its own
    # The convolution's row shows its entry's output: its maps after BN and relu (no negative value).
    assert snap.layer_maps.layers[0].low >= 0 and snap.layer_maps.layers[0].filters is not None
    window.session.step("epoch")
    later = wait_for(qtbot, window, lambda s: s.epoch >= 1 and s.layer_maps is not snap.layer_maps)
    assert not np.array_equal(later.weights[2], snap.weights[2])  # γ learns
