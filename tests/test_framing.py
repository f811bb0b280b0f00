"""A drawing made into one of a data set's images the way that set's images were made
(engine/data/framing.py): MNIST's 20×20 box centred by mass, the UCI digits' 32×32 bitmap
counted in 4×4 blocks, the shapes' size and brightness; and a photo's ink read from its border."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from engine.data import Dataset, generate
from engine.data.framing import area_resize, fit_picture, frame_ink, framing_for, photo_ink

SIDE = 280  # the draw pad's canvas


def ink_of(strokes: list[list[tuple[float, float]]], width: float = 24.0, side: int = SIDE) -> np.ndarray:
    """Strokes (points 0..1 of the canvas) as round-capped pen lines of `width` canvas pixels,
    anti-aliased by distance: the pad's drawing, made without Qt."""
    yy, xx = np.mgrid[0:side, 0:side] + 0.5
    out = np.zeros((side, side))
    for stroke in strokes:
        pts = np.asarray(stroke, dtype=float) * side
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
            d = np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy))
            out = np.maximum(out, np.clip(width / 2 - d + 0.5, 0, 1))
    return out


def shifted(strokes: list[list[tuple[float, float]]], scale: float, dx: float, dy: float) -> list:
    return [[(x * scale + dx, y * scale + dy) for x, y in s] for s in strokes]


ONE = [[(0.42, 0.3), (0.55, 0.2), (0.55, 0.8)]]
SEVEN = [[(0.3, 0.2), (0.7, 0.2), (0.45, 0.8)]]
WIDE_SEVEN = [[(0.1, 0.3), (0.9, 0.3), (0.5, 0.7)]]  # twice as wide as it is high
ZERO = [[(0.5 + 0.2 * math.sin(a), 0.5 - 0.3 * math.cos(a)) for a in np.linspace(0, 2 * math.pi, 40)]]
FOUR = [[(0.55, 0.2), (0.3, 0.6), (0.7, 0.6)], [(0.6, 0.4), (0.6, 0.8)]]
THREE = [[(0.3, 0.25), (0.5, 0.2), (0.65, 0.3), (0.5, 0.48), (0.68, 0.62), (0.5, 0.8), (0.3, 0.75)]]


def mnist_like(images: np.ndarray | None = None) -> Dataset:
    """A stand-in for MNIST's IDX files: 28×28 grey, 0 paper and 255 ink."""
    if images is None:
        images = np.zeros((4, 28, 28))
        images[:, 6:22, 10:18] = 255.0  # white digits on black
    x = images.reshape(len(images), -1)
    return Dataset(x, np.arange(len(x)) % 2, "classification", [f"px{i}" for i in range(784)], 2,
                   image_shape=(28, 28), name="train-images-idx3-ubyte")  # fmt: skip


def box_and_mass(img: np.ndarray) -> tuple[int, int, float, float]:
    on = img > 0
    rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on.any(axis=0))
    yy, xx = np.indices(img.shape)
    total = img.sum()
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1, (yy * img).sum() / total, (xx * img).sum() / total


@pytest.mark.parametrize("strokes", [ONE, SEVEN], ids=["one", "seven"])
def test_a_drawn_digit_lands_centred_as_mnist_prepared_its_digits(strokes):
    f = framing_for(mnist_like())
    assert f.style == "mnist" and (f.background, f.ink) == (0.0, 255.0)
    # Drawn small in a corner and large in the middle: the same 28×28 digit, as MNIST normalised size and place.
    for scale, dx, dy in ((0.4, 0.0, 0.02), (1.0, 0.0, 0.0), (0.7, 0.25, 0.2)):
        img = frame_ink(ink_of(shifted(strokes, scale, dx, dy), width=24 * scale), f).reshape(28, 28)
        h, w, cy, cx = box_and_mass(img)
        assert max(h, w) == 20 and min(h, w) <= 20  # the bounding box fits 20×20, its longer side filling it
        assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5  # centre of mass at the field's centre
        assert img.max() > 250 and np.any((img > 0) & (img < 200))  # anti-aliased grey edges, as MNIST's
        if scale == 1.0:
            reference = img
    small = frame_ink(ink_of(shifted(strokes, 0.4, 0.0, 0.02), width=24 * 0.4), f).reshape(28, 28)
    assert np.abs(small - reference).mean() < 12  # the same digit wherever and however big it was drawn


def test_the_uci_digits_framing_matches_their_scans():
    d = generate("digits", 1797, 0.0, 0, 10)
    f = framing_for(d)
    assert f.style == "uci" and f.shape == (8, 8)
    means = np.array([d.x[d.y == k].mean(axis=0) for k in range(10)])
    for label, strokes in ((0, ZERO), (1, ONE), (3, THREE), (4, FOUR), (7, SEVEN), (7, WIDE_SEVEN)):
        row = frame_ink(ink_of(strokes, width=26), f)
        img = row.reshape(8, 8)
        assert np.array_equal(row, np.round(row)) and row.min() == 0 and 12 <= row.max() <= 16  # ink counts 0..16
        assert img.any(axis=1).all()  # every UCI digit spans all 8 rows: the height fills the 32×32 bitmap
        assert not img[:, 0].any() and not img[:, 7].any()  # ...and its width stays within columns 1..6
        nearest = np.argmax([np.corrcoef(row, m)[0, 1] for m in means])
        assert nearest == label, f"a drawn {label} looks most like the data's {nearest}s"


def test_a_drawn_shape_has_the_generated_shapes_size_and_brightness():
    s = generate("shapes", 600, 0.0, 0, 4)
    f = framing_for(s)
    assert f.style == "shapes"
    square = np.zeros((SIDE, SIDE))
    square[30:250, 100:200] = 1.0  # tall, off-centre
    img = frame_ink(square, f).reshape(16, 16)
    h, w, cy, cx = box_and_mass(img)
    sizes = [box_and_mass(x.reshape(16, 16))[:2] for x, y in zip(s.x, s.y) if y == 0]  # the generated squares
    assert min(map(min, sizes)) <= h <= max(map(max, sizes))  # within the generator's range of sizes
    assert (h, w) == (9, 4) and abs(cy - 7.5) <= 0.5 and abs(cx - 7.5) <= 0.5  # 9 high, centred
    assert img.max() == pytest.approx(202.5)  # the middle of the shapes' brightness 150..255


def test_other_image_sets_get_mnists_idea_at_their_size_and_their_own_levels():
    rng = np.random.default_rng(0)
    paper = np.full((20, 32, 32), 250.0)
    paper[:, 8:24, 12:20] = rng.uniform(0, 40, (20, 16, 8))  # dark ink on light paper
    ds = Dataset(paper.reshape(20, -1), np.arange(20) % 2, "classification", [f"p{i}" for i in range(1024)], 2,
                 image_shape=(32, 32), name="mine")  # fmt: skip
    f = framing_for(ds)
    assert f.style == "centred" and f.box == (23, 23) and not f.light_on_dark
    assert (f.background, f.ink) == (250.0, paper.min())
    img = frame_ink(ink_of(SEVEN), f).reshape(32, 32)
    assert img[0, 0] == 250.0 and img.min() == pytest.approx(paper.min())  # paper stays light, ink dark
    h, w, _cy, _cx = box_and_mass(250.0 - img)
    assert max(h, w) == 23
    colour = Dataset(np.zeros((3, 12)), np.arange(3) % 2, "classification", list("abcdefghijkl"), 2,
                     image_shape=(2, 2, 3), name="rgb")  # fmt: skip
    colour.x[:, 3:6] = 255.0
    assert framing_for(colour).channels == 3 and frame_ink(ink_of(ONE), framing_for(colour)).size == 12
    assert framing_for(Dataset(np.zeros((2, 2)), np.array([0, 1]), "classification", ["a", "b"])) is None
    assert frame_ink(np.zeros((SIDE, SIDE)), f) is None  # nothing drawn: nothing to frame


def test_a_colour_photo_is_resized_whole_over_the_datas_range():
    ds = Dataset(np.tile(np.linspace(0, 255, 12), (3, 1)), np.arange(3) % 2, "classification",
                 list("abcdefghijkl"), 2, image_shape=(2, 2, 3), name="rgb")  # fmt: skip
    rgb = np.zeros((40, 60, 3))
    rgb[:, :30, 0] = 1.0  # red on the left, blue on the right
    rgb[:, 30:, 2] = 1.0
    img = fit_picture(rgb, framing_for(ds)).reshape(2, 2, 3)
    assert img[:, 0].tolist() == [[255, 0, 0]] * 2 and img[:, 1].tolist() == [[0, 0, 255]] * 2


def test_area_resize_keeps_the_ink():
    img = np.random.default_rng(1).random((280, 197))
    for h, w in ((20, 13), (28, 28), (400, 300)):
        out = area_resize(img, h, w)
        assert out.shape == (h, w)
        assert out.sum() * (280 / h) * (197 / w) == pytest.approx(img.sum())
    assert area_resize(np.ones((4, 4, 3)), 2, 2).shape == (2, 2, 3)


def test_a_photos_ink_is_the_side_that_differs_from_its_border():
    page = np.full((120, 90), 0.9)
    page[30:90, 40:50] = 0.15  # a dark stroke on light paper
    page[10:20, 10:20] = 0.8  # a faint shadow
    read = photo_ink(page)
    assert read.dark_on_light and read.border == pytest.approx(0.9)
    assert read.ink[30:90, 40:50].min() == pytest.approx(1.0) and read.ink[:25].max() == 0.0  # shadow dropped
    board = 1.0 - page
    read = photo_ink(board)
    assert not read.dark_on_light and read.ink[30:90, 40:50].min() == pytest.approx(1.0)
    assert not photo_ink(np.full((50, 50), 0.5)).ink.any()  # nothing stands out: no ink
