"""Where the computation-graph window draws each node, edge and edge label: a layered drawing
(Sugiyama's method, cut down to what the lecture graphs need), pure geometry with no Qt, so it is
tested without a window.

- Columns: a gate stands one column right of its deepest input; an input or constant stands just
  left of the first gate it feeds (w₂ of the sigmoid neuron beside the add gate it joins, not
  among the products' inputs).
- An edge that skips columns passes through a reserved slot in each column it crosses, so it
  never runs under a box it does not touch.
- Rows: the order within each column is swept by the mean position of the neighbours (the
  barycenter heuristic) to keep crossings few; heights then follow the neighbours' mean, kept
  apart by the least gap (isotonic regression with gaps, solved exactly by pool-adjacent-violators).
- Every edge runs level inside a column and crosses the gap between two columns as one straight
  segment, so no segment can cross a box; inputs enter a gate at ports spread down its left side,
  in the order of their sources' heights.
- Each edge's labels (the value it carries, the gradient it carries back) sit on the segment
  that enters its gate, moved along it until they overlap no box and no other label.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

Rect = tuple[float, float, float, float]  # x, y, width, height
Point = tuple[float, float]

MARGIN = 12.0
ROW_GAP = 22.0  # least vertical room between two boxes (or an edge's slot) in a column
SLOT = 6.0  # the height an edge's slot takes in a column it crosses
SWEEPS = 8
LABEL_STEPS = (0.5, 0.38, 0.62, 0.26, 0.74, 0.14, 0.86)  # where along its segment a label may sit


@dataclass
class Route:
    """One input of one gate: from node `source` to node `target`'s port number `slot`."""

    source: int
    target: int
    slot: int  # which input of the target (its order in the gate's inputs)
    points: list[Point] = field(default_factory=list)  # the polyline, source's right side to target's left
    label: Rect = (0.0, 0.0, 0.0, 0.0)  # the value above and the gradient below, centred on the line


@dataclass
class Drawing:
    boxes: list[Rect]
    routes: list[Route]
    width: float  # the size the drawing needs
    height: float


def columns(inputs: Sequence[Sequence[int]], leaf: Sequence[bool]) -> list[int]:
    """The column of each node: a gate one right of its deepest input, a leaf just left of the
    first gate it feeds (nodes come inputs first, as a Graph keeps them)."""
    n = len(inputs)
    col = [0] * n
    for i in range(n):
        if not leaf[i] and inputs[i]:
            col[i] = 1 + max(col[j] if not leaf[j] else 0 for j in inputs[i])
    for j in range(n):
        if leaf[j]:
            users = [col[i] for i in range(n) if j in inputs[i]]
            col[j] = max(0, min(users) - 1) if users else 0
    return col


def _isotonic(want: list[float], gaps: list[float]) -> list[float]:
    """Centres as near `want` as can be (least squares) with centre[k+1] − centre[k] ≥ gaps[k]:
    shifted by the running gap sum the constraint is "non-decreasing", which pool-adjacent-
    violators solves exactly."""
    offset = [0.0]
    for g in gaps:
        offset.append(offset[-1] + g)
    z = [w - o for w, o in zip(want, offset)]
    blocks: list[list[float]] = []  # [mean, count]
    for v in z:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, c2 = blocks.pop()
            m1, c1 = blocks[-1]
            blocks[-1] = [(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2]
    fitted: list[float] = []
    for m, c in blocks:
        fitted += [m] * int(c)
    return [f + o for f, o in zip(fitted, offset)]


def _crossings(layers: list[list[int]], succ: dict[int, list[int]]) -> int:
    """How many pairs of edges cross between neighbouring columns in this order."""
    total = 0
    for c in range(len(layers) - 1):
        pos = {v: k for k, v in enumerate(layers[c + 1])}
        ends = [(a, pos[b]) for a, v in enumerate(layers[c]) for b in succ[v]]
        total += sum(1 for p in range(len(ends)) for q in range(p + 1, len(ends))
                     if (ends[p][0] - ends[q][0]) * (ends[p][1] - ends[q][1]) < 0)  # fmt: skip
    return total


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def place(
    inputs: Sequence[Sequence[int]],
    leaf: Sequence[bool],
    sizes: Sequence[tuple[float, float]],
    label_sizes: dict[tuple[int, int], tuple[float, float]],
    width: float = 0.0,
    height: float = 0.0,
) -> Drawing:
    """The drawing of a graph: node i feeds on `inputs[i]` (a leaf on none) and is a box of
    `sizes[i]`; `label_sizes[(target, slot)]` is the size of that edge's two labels. The drawing
    is spread over `width` × `height` when they are larger than it needs, and centred."""
    n = len(inputs)
    col = columns(inputs, leaf)
    n_cols = max(col) + 1 if n else 1
    # Vertices: the nodes, then one slot per column an edge crosses.
    vcol = list(col)
    vheight = [float(h) for _, h in sizes]
    pred: dict[int, list[int]] = {v: [] for v in range(n)}
    succ: dict[int, list[int]] = {v: [] for v in range(n)}
    chains: list[tuple[int, int, int, list[int]]] = []  # source, target, slot, the vertices between
    for i in range(n):
        for slot, j in enumerate(inputs[i]):
            between = []
            prev = j
            for c in range(col[j] + 1, col[i]):
                v = len(vcol)
                vcol.append(c)
                vheight.append(SLOT)
                pred[v], succ[v] = [prev], []
                succ[prev].append(v)
                between.append(v)
                prev = v
            succ[prev].append(i)
            pred[i].append(prev)
            chains.append((j, i, slot, between))
    layers: list[list[int]] = [[] for _ in range(n_cols)]
    for v in range(len(vcol)):
        layers[vcol[v]].append(v)

    # Order within columns: barycenter sweeps down and up; keep the order with fewest crossings.
    def sweep(order: list[list[int]], c: int, nbrs: dict[int, list[int]], ref: int) -> None:
        pos = {v: k for k, v in enumerate(order[ref])}
        here = {v: k for k, v in enumerate(order[c])}
        key = {v: (sum(pos[u] for u in nbrs[v]) / len(nbrs[v]) if nbrs[v] else here[v]) for v in order[c]}
        order[c].sort(key=lambda v: (key[v], here[v]))

    best, best_x = [list(L) for L in layers], _crossings(layers, succ)
    for _ in range(SWEEPS):
        for c in range(1, n_cols):
            sweep(layers, c, pred, c - 1)
        for c in range(n_cols - 2, -1, -1):
            sweep(layers, c, succ, c + 1)
        x = _crossings(layers, succ)
        if x < best_x:
            best, best_x = [list(L) for L in layers], x
    layers = best

    # Heights: each vertex towards the mean of its neighbours' centres, kept apart by the gaps.
    centre = [0.0] * len(vcol)
    for L in layers:
        y = 0.0
        for v in L:
            centre[v] = y + vheight[v] / 2
            y += vheight[v] + ROW_GAP
    tall = max((sum(vheight[v] for v in L) + ROW_GAP * (len(L) - 1) for L in layers if L), default=0.0)
    for L in layers:  # start every column centred on the tallest
        if L:
            used = sum(vheight[v] for v in L) + ROW_GAP * (len(L) - 1)
            for v in L:
                centre[v] += (tall - used) / 2

    def settle(c: int, nbrs: dict[int, list[int]]) -> None:
        L = layers[c]
        if not L:
            return
        want = [sum(centre[u] for u in nbrs[v]) / len(nbrs[v]) if nbrs[v] else centre[v] for v in L]
        gaps = [(vheight[a] + vheight[b]) / 2 + ROW_GAP for a, b in itertools.pairwise(L)]
        for v, y in zip(L, _isotonic(want, gaps)):
            centre[v] = y

    for _ in range(SWEEPS):
        for c in range(1, n_cols):
            settle(c, pred)
        for c in range(n_cols - 2, -1, -1):
            settle(c, succ)
    for c in range(n_cols):  # a last pass both ways: a leaf beside its gate, a gate between its inputs
        both = {v: pred[v] + succ[v] for v in layers[c]}
        settle(c, both)
    top = min((centre[v] - vheight[v] / 2 for v in range(len(vcol))), default=0.0)
    bottom = max((centre[v] + vheight[v] / 2 for v in range(len(vcol))), default=0.0)

    # Columns: each as wide as its widest box, apart by room for the widest label of the gap.
    col_w = [max([sizes[v][0] for v in layers[c] if v < n] or [0.0]) for c in range(n_cols)]
    gap_need = [0.0] * max(0, n_cols - 1)
    for (target, _slot), (lw, _lh) in label_sizes.items():
        c = col[target]
        if c > 0:
            gap_need[c - 1] = max(gap_need[c - 1], lw + 24.0)
    gap_need = [max(g, 48.0) for g in gap_need]
    need_w = 2 * MARGIN + sum(col_w) + sum(gap_need)
    need_h = 2 * MARGIN + (bottom - top)
    spare = max(0.0, width - need_w)
    widen = min(spare / max(1, n_cols - 1), 90.0) if n_cols > 1 else 0.0  # room to breathe, not a sprawl
    total_w = need_w + widen * (n_cols - 1)
    x0 = MARGIN + max(0.0, (width - total_w) / 2)
    y0 = MARGIN - top + max(0.0, (height - need_h) / 2)
    col_x = []
    x = x0
    for c in range(n_cols):
        col_x.append(x)
        x += col_w[c] + (gap_need[c] + widen if c < n_cols - 1 else 0.0)
    boxes: list[Rect] = []
    for v in range(n):
        w, h = sizes[v]
        c = col[v]
        boxes.append((col_x[c] + (col_w[c] - w) / 2, y0 + centre[v] - h / 2, float(w), float(h)))

    # Ports: a gate's inputs enter down its left side in the order of where they come from.
    routes: list[Route] = []
    by_target: dict[int, list[tuple[int, int, int, list[int]]]] = {}
    for chain in chains:
        by_target.setdefault(chain[1], []).append(chain)
    for target, ins in by_target.items():
        bx, by, _bw, bh = boxes[target]

        def came_from(ch: tuple[int, int, int, list[int]]) -> float:
            last = ch[3][-1] if ch[3] else ch[0]
            return centre[last]

        ordered = sorted(ins, key=lambda ch: (came_from(ch), ch[2]))
        for k, (source, _t, slot, between) in enumerate(ordered):
            sx, sy, sw, sh = boxes[source]
            start = (sx + sw, sy + sh / 2)
            pts: list[Point] = [start, (col_x[col[source]] + col_w[col[source]], start[1])]
            for v in between:
                y = y0 + centre[v]
                pts += [(col_x[vcol[v]], y), (col_x[vcol[v]] + col_w[vcol[v]], y)]
            port = by + bh * (k + 1) / (len(ordered) + 1)
            pts += [(col_x[col[target]], port), (bx, port)]
            routes.append(Route(source, target, slot, _dedupe(pts)))

    # Labels: on the segment entering the target's column, where they cover nothing else.
    placed: list[Rect] = []
    for r in sorted(routes, key=lambda r: (col[r.target], r.target, r.slot)):
        lw, lh = label_sizes.get((r.target, r.slot), (0.0, 0.0))
        a, b = _entering(r.points, col_x[col[r.target]])
        best_rect, best_cost = None, None
        for t in LABEL_STEPS:
            cx, cy = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
            rect = (cx - lw / 2, cy - lh / 2, lw, lh)
            cost = sum(100 for box in boxes if _overlap(rect, _grow(box, 2))) + sum(
                100 for other in placed if _overlap(rect, _grow(other, 1)))  # fmt: skip
            if best_cost is None or cost < best_cost:
                best_rect, best_cost = rect, cost
            if cost == 0:
                break
        r.label = best_rect or (0.0, 0.0, 0.0, 0.0)
        placed.append(r.label)
    return Drawing(boxes, routes, max(total_w, width), max(need_h, height))


def _grow(r: Rect, d: float) -> Rect:
    return (r[0] - d, r[1] - d, r[2] + 2 * d, r[3] + 2 * d)


def _dedupe(points: list[Point]) -> list[Point]:
    out: list[Point] = []
    for p in points:
        if not out or abs(out[-1][0] - p[0]) > 1e-9 or abs(out[-1][1] - p[1]) > 1e-9:
            out.append(p)
    return out


def _entering(points: list[Point], column_left: float) -> tuple[Point, Point]:
    """The segment of a route that crosses the gap into its target's column."""
    for a, b in itertools.pairwise(points):
        if b[0] >= column_left - 1e-9 and a[0] < column_left - 1e-9:
            return a, b
    return points[-2], points[-1]


def segment_hits(a: Point, b: Point, r: Rect, inset: float = 1.0) -> bool:
    """Whether the segment a–b passes through the rectangle shrunk by `inset` (Liang–Barsky)."""
    x0, y0, x1, y1 = r[0] + inset, r[1] + inset, r[0] + r[2] - inset, r[1] + r[3] - inset
    if x1 <= x0 or y1 <= y0:
        return False
    dx, dy = b[0] - a[0], b[1] - a[1]
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return hi - lo > 1e-9
