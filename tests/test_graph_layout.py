"""The computation graphs' drawing (playground/windows/graph_layout.py), without a window: columns, rows,
edges that go only where they mean, labels that cover nothing (issue 31, item 8)."""

import itertools

import numpy as np
import pytest

from engine.teaching.graphs import GRAPHS, make_graph
from playground.windows.graph_layout import _isotonic, _overlap, columns, place, segment_hits

BOX = (80.0, 52.0)
LABEL = (44.0, 30.0)


def drawn(name, width=0.0, height=0.0):
    g = make_graph(name)
    labels = {(i, k): LABEL for i, n in enumerate(g.nodes) for k in range(len(n.inputs))}
    return g, place([n.inputs for n in g.nodes], [n.leaf for n in g.nodes], [BOX] * len(g.nodes), labels, width,
                    height)  # fmt: skip


def test_a_leaf_stands_just_left_of_the_gate_it_feeds():
    g = make_graph("sigmoid_neuron")
    col = columns([n.inputs for n in g.nodes], [n.leaf for n in g.nodes])
    at = {n.name: c for n, c in zip(g.nodes, col)}
    assert at["w0"] == at["x0"] == at["w1"] == at["x1"] == 0
    assert at["w0·x0"] == at["w1·x1"] == 1 and at["w0x0 + w1x1"] == 2
    assert at["w2"] == 2 and at["z"] == 3 and at["f"] == 4  # w2 beside the sum it joins, not among the products


def test_isotonic_with_gaps_is_the_least_squares_fit():
    want, gaps = [5.0, 0.0, 1.0, 9.0], [2.0, 2.0, 2.0]
    got = _isotonic(want, gaps)
    assert all(b - a >= g - 1e-12 for a, b, g in zip(got, got[1:], gaps))
    # Brute force over a grid of feasible placements: none is nearer to `want`.
    cost = sum((a - b) ** 2 for a, b in zip(got, want))
    rng = np.random.default_rng(0)
    for _ in range(2000):
        y = np.cumsum(np.r_[rng.uniform(-6, 10), np.array(gaps) + rng.exponential(2.0, 3)])
        assert sum((a - b) ** 2 for a, b in zip(y, want)) >= cost - 1e-9


@pytest.mark.parametrize("name", GRAPHS.names())
@pytest.mark.parametrize("size", [(0.0, 0.0), (1100.0, 480.0)])
def test_every_edge_goes_only_where_it_means_and_no_label_covers_another(name, size):
    g, d = drawn(name, *size)
    assert len(d.routes) == sum(len(n.inputs) for n in g.nodes)
    for r in d.routes:
        assert r.source == g.nodes[r.target].inputs[r.slot]
        sx, sy, sw, sh = d.boxes[r.source]
        tx, ty, _tw, th = d.boxes[r.target]
        assert r.points[0] == (sx + sw, sy + sh / 2)  # leaves its source's right side
        assert r.points[-1][0] == tx and ty < r.points[-1][1] < ty + th  # enters its target's left side
        assert all(b[0] >= a[0] for a, b in itertools.pairwise(r.points))  # always onwards, left to right
        for a, b in itertools.pairwise(r.points):
            hit = [g.nodes[k].name for k, box in enumerate(d.boxes) if segment_hits(a, b, box)]
            assert not hit, f"{g.nodes[r.source].name} → {g.nodes[r.target].name} runs under {hit}"
    ports = {}
    for r in d.routes:
        ports.setdefault(r.target, []).append(r.points[-1][1])
    assert all(len(set(p)) == len(p) for p in ports.values())  # each input its own port
    rects = [r.label for r in d.routes]
    for p, q in itertools.combinations(range(len(rects)), 2):
        assert not _overlap(rects[p], rects[q])
    for rect, box in itertools.product(rects, d.boxes):
        assert not _overlap(rect, box)
    for a, b in itertools.combinations(d.boxes, 2):
        assert not _overlap(a, b)
    right = max(x + w for x, _y, w, _h in d.boxes + rects)
    bottom = max(y + h for _x, y, _w, h in d.boxes + rects)
    assert right <= d.width and bottom <= d.height and min(min(x, y) for x, y, _w, _h in d.boxes + rects) >= 0


def test_an_edge_that_skips_columns_goes_round_the_boxes_between():
    g, d = drawn("chain_rule")
    z, d_gate = g.index("z"), g.index("2z² − z")
    route = next(r for r in d.routes if r.source == z and r.target == d_gate)
    assert len(route.points) > 4  # it passes through a slot in each column it crosses


def test_segment_hits():
    box = (10.0, 10.0, 10.0, 10.0)
    assert segment_hits((0, 15), (30, 15), box)
    assert not segment_hits((0, 0), (30, 5), box)
    assert not segment_hits((0, 10), (30, 10), box)  # along the edge is not through it
    assert segment_hits((0, 0), (30, 30), box)
