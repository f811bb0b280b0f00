"""The backprop walk, the point inspector and the computation graphs, driven on the real window."""

import itertools
import json

import numpy as np
import pytest
from conftest import TIMEOUT
from helpers import ink, wait_for
from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QAction

from engine.cli import main
from engine.project.files import save_weights
from engine.teaching.backprop import example, trace
from engine.teaching.graphs import GRAPHS
from playground.resources import PRESETS
from playground.widgets import fit_to_screen
from playground.windows.backprop import BackpropWindow
from playground.windows.backprop_walk import stages
from playground.windows.graph_layout import _overlap as overlap
from playground.windows.graph_layout import segment_hits
from playground.windows.graphs import GraphWindow, edge_gradients


def trained(window, qtbot, epochs=2):
    s = window.session
    for _ in range(epochs):
        seq = s.step("epoch")
        qtbot.waitUntil(lambda seq=seq: s.snapshot.applied >= seq, timeout=TIMEOUT)
    return s.snapshot


def traced(qtbot, win):
    qtbot.waitUntil(lambda: win.pending is None and win.result is not None, timeout=TIMEOUT)
    return win.result


def open_backprop(window) -> BackpropWindow:
    window.findChild(QAction, "actionBackprop").trigger()
    win = window.findChild(BackpropWindow, "backpropWindow")
    assert win is not None and win.isVisible()
    return win


def test_the_walks_numbers_are_the_clis(window, qtbot, tmp_path, capsys):
    snap = trained(window, qtbot)
    win = open_backprop(window)
    win.row.setValue(5)
    qtbot.mouseClick(win.row_go, Qt.MouseButton.LeftButton)
    r = traced(qtbot, win)
    assert r.row == 5 and r.steps == snap.steps
    net = window.session.network()
    path = tmp_path / "p.json"
    path.write_text(json.dumps(snap.project))
    save_weights(tmp_path / "w.npz", net, snap.project, snap.data.normalizer)
    assert main(["backprop", str(path), "--weights", str(tmp_path / "w.npz"), "--row", "5", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    gui = json.loads(json.dumps(r.trace.to_json()))
    assert gui["input"] == cli["input"] and gui["loss"] == pytest.approx(cli["loss"], rel=1e-12)
    for a, b in zip(gui["layers"], cli["layers"]):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-10, atol=1e-14)
    assert "training row 5" in win.inspector.text() and "‖∂L/∂θ‖" in win.inspector.text()
    win.close()


def test_the_walk_waits_for_an_example_and_fits_a_1280_by_720_screen(window, qtbot):
    """Issue 31, item 8: Back, Next and Animate cannot act before an example is picked, so they
    are greyed (drawn so, not only refusing clicks) and say why; the chain-rule panel stays on
    a 1280×720 screen."""
    trained(window, qtbot, 1)
    win = open_backprop(window)
    for button in (win.back, win.next, win.animate):
        assert not button.isEnabled() and "Pick an example first" in button.toolTip()
        assert ink(button) > ink(win.row_go) + 60  # the stylesheet greys it
    for _ in range(6):
        qtbot.mouseClick(win.next, Qt.MouseButton.LeftButton)
    assert win.result is None and win.stage_label.text() == ""
    fit_to_screen(win, 1000, 760, QRect(0, 0, 1280, 720))
    qtbot.waitUntil(lambda: win.height() <= 720 - 48)
    panel = QRect(win.panel.mapTo(win, QPoint(0, 0)), win.panel.size())
    assert win.rect().contains(panel) and panel.height() >= 4 * win.panel.fontMetrics().lineSpacing()
    win.trace_row(0)
    traced(qtbot, win)
    assert win.back.isEnabled() and win.animate.isEnabled() and not win.next.isEnabled()  # at the last stage
    assert "Pick an example" not in win.back.toolTip()
    win.close()


def test_the_stages_walk_forward_then_back_and_animate(window, qtbot):
    trained(window, qtbot, 1)
    win = open_backprop(window)
    win.trace_row(0)
    r = traced(qtbot, win)
    n = len(r.trace.layers)
    assert win.stage_list == stages(n) and len(win.stage_list) == 2 * n + 3
    assert win.stage_index == len(win.stage_list) - 1  # a first trace shows everything
    win.go(0)
    assert not win.back.isEnabled()
    qtbot.mouseClick(win.next, Qt.MouseButton.LeftButton)
    assert win.canvas.stage == ("forward", 0) and "Forward, layer 1" in win.stage_label.text()
    assert win.canvas.numbers.lines(1, 0)[0].startswith("z ") and win.canvas.numbers.lines(2, 0) == ["", ""]
    win.go(n + 1)
    assert win.canvas.stage == ("loss", n - 1) and f"{r.trace.loss:.4g}" in win.stage_label.text()
    win.go(n + 2)
    assert win.canvas.stage == ("backward", n - 1)
    assert win.canvas.numbers.lines(n, 0)[0].startswith("δ ") and win.canvas.numbers.lines(1, 0)[0].startswith("z ")
    win.go(len(win.stage_list) - 1)
    assert win.canvas.stage == ("update", -1) and "Δb" in win.canvas.numbers.lines(1, 0)[0]
    assert not win.next.isEnabled()
    # Animate walks every stage from the start.
    win.speed.setCurrentIndex(2)
    win.animate.setChecked(True)
    assert win.stage_index == 0
    qtbot.waitUntil(lambda: not win.animate.isChecked(), timeout=TIMEOUT)
    assert win.stage_index == len(win.stage_list) - 1
    win.close()


def test_a_clicked_weight_shows_its_chain_rule_beside_the_numerical_gradient(window, qtbot):
    trained(window, qtbot, 1)
    win = open_backprop(window)
    win.trace_row(3)
    r = traced(qtbot, win)
    win.go(len(win.stage_list) - 2)  # backward through layer 1: every layer's gradients shown
    win.canvas.repaint()
    layer, i, j, a, b = next(e for e in win.canvas.edges if e[0] == 1)
    mid = (a + b) / 2
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(mid.x()), round(mid.y())))
    text = win.panel.toPlainText()
    assert win.canvas.selected[0] == 1 and text.startswith("∂L/∂w from unit")
    layer, i, j = win.canvas.selected
    want = r.trace.layers[layer].grad_kernel[i, j]
    assert f"{want:.6g}" in text.splitlines()[2]
    rel = float(text.split("relative error ")[1].split()[0])
    assert rel < 1e-5
    assert "update by" in text
    # A unit: its bias's chain rule.
    box = win.canvas.nodes[(1, 0)]
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=box.center().toPoint())
    assert win.panel.toPlainText().startswith("∂L/∂b for unit 1 of layer 1")
    win.close()


def test_the_walk_says_how_delta_is_found_at_the_output_and_what_the_update_is(window, qtbot):
    """Issue 29, item 6: the output layer's δ is f′(z)·∂L/∂a (here a − y), not f′(z) ⊙ Σ w·δ_next,
    and the update is a training step on a mini-batch of this example alone."""
    snap = trained(window, qtbot, 1)
    win = open_backprop(window)
    win.trace_row(2)
    r = traced(qtbot, win)
    n = len(r.trace.layers)
    win.go(n + 2)  # backward through the output layer
    assert "a − y (sigmoid with its cross-entropy" in win.stage_label.text()
    assert "Σ w·δ_next" not in win.stage_label.text()
    win.go(n + 3)  # backward through the last hidden layer
    assert "f′(z) ⊙ Σ w·δ_next" in win.stage_label.text()
    win.go(len(win.stage_list) - 1)
    batch = snap.project["training"]["batch_size"]
    assert "mini-batch were this one example" in win.stage_label.text()
    assert f"averages the gradient over mini-batches of {batch}" in win.stage_label.text()
    win.close()


def test_softmax_with_squared_error_shows_its_jacobian_in_the_walk(window, qtbot):
    """Concept of issue 29: δ = Jᵀ·∂L/∂a with J = diag(s) − s sᵀ, its numbers beside the
    numerical gradient."""
    gen = window.session.snapshot.generation
    window.session.state.apply({"data.source": "blobs", "data.classes": 3, "training.loss": "mse",
                                "network.output_activation": "softmax"})  # fmt: skip
    qtbot.waitUntil(lambda: window.session.snapshot.generation > gen, timeout=TIMEOUT)
    trained(window, qtbot, 1)
    win = open_backprop(window)
    win.trace_row(1)
    r = traced(qtbot, win)
    out = r.trace.layers[-1]
    assert out.a.size == 3 and out.jacobian is not None
    n = len(r.trace.layers)
    win.go(n + 2)
    assert "Jᵀ·∂L/∂a" in win.stage_label.text() and "not a − y" in win.stage_label.text()
    text = win.panel.toPlainText()
    assert text.startswith("The softmax's Jacobian J = diag(s) − s sᵀ")
    assert f"{out.jacobian[0, 1]:.4g}" in text and f"{out.delta[2]:.4g}" in text
    box = win.canvas.nodes[(n, 2)]  # the third output unit: its bias's chain rule
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=box.center().toPoint())
    text = win.panel.toPlainText()
    assert text.startswith("∂L/∂b for unit 3 of the output layer") and "δ3 = Σₖ J[k, 3]" in text
    assert float(text.split("relative error ")[1].split()[0]) < 1e-5
    assert "The softmax's Jacobian" in text
    win.close()


def test_clicking_the_plane_inspects_a_training_point(window, qtbot):
    snap = trained(window, qtbot, 1)
    data = snap.data
    k = 7
    x, y = data.dataset.x[data.train[k]]
    window.output.inspected.emit(float(x), float(y))
    win = window.findChild(BackpropWindow, "backpropWindow")
    r = traced(qtbot, win)
    assert r.row == k and win.row.value() == k and not window.session.playing
    assert f"label {data.y_train[k]:g}" in win.inspector.text() and "probabilities" in win.inspector.text()
    # Far from every point: the point itself, with the label field's label.
    win.label.set_value(0)
    ext = snap.extent
    pts = data.dataset.x[data.train]
    corners = [(u, v) for u in (0.02, 0.98) for v in (0.02, 0.98)]
    grid = [(ext[0] + (ext[1] - ext[0]) * u, ext[2] + (ext[3] - ext[2]) * v) for u, v in corners]
    far = max(grid, key=lambda p: np.min(np.hypot(pts[:, 0] - p[0], pts[:, 1] - p[1])))
    win.pending = None
    win.result = None
    window.output.inspected.emit(*far)
    r = traced(qtbot, win)
    assert r.row is None and r.trace.label == 0 and np.allclose(r.trace.raw, far)
    assert "a typed point" in win.inspector.text()
    win.close()


def test_typed_inputs_and_bad_ones(window, qtbot):
    win = open_backprop(window)
    assert len(win.inputs.edits) == 2
    win.inputs.edits[0].set_value(0.7)
    win.inputs.edits[1].set_value(-1.3)
    win.label.set_value(1)
    qtbot.mouseClick(win.point_go, Qt.MouseButton.LeftButton)
    r = traced(qtbot, win)
    want = trace(window.session.network(), r.loss, *example(window.session.snapshot.data, [0.7, -1.3], 1, 1))
    np.testing.assert_allclose(r.trace.layers[0].grad_kernel, want.layers[0].grad_kernel, rtol=1e-12)
    win.label.set_value(5)
    win.trace_typed()
    qtbot.waitUntil(lambda: win.pending is None, timeout=TIMEOUT)
    assert "a class from 0 to 1" in win.inspector.text()
    win.close()
    window.findChild(QAction, "actionGraphs").trigger()
    graphs = window.findChild(GraphWindow, "graphWindow")
    assert graphs is not None and graphs.isVisible() and graphs.graph.nodes[-1].value == -12
    graphs.close()


def test_graphs_window_shows_each_example_and_its_rules(qtbot):
    win = GraphWindow()  # it needs no run: the lecture graphs alone
    qtbot.addWidget(win)
    win.show()
    assert win.graph.nodes[-1].value == -12
    win.fields["x"].setText("1")
    win.fields["x"].editingFinished.emit()
    assert win.graph.nodes[-1].value == -24 and {n.name: n.grad for n in win.graph.inputs()}["z"] == 6
    q = win.graph.index("q")
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=win.canvas.boxes[q].center().toPoint())
    assert "add distributes" in win.rule.text() and "gets -4 × 1 = -4" in win.rule.text()
    for i, name in enumerate(GRAPHS.names()):
        win.choice.setCurrentIndex(i)
        assert win.graph.title == GRAPHS.get(name)().title and set(win.fields) == {n.name for n in win.graph.inputs()}
    win.choice.setCurrentIndex(GRAPHS.names().index("logistic_regression"))
    win.fields["w1"].setText("1000")
    win.fields["w1"].editingFinished.emit()
    assert "not defined" in win.message.text() and win.fields["w1"].value() == 0.5
    # Issue 29, item 10: z is 2.8e-17 in floating point, written as 0 and said to be round-off.
    z = win.graph.index("z")
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=win.canvas.boxes[z].center().toPoint())
    assert "value 0 (computed as 2.78e-17: round-off" in win.rule.text()
    s = win.graph.index("w1x1 + w2x2")
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=win.canvas.boxes[s].center().toPoint())
    assert "gradient ∂out/∂(w1x1 + w2x2) = " in win.rule.text() and "∂out/∂(w1·x1) gets" in win.rule.text()
    win.close()


def test_every_graph_in_the_window_is_drawn_with_edges_where_they_mean(qtbot):
    """Issue 31, item 8: w₂'s edge ran under the "× w1·x1" box, so w₂ seemed to feed the multiply,
    and the labels crowded. Every graph, at the window's size: no edge under a box, no label on
    another or on a box, everything on the canvas; an edge's red number is the gradient it carries."""
    win = GraphWindow()
    qtbot.addWidget(win)
    win.show()
    for name in GRAPHS.names():
        win.choice.setCurrentIndex(win.choice.findData(name))
        qtbot.waitUntil(lambda: win.canvas.drawing is not None and win.canvas.isVisible())
        d, g = win.canvas.drawing, win.graph
        for r in d.routes:
            for a, b in itertools.pairwise(r.points):
                assert not [k for k, box in enumerate(d.boxes) if segment_hits(a, b, box)], (name, r)
        rects = [r.label for r in d.routes] + list(d.boxes)
        assert not [(p, q) for p, q in itertools.combinations(rects, 2) if overlap(p, q)], name
        canvas = QRectF(0, 0, win.canvas.width(), win.canvas.height())
        assert all(canvas.contains(QRectF(*rect)) for rect in rects), name
        for j in range(len(g.nodes)):  # a node's gradient is the sum of what its edges carry back
            carried = [edge_gradients(g, i)[k] for i, n in enumerate(g.nodes) for k, src in enumerate(n.inputs)
                       if src == j]  # fmt: skip
            if carried:
                assert sum(carried) == pytest.approx(g.nodes[j].grad, rel=1e-12, abs=1e-15)
    win.choice.setCurrentIndex(win.choice.findData("sigmoid_neuron"))
    d, g = win.canvas.drawing, win.graph
    w2 = next(r for r in d.routes if g.nodes[r.source].name == "w2")
    assert g.nodes[w2.target].name == "z"
    product = d.boxes[g.index("w1·x1")]
    assert not any(segment_hits(a, b, product, inset=-3) for a, b in itertools.pairwise(w2.points))
    win.close()


def test_points_sized_by_their_loss(window, qtbot):
    snap = trained(window, qtbot, 1)
    assert snap.point_losses is None  # computed only while the option is on
    window.output.size_by_loss.setChecked(True)
    s = window.session
    seq = s.step("batch")
    qtbot.waitUntil(lambda: s.snapshot.applied >= seq and s.snapshot.point_losses is not None, timeout=TIMEOUT)
    snap = s.snapshot
    tr = run_trainer_from(snap)
    net = tr.network
    net.forward(snap.data.x_train)
    want = tr.loss.per_sample(net.pre_activations()[-1], net.neuron_outputs_cached()[-1], snap.data.y_train,
                              net.activations[-1])  # fmt: skip
    np.testing.assert_allclose(snap.point_losses, want, rtol=1e-5)
    sizes = window.output.point_sizes()
    assert sizes.size == snap.data.train.size + snap.data.validation.size
    k = int(np.argmax(snap.point_losses))
    assert sizes[k] == pytest.approx(16.0) and sizes[: snap.data.train.size].min() >= 3.0
    drawn = window.output.train_points.data["size"]
    np.testing.assert_allclose(drawn, sizes)
    window.output.size_by_loss.setChecked(False)
    seq = s.step("batch")
    qtbot.waitUntil(lambda: s.snapshot.applied >= seq, timeout=TIMEOUT)
    assert s.snapshot.point_losses is None and window.output.point_sizes() is None


def run_trainer_from(snap):
    from engine.run.training import Trainer

    tr = Trainer(snap.project, data=snap.data)
    tr.network.set_weights(snap.weights)
    return tr


def test_the_walk_shows_a_cnn_its_filters_sums_and_pooling_routing(window, qtbot, tmp_path, capsys):
    """Issue 36: the walk drew dense networks only. A CNN walks as maps: a filter's weight
    gradient is the sum over the positions it served, beside the numerical gradient; stepping back
    through max pooling, the conv's maps show each window's gradient routed to its maximum."""
    gen = window.session.snapshot.generation
    assert window.files.open_project(PRESETS / "19-cnn-digits.json", preset=True)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    snap = trained(window, qtbot, 1)
    win = open_backprop(window)
    win.row.setValue(2)
    qtbot.mouseClick(win.row_go, Qt.MouseButton.LeftButton)
    r = traced(qtbot, win)
    walk = r.trace.walk
    assert [st.kind for st in walk] == ["conv2d", "max_pooling2d", "flatten", "dense"]
    assert win.stage_list == stages(4) and "layer 1 a 8×8×8 maps" in win.inspector.text()
    win.go(1)
    win.canvas.repaint()
    assert win.canvas.maps == {0, 1, 2}  # the image, the convolution's maps, the pooling's
    assert "Forward, layer 1: each filter slides over the maps" in win.stage_label.text()
    assert win.canvas.numbers.column(1)[1] == "a" and win.canvas.numbers.column(2)[0] is None  # not reached yet
    # Backward through the pooling: the conv's maps show where each window's gradient went.
    win.go(win.stage_list.index(("backward", 1)))
    win.canvas.repaint()
    routed, what = win.canvas.numbers.column(1)
    assert what == "∂L/∂a sent down" and np.array_equal(routed, walk[1].grad_input)
    windows = routed.reshape(4, 2, 4, 2, 8).transpose(0, 2, 4, 1, 3).reshape(4, 4, 8, 4)
    assert np.all(np.count_nonzero(windows, axis=-1) <= 1)  # one position per window took it
    took = np.take_along_axis(windows, walk[1].routing[..., None], axis=-1)[..., 0]
    assert np.array_equal(took, walk[1].upstream)
    assert "routed" in win.stage_label.text()
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=win.canvas.nodes[(2, 0)].center().toPoint())
    routing = win.panel.toPlainText()
    assert routing.startswith("Max pooling 2×2, map 1") and "0 at the other 3" in routing
    # A filter's map: its largest weight gradient as the sum over its 64 positions, and the numerical one.
    win.go(win.stage_list.index(("backward", 0)))
    qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=win.canvas.nodes[(1, 3)].center().toPoint())
    text = win.panel.toPlainText()
    assert win.canvas.selected == (0, None, 3) and "of filter 4 of layer 1" in text.splitlines()[0]
    assert "Σ over its 64 positions" in text and "the largest terms:" in text and "its bias: ∂L/∂b = Σ δ" in text
    i, j, c = (int(v) for v in text.split("∂L/∂w[")[1].split("]")[0].split(", "))
    assert f"= {walk[0].grad_kernel[i, j, c, 3]:.6g}" in text.splitlines()[2]
    assert float(text.split("relative error ")[1].split()[0]) < 1e-5 and "update by" in text
    # The window's numbers are the command line's for the same row and weights.
    net = window.session.network()
    path = tmp_path / "p.json"
    path.write_text(json.dumps(snap.project))
    save_weights(tmp_path / "w.npz", net, snap.project, snap.data.normalizer)
    assert main(["backprop", str(path), "--weights", str(tmp_path / "w.npz"), "--row", "2", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    gui = json.loads(json.dumps(r.trace.to_json()))
    assert len(gui["layers"]) == len(cli["layers"]) == 2 and gui["loss"] == pytest.approx(cli["loss"], rel=1e-12)
    for a, b in zip(gui["layers"], cli["layers"]):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-10, atol=1e-14)
    win.close()


CIRCLE = {"source": "circle", "samples": 200}
SHAPES = {"source": "shapes", "classes": 3, "samples": 60, "normalize": "unit", "features": None}
CONV_BN = {"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "same", "batch_norm": True}


@pytest.mark.parametrize("data, layers", [
    (CIRCLE, [{"units": 5, "activation": "relu", "batch_norm": True}, {"units": 3, "activation": "tanh"}]),
    (CIRCLE, [{"type": "batch_normalization"}, {"units": 4, "activation": "tanh"},
              {"type": "activation", "activation": "elu"}]),
    (SHAPES, [CONV_BN, {"type": "max_pooling2d", "pool_size": 4}, {"units": 3, "activation": "relu"}]),
], ids=["batch_norm_key", "typed_layers", "conv_batch_norm"])  # fmt: skip
def test_the_walk_steps_through_batch_normalization(window, qtbot, tmp_path, capsys, data, layers):
    """A walk through BN and Activation layers: every stage draws and every node answers a click,
    BN's step holds γ's and β's gradients, and the numbers are the command line's."""
    images = data is SHAPES
    p = {"format": "nn-playground/1", "data": data, "network": {"layers": layers, **(
         {"output_activation": "softmax"} if images else {})},
         "training": {"batch_size": 10, **({"loss": "categorical_crossentropy"} if images else {})}}  # fmt: skip
    path = tmp_path / "bn.json"
    path.write_text(json.dumps(p))
    gen = window.session.snapshot.generation
    assert window.files.open_project(path)
    wait_for(qtbot, window, lambda s: s.generation > gen)
    snap = trained(window, qtbot, 1)
    win = open_backprop(window)
    win.trace_row(3)
    r = traced(qtbot, win)
    kinds = [st.kind for st in r.trace.walk]
    assert "batch_normalization" in kinds and "activation" in kinds
    bn = next(st for st in r.trace.walk if st.kind == "batch_normalization")
    assert set(bn.gradients()) == {"gamma", "beta"}
    for k in range(len(win.stage_list)):
        win.go(k)
        win.canvas.repaint()
        for node in list(win.canvas.nodes.values())[:12]:
            qtbot.mouseClick(win.canvas, Qt.MouseButton.LeftButton, pos=node.center().toPoint())
    net = window.session.network()
    save_weights(tmp_path / "w.npz", net, snap.project, snap.data.normalizer)
    path.write_text(json.dumps(snap.project))
    assert main(["backprop", str(path), "--weights", str(tmp_path / "w.npz"), "--row", "3", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    gui = json.loads(json.dumps(r.trace.to_json()))
    assert gui["loss"] == pytest.approx(cli["loss"], rel=1e-12) and len(gui["layers"]) == len(cli["layers"])
    for a, b in zip(gui["layers"], cli["layers"]):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=1e-10, atol=1e-14)
    win.close()
