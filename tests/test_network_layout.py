"""The neuron graph's geometry without a window or a painter (playground/panels/network_layout.py)."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from engine.data import FEATURES
from playground.panels.network_layout import (
    EDGE_BUCKETS,
    MAX_SHOWN,
    columns,
    edge_at,
    edges,
    lay_out,
    segment_distance,
    weigh_edges,
)


def test_columns_span_the_width_between_the_margins_in_whole_pixels():
    cols = columns(500, 2, 2)
    assert cols == [70, 200, 330, 460]  # 70 left for feature names, 40 right for two classes
    assert columns(500, 2, 3)[-1] == 390  # more classes: 110 on the right for their names


def test_every_feature_is_placed_and_only_active_inputs_send_edges():
    cols = columns(600, 1, 2)
    g = lay_out(cols, 100, 600, [3, 1], ["x1", "x2", "sin(x1)"], 0)
    inputs = [n for n in g.nodes if n.layer == -1]
    assert [n.feature for n in inputs] == FEATURES.names() and sum(n.active for n in inputs) == 3
    assert [n.index for n in inputs if n.active] == [0, 1, 2] and all(n.index == -1 for n in inputs if not n.active)
    assert len(g.edge_lines) == 3 * 3 + 3 * 1
    for layer, a, b, src, dst in g.edge_spans:  # each line runs from its source's right to its target's left
        for t, (i, j) in enumerate(zip(src, dst), start=a):
            s = next(n for n in g.nodes if n.layer == layer - 1 and n.index == i)
            d = next(n for n in g.nodes if n.layer == layer and n.index == j)
            assert g.edge_lines[t].p1() == QPointF(s.rect.right(), s.rect.center().y())
            assert g.edge_lines[t].p2() == QPointF(d.rect.left(), d.rect.center().y())
        assert b - a == len(src) == len(dst)


def test_a_layer_too_tall_for_the_room_shows_what_fits_and_counts_the_rest():
    g = lay_out(columns(600, 1, 2), 100, 400, [40, 1], ["x1", "x2"], 0)
    drawn = sum(1 for n in g.nodes if n.layer == 0)
    assert drawn < min(40, MAX_SHOWN) and drawn + g.more[0][1] == 40
    assert max(n.rect.bottom() for n in g.nodes) <= 400
    assert g.pitch == pytest.approx(26.0)  # PITCH_MIN: (400 − 100 − 12) / 16 wanted rows is less


def test_data_without_a_plane_is_one_block_with_a_line_to_each_first_layer_unit():
    g = lay_out(columns(600, 0, 10), 100, 600, [10], None, 64)
    assert [n.feature for n in g.nodes if n.layer == -1] == ["64 inputs"]
    assert not g.edge_lines and len(g.block_lines) == 10


def test_weights_are_bucketed_by_sign_and_size_and_dead_links_drawn_apart():
    g = lay_out(columns(600, 0, 2), 100, 600, [1], ["x1", "x2"], 0)
    kernel = np.array([[-2.0], [0.5]])
    w = weigh_edges(g, [kernel], [np.array([[False], [False]])])
    np.testing.assert_array_equal(w.values, [-2.0, 0.5])
    assert set(w.buckets) == {(False, EDGE_BUCKETS - 1), (True, int(0.5 / 2.0 * EDGE_BUCKETS))}
    assert [e[2:] for e in edges(g, w)] == [(0, 0, 0, -2.0), (0, 1, 0, 0.5)]
    dead = weigh_edges(g, [np.array([[0.0], [0.5]])], [np.array([[True], [False]])])
    assert dead.dead_lines == [g.edge_lines[0]] and list(dead.buckets) == [(True, EDGE_BUCKETS - 1)]


def test_a_point_picks_the_nearest_edge_within_five_pixels():
    assert segment_distance(QPointF(5, 3), QPointF(0, 0), QPointF(10, 0)) == pytest.approx(3.0)
    assert segment_distance(QPointF(13, 4), QPointF(0, 0), QPointF(10, 0)) == pytest.approx(5.0)  # past the end
    g = lay_out(columns(600, 0, 2), 100, 600, [1], ["x1", "x2"], 0)
    drawn = edges(g, weigh_edges(g, [np.array([[1.0], [-1.0]])], None))
    p, q = drawn[1][0], drawn[1][1]
    mid = (p + q) / 2
    assert edge_at(drawn, mid)[2:5] == (0, 1, 0)
    assert edge_at(drawn, mid + QPointF(0, 40)) is None
