"""Image data in the window: samples with labels, confusion matrix (click → samples), weight images."""

import numpy as np
from helpers import wait_for
from PySide6.QtCore import QPoint, Qt

from engine.data.loaders import write_idx
from engine.project import build_network
from playground.panels.images import image_pixels, weight_images
from playground.resources import PRESETS


def _open_shapes(qtbot, window):
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS / "10-image-shapes.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    window.session.step("epoch")
    return wait_for(
        qtbot, window, lambda s: s.epoch >= 1 and s.image_eval is not None and s.image_eval.steps == s.steps
    )


def _network(snap):
    net = build_network(snap.project, snap.weights[0].shape[0], snap.data.dataset.classes)
    net.set_weights(snap.weights)
    return net


def test_weight_images_are_the_kernel_columns_reshaped():
    kernel = np.zeros((6, 2))
    kernel[1, 0] = 2.0  # unit 0: pixel (0, 1) positive
    kernel[4, 1] = -3.0  # unit 1: pixel (1, 1) negative
    rgb = weight_images(kernel, (2, 3))
    assert rgb.shape == (2, 2, 3, 3)
    assert rgb[0, 0, 1, 2] > 150 and rgb[0, 0, 1, 0] < 50  # blue
    assert rgb[1, 1, 1, 0] > 200 and rgb[1, 1, 1, 2] < 80  # orange
    assert image_pixels(np.array([[0.0, 127.5, 255.0, 0, 0, 0]]), (2, 3), 0, 255)[0, 0].tolist() == [0, 127, 255]


def test_image_data_replace_the_plane_with_samples_confusion_and_weight_images(qtbot, window):
    snap = _open_shapes(qtbot, window)
    assert window.images.isVisible() and not window.output.isVisible()
    ev = snap.image_eval
    ds = snap.data.dataset
    assert ev.split == "test" and ev.indices.tolist() == snap.data.test.tolist()
    # The confusion matrix is the weights' own predictions on the test split.
    out = _network(snap).predict(snap.data.x_test)
    np.testing.assert_array_equal(ev.predicted, out.argmax(axis=1))
    truth = ds.y[snap.data.test]
    for t in range(4):
        for p in range(4):
            assert ev.confusion[t, p] == np.sum((truth == t) & (ev.predicted == p))
    # Samples: captions give the prediction, and mistakes are framed in red.
    grid = window.images.samples
    assert len(grid.tiles.tiles) == min(40, ev.indices.size)
    for (_img, caption, frame), row in zip(grid.tiles.tiles, grid.shown):
        k = int(np.flatnonzero(ev.indices == row)[0])
        assert caption.startswith(ds.class_names[ev.predicted[k]])
        assert (frame.red() > 200) == (ev.predicted[k] != ds.y[row])
    grid.mistakes.setChecked(True)
    assert all(ds.y[r] != ev.predicted[np.flatnonzero(ev.indices == r)[0]] for r in grid.shown)
    # Weights as images: one per hidden unit of the first layer.
    window.images.tabs.setCurrentWidget(window.images.weights)
    units = snap.weights[0].shape[1]
    assert [c for _i, c, _f in window.images.weights.tiles] == [f"unit {u + 1}" for u in range(min(units, 64))]
    assert window.images.weights.tiles[0][0].width() == 16
    # Without a hidden layer: one template per class.
    gen = snap.generation
    window.session.state.set("network.layers", [])
    snap = wait_for(qtbot, window, lambda s: s.generation > gen and len(s.weights) == 2)
    window.router.show(snap, True)
    assert [c for _i, c, _f in window.images.weights.tiles] == ds.class_names


def test_clicking_a_confusion_cell_shows_exactly_those_samples(qtbot, window):
    snap = _open_shapes(qtbot, window)
    view = window.images
    view.tabs.setCurrentWidget(view.confusion)
    qtbot.waitUntil(lambda: view.confusion.matrix is not None)
    view.confusion.repaint()  # lays out the cells
    ev = snap.image_eval
    t, p = np.unravel_index(np.argmax(ev.confusion - np.diag(np.diag(ev.confusion))), ev.confusion.shape)
    rect = view.confusion._cells[(int(t), int(p))]
    qtbot.mouseClick(
        view.confusion, Qt.MouseButton.LeftButton, pos=QPoint(int(rect.center().x()), int(rect.center().y()))
    )
    assert view.tabs.currentWidget() is view.samples
    grid = view.samples
    ds = snap.data.dataset
    expected = ev.indices[(ds.y[ev.indices] == t) & (ev.predicted == p)]
    assert grid.shown.tolist() == expected[:40].tolist() and expected.size > 0
    assert f"true {ds.class_names[t]}, predicted {ds.class_names[p]}" in grid.filter_label.text()
    qtbot.mouseClick(grid.show_all, Qt.MouseButton.LeftButton)
    assert grid.cell is None and len(grid.shown) == min(40, ev.indices.size)


def test_an_idx_image_file_opens_in_the_image_views(qtbot, window, tmp_path):
    rng = np.random.default_rng(0)
    labels = np.arange(300) % 3
    images = np.zeros((300, 8, 8), dtype=np.uint8)
    for k, c in enumerate(labels):  # class c lights row 2c (and noise)
        images[k, 2 * c + 1] = 200
        images[k] += rng.integers(0, 40, (8, 8), dtype=np.uint8)
    (tmp_path / "imgs.idx").write_bytes(write_idx(images))
    (tmp_path / "labels.idx").write_bytes(write_idx(labels.astype(np.uint8)))
    gen = window.session.snapshot.generation
    source = {"idx": {"images": str(tmp_path / "imgs.idx"), "labels": str(tmp_path / "labels.idx")}}
    assert window.files.load_data_source(source)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    assert window.session.state.project["data"]["normalize"] == "unit"  # pixels ÷ 255
    for _ in range(3):
        window.session.step("epoch")
    snap = wait_for(
        qtbot, window, lambda s: s.epoch >= 3 and s.image_eval is not None and s.image_eval.steps == s.steps
    )
    assert snap.image_eval.confusion.shape == (3, 3)
    window.images.tabs.setCurrentWidget(window.images.weights)
    hidden_units = snap.weights[0].shape[1]
    assert len(window.images.weights.tiles) == min(hidden_units, 64)
    assert window.images.weights.tiles[0][0].width() == 8


def test_sample_tooltips_give_both_labels_in_full_and_the_top_three(qtbot, window):
    snap = _open_shapes(qtbot, window)
    grid = window.images.samples.tiles
    ev = snap.image_eval
    qtbot.waitUntil(lambda: len(grid.tips) == len(grid.tiles) > 0)
    names = snap.data.dataset.class_names
    tip = grid.tips[0]
    assert f"predicted: {names[int(ev.predicted[0])]}" in tip and "true: " in tip
    probs = [float(line.rsplit(": ", 1)[1].rstrip("%")) for line in tip.splitlines()[3:]]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 100.5
    assert grid.tile_at(QPoint(8, 8)) == 0


def test_image_data_draws_the_input_block_edges_and_unit_weight_images(qtbot, window):
    snap = _open_shapes(qtbot, window)
    net = window.network
    assert len(net.graph.block_lines) == min(snap.weights[0].shape[1], len(net.graph.block_lines)) > 0
    drawn = sum(len(lines) for lines in net.weights.buckets.values())
    assert drawn >= len(net.graph.block_lines)
    rgb = net.pictures.layer_rgb(0)
    assert rgb is not None and rgb.shape[1:3] == snap.data.dataset.image_shape[:2]
    np.testing.assert_array_equal(rgb, weight_images(snap.weights[0], snap.data.dataset.image_shape))


def test_a_units_tooltip_says_what_its_weight_picture_shows(qtbot, window):
    _open_shapes(qtbot, window)
    net = window.network
    first = next(n for n in net.nodes if n.layer == 0)
    out = next(n for n in net.nodes if n.layer == 1)
    assert "weights over the raw inputs" in net.node_tip(first)
    assert "product of the kernels" in net.node_tip(out)
