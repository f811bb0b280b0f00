import gzip

import numpy as np
import pytest
from helpers import project

from engine import PlaygroundError
from engine.data import (
    GENERATORS,
    Normalizer,
    apply_features,
    generate,
    load_csv,
    load_idx,
    load_npz,
    read_idx,
    split_indices,
    write_idx,
)
from engine.data.generators import multi_gaussian_target


def test_every_generator_makes_points_in_the_playground_square():
    for name in GENERATORS.names():
        ds = generate(name, noise=0.0, seed=1)
        if GENERATORS.get(name).kind == "points":
            assert ds.x.shape[1] == 2 and np.abs(ds.x).max() <= 6.5, name
    assert generate("circle").n == 500 and generate("plane").n == 1200


def test_circle_labels_follow_the_radius():
    ds = generate("circle", noise=0.0, seed=2)
    r = np.hypot(ds.x[:, 0], ds.x[:, 1])
    np.testing.assert_array_equal(ds.y, (r < 2.5).astype(int))
    assert r[ds.y == 1].max() <= 2.5 and r[ds.y == 0].min() >= 3.5 and r.max() <= 5
    assert ds.y.sum() == 250


def test_xor_labels_follow_the_quadrant_and_keep_off_the_axes():
    ds = generate("xor", noise=0.0, seed=3)
    np.testing.assert_array_equal(ds.y, (ds.x[:, 0] * ds.x[:, 1] >= 0).astype(int))
    assert np.abs(ds.x).min() >= 0.3


def test_gauss_blobs_sit_at_plus_and_minus_two():
    ds = generate("gauss", samples=4000, noise=0.0, seed=4)
    np.testing.assert_allclose(ds.x[ds.y == 1].mean(axis=0), [2, 2], atol=0.05)
    np.testing.assert_allclose(ds.x[ds.y == 0].mean(axis=0), [-2, -2], atol=0.05)
    assert ds.x[ds.y == 1].std(axis=0) == pytest.approx([np.sqrt(0.5)] * 2, rel=0.05)


def test_spiral_arms_are_antipodal_and_do_not_overlap():
    ds = generate("spiral", noise=0.0, seed=5)
    one, zero = ds.x[ds.y == 1], ds.x[ds.y == 0]
    np.testing.assert_allclose(one, -zero, atol=1e-12)  # same radius, angle + π
    outer = one[np.hypot(*one.T) > 1]
    gaps = np.min(np.linalg.norm(outer[:, None] - zero[None], axis=2), axis=1)
    assert gaps.min() > 0.9


def test_multiclass_spiral_and_blobs_have_k_balanced_classes():
    for name in ("spiral", "blobs"):
        ds = generate(name, samples=600, classes=5, seed=6)
        assert ds.classes == 5 and np.bincount(ds.y).tolist() == [120] * 5
    with pytest.raises(PlaygroundError, match="spiral makes 2 to 6 classes, not 7"):
        generate("spiral", classes=7)


def test_regression_targets():
    ds = generate("plane", noise=0.0, seed=7)
    np.testing.assert_allclose(ds.y, ds.x.sum(axis=1) / 10)
    assert multi_gaussian_target(np.array([-4.0, 0.0, 4.0]), np.array([2.5, 2.5, -2.5])).tolist() == [1, -1, -1]
    ds = generate("multi_gaussian", noise=0.0, seed=7)
    np.testing.assert_allclose(ds.y, multi_gaussian_target(ds.x[:, 0], ds.x[:, 1]))


def test_noise_changes_labels_near_the_boundary():
    clean = generate("circle", noise=0.0, seed=8)
    noisy = generate("circle", noise=0.5, seed=8)
    r = np.hypot(*noisy.x.T)
    assert np.any(noisy.y != (r < 2.5)) and np.all(clean.y == (np.hypot(*clean.x.T) < 2.5))


def test_shapes_images():
    ds = generate("shapes", samples=120, classes=6, seed=9)
    assert ds.x.shape == (120, 256) and ds.image_shape == (16, 16)
    assert ds.x.min() >= 0 and ds.x.max() <= 255 and ds.class_names[0] == "square"
    assert np.bincount(ds.y).tolist() == [20] * 6


def test_stratified_split_is_deterministic_and_keeps_row_order():
    y = np.repeat([0, 1, 2], [100, 60, 40])
    tr, va, te = split_indices(y, "classification", 0.2, 0.25, seed=1)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(200))
    assert np.bincount(y[te]).tolist() == [25, 15, 10] and np.bincount(y[va]).tolist() == [20, 12, 8]
    assert all(np.all(np.diff(part) > 0) for part in (tr, va, te))
    again = split_indices(y, "classification", 0.2, 0.25, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip((tr, va, te), again))
    with pytest.raises(PlaygroundError, match="sum to < 1"):
        split_indices(y, "classification", 0.5, 0.5, seed=1)


def test_tfps_shuffled_split_takes_the_first_rows_of_one_shuffle_in_that_order():
    """playground.ts generateData: shuffle(data), then trainData = data.slice(0, floor(N · perc / 100))."""
    y = np.repeat([0, 1], [250, 250])
    tr, va, te = split_indices(y, "classification", 0.0, 0.9, seed=4, kind="shuffled")
    assert tr.size == 50 and va.size == 0 and te.size == 450  # 500 × (1 − 0.9) is 49.999999999999986
    rows = np.random.default_rng(4).permutation(500)
    np.testing.assert_array_equal(tr, rows[:50])  # not sorted: the order training walks
    np.testing.assert_array_equal(te, rows[50:])
    tr, va, te = split_indices(y, "classification", 0.1, 0.3, seed=4, kind="shuffled")
    assert (tr.size, va.size, te.size) == (300, 50, 150) and np.array_equal(np.concatenate([tr, va, te]), rows)
    assert np.any(np.diff(tr) < 0)  # one shuffle of all rows, whatever their class: not stratified
    with pytest.raises(PlaygroundError, match="split must be one of stratified, shuffled"):
        split_indices(y, "classification", 0.0, 0.5, seed=4, kind="random")


def test_feature_maps():
    x = np.array([[1.0, 2.0], [-0.5, 3.0]])
    out = apply_features(x, ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"])
    np.testing.assert_allclose(out[1], [-0.5, 3.0, 0.25, 9.0, -1.5, np.sin(-0.5), np.sin(3.0)])
    with pytest.raises(PlaygroundError, match="unknown input feature 'x3'"):
        apply_features(x, ["x3"])


def test_normalizer_fits_on_training_rows_only():
    train = np.array([[0.0, 10.0], [2.0, 30.0]])
    std = Normalizer("standardize").fit(train)
    np.testing.assert_allclose(std(train), [[-1, -1], [1, 1]])
    np.testing.assert_allclose(std(np.array([[4.0, 50.0]])), [[3, 3]])
    unit = Normalizer("unit").fit(np.array([[0.0, 255.0]]))
    np.testing.assert_allclose(unit(np.array([[51.0, 255.0]])), [[0.2, 1.0]])


# ----------------------------------------------------------------- loaders
def test_csv_with_header_named_labels_and_label_column(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,kind,b\n1,cat,2\n3,dog,4\n5,cat,6\n")
    ds = load_csv(p, label="kind")
    assert ds.columns == ["a", "b"] and ds.class_names == ["cat", "dog"]
    np.testing.assert_array_equal(ds.x, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(ds.y, [0, 1, 0])


def test_csv_without_header_uses_the_last_column(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("0.5,1.5,1\n-1,2,0\n")
    ds = load_csv(p)
    assert ds.columns == ["x1", "x2"] and ds.y.tolist() == [1, 0]
    reg = load_csv(p, problem="regression", label=0)
    np.testing.assert_allclose(reg.y, [0.5, -1])


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no rows"),
        ("a,b\n", "no data rows"),
        ("1,2,0\n3,4\n", "line 2 has 2 columns"),
        ("1,2,0\n2,x,1\n", "line 2, column 'x2': 'x', not a number"),
        ("a,b,label\n1,2,0\n2,,1\n", "line 3, column 'b': a missing value"),
        ("1,nan,0\n2,3,1\n", "line 1, column 'x2': not a finite number"),
        ("a,b,label\n1,2,cat\n2,3,\n", "line 3, column 'label': a missing label"),
        ("1:2:0\n3:4:1\n", "at least one input column and a label column"),
        ("1,2,0\n3,4,0\n", "at least two classes"),
    ],
)
def test_bad_csv_files_are_explained(tmp_path, text, message):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(PlaygroundError, match=f"bad.csv: .*{message}"):
        load_csv(p)


def test_a_pandas_index_column_is_dropped_and_said(tmp_path):
    p = tmp_path / "iris.csv"
    p.write_text(",sepal,petal,species\n0,5.1,1.4,setosa\n1,7.0,4.7,versicolor\n2,6.3,6.0,virginica\n")
    notes = []
    ds = load_csv(p, notes=notes)
    assert ds.columns == ["sepal", "petal"] and ds.class_names == ["setosa", "versicolor", "virginica"]
    assert any("dropped the unnamed first column" in n for n in notes)
    p.write_text(",sepal,species\n7,5.1,a\n3,7.0,b\n")  # unnamed but not an index: say so, don't guess
    with pytest.raises(PlaygroundError, match="the first column has no name"):
        load_csv(p)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_semicolon_tab_and_bar_separated_files_are_read(tmp_path, sep):
    p = tmp_path / "d.csv"
    rows = [["a", "b", "label"]] + [["1.5", str(i), str(i % 2)] for i in range(6)]
    p.write_text("".join(sep.join(r) + "\n" for r in rows))
    notes = []
    ds = load_csv(p, notes=notes)
    assert ds.columns == ["a", "b"] and ds.y.tolist() == [0, 1, 0, 1, 0, 1]
    assert any(repr(sep) in n for n in notes)


def test_a_headerless_file_with_class_names_keeps_its_first_row(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("0.5,1.5,cat\n-1,2,dog\n3,1,cat\n")
    notes = []
    ds = load_csv(p, notes=notes)
    assert ds.n == 3 and ds.columns == ["x1", "x2"] and ds.class_names == ["cat", "dog"]
    assert any("no header row" in n for n in notes)


def test_the_apps_own_export_reimports_with_the_label_not_the_split(tmp_path):
    from engine.project import prepare_data
    from engine.project.files import export_data

    data = prepare_data(project(data={"source": "xor", "samples": 40}))
    data.dataset.columns = ["width, in cm", 'the "height"']  # names that need quoting
    export_data(tmp_path / "d.csv", data)
    notes = []
    ds = load_csv(tmp_path / "d.csv", notes=notes)
    assert ds.columns == ["width, in cm", 'the "height"']
    np.testing.assert_array_equal(ds.y, data.dataset.y)
    np.testing.assert_allclose(ds.x, data.dataset.x)
    assert any("'split' column is not used" in n for n in notes)


def test_npz_round_trip_and_images(tmp_path):
    p = tmp_path / "d.npz"
    x = np.arange(24, dtype=np.uint8).reshape(3, 2, 4)
    np.savez(p, x=x, y=np.array([2, 0, 2]))
    ds = load_npz(p)
    assert ds.image_shape == (2, 4) and ds.x.shape == (3, 8) and ds.y.tolist() == [1, 0, 1]


def test_npz_refuses_pickles_and_missing_arrays(tmp_path):
    p = tmp_path / "evil.npz"
    np.savez(p, x=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    with pytest.raises(PlaygroundError, match=r"evil.npz: [\w.]+ holds Python objects"):
        load_npz(p)
    q = tmp_path / "half.npz"
    np.savez(q, x=np.zeros((2, 2)))
    with pytest.raises(PlaygroundError, match="half.npz: missing array 'y'"):
        load_npz(q)
    r = tmp_path / "text.npz"
    r.write_text("not a zip")
    with pytest.raises(PlaygroundError, match="text.npz"):
        load_npz(r)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, compress):
    images = (np.arange(5 * 28 * 28) % 256).astype(np.uint8).reshape(5, 28, 28)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    opener = gzip.compress if compress else (lambda b: b)
    (tmp_path / "img.idx").write_bytes(opener(write_idx(images)))
    (tmp_path / "lab.idx").write_bytes(opener(write_idx(labels)))
    ds = load_idx(tmp_path / "img.idx", tmp_path / "lab.idx")
    assert ds.image_shape == (28, 28) and ds.x.shape == (5, 784)
    np.testing.assert_array_equal(ds.x[2], images[2].ravel())
    assert ds.class_names == ["1", "3", "4", "5"] and ds.y.tolist() == [1, 0, 2, 0, 3]
    np.testing.assert_array_equal(read_idx(tmp_path / "img.idx"), images)


def test_idx_header_claiming_a_billion_images_is_refused_without_allocating(tmp_path):
    p = tmp_path / "huge.idx"
    p.write_bytes(bytes([0, 0, 8, 3]) + np.array([1_000_000_000, 28, 28], ">u4").tobytes() + b"\x00" * 100)
    with pytest.raises(PlaygroundError, match="huge.idx: header declares"):
        read_idx(p)
    g = tmp_path / "huge.idx.gz"
    g.write_bytes(gzip.compress(bytes([0, 0, 8, 2]) + np.array([50_000, 100], ">u4").tobytes() + b"\x00" * 100))
    with pytest.raises(
        PlaygroundError, match="huge.idx.gz: header declares 5,000,000 bytes of data but the file holds fewer"
    ):
        read_idx(g)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x00\x00\x08", "bad magic"),
        (b"PK\x03\x04rest", "bad magic"),
        (bytes([0, 0, 8, 2, 0, 0]), "truncated IDX header"),
        (bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 7, 7]), "holds more"),
    ],
)
def test_bad_idx_files(tmp_path, data, message):
    p = tmp_path / "bad.idx"
    p.write_bytes(data)
    with pytest.raises(PlaygroundError, match=message):
        read_idx(p)


def test_idx_header_with_a_zero_beside_huge_dimensions_is_refused_in_words(tmp_path):
    """0 × 2.8e9 × 3.3e9 declares no values, yet NumPy cannot make that shape (found by test_fuzz)."""
    p = tmp_path / "empty.idx"
    p.write_bytes(bytes([0, 0, 8, 3]) + np.array([0, 0xA8000000, 0xC30C3100], ">u4").tobytes())
    with pytest.raises(PlaygroundError, match="empty.idx: header declares a dimension of 3,272,356,096"):
        read_idx(p)


def test_idx_label_count_must_match(tmp_path):
    (tmp_path / "i.idx").write_bytes(write_idx(np.zeros((3, 2, 2), np.uint8)))
    (tmp_path / "l.idx").write_bytes(write_idx(np.array([0, 1], np.uint8)))
    with pytest.raises(PlaygroundError, match="i.idx has 3 images but l.idx has 2 labels"):
        load_idx(tmp_path / "i.idx", tmp_path / "l.idx")


def _npy_header(shape: tuple[int, ...]) -> bytes:
    hdr = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape!r}, }}"
    hdr = hdr + " " * (118 - len(hdr)) + "\n"
    return b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode()


def test_npz_headers_are_checked_before_anything_is_allocated(tmp_path):
    """A header claiming 2·10¹² values, and a small file inflating past the value budget, are
    refused from their headers (NumPy had tried to allocate 14.6 TiB)."""
    import zipfile

    from engine.data.loaders import MAX_DATA_VALUES, load_npz

    lying = tmp_path / "lying.npz"
    with zipfile.ZipFile(lying, "w") as z:
        z.writestr("x.npy", _npy_header((2_000_000_000_000,)) + b"\0" * 64)
        z.writestr("y.npy", _npy_header((8,)) + b"\0" * 64)
    with pytest.raises(PlaygroundError, match=r"lying.npz: x's header claims 2,000,000,000,000 values"):
        load_npz(lying)
    bomb = tmp_path / "bomb.npz"
    n = MAX_DATA_VALUES + 1
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z, z.open("x.npy", "w") as f:
        f.write(_npy_header((n,)))
        for _ in range(n * 8 // 2**22 + 1):
            f.write(b"\0" * 2**22)
    assert bomb.stat().st_size < 2 * 2**20  # small on disk
    with pytest.raises(PlaygroundError, match=rf"bomb.npz: the arrays hold {n:,} values; the limit is"):
        load_npz(bomb)


def test_an_idx_header_over_the_value_budget_is_refused_before_reading(tmp_path):
    import gzip
    import struct

    from engine.data.loaders import read_idx

    p = tmp_path / "big.idx.gz"
    with gzip.open(p, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">III", 1_000_000, 28, 28))  # 784 million values, no data
    with pytest.raises(PlaygroundError, match=r"big.idx.gz: header declares 784,000,000 values; the limit is"):
        read_idx(p)


def test_the_bundled_digits_and_iris_are_the_real_sets():
    d = generate("digits", seed=0)
    assert d.x.shape == (1797, 64) and d.image_shape == (8, 8) and d.x.min() == 0 and d.x.max() == 16
    assert np.bincount(d.y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert d.class_names == [str(k) for k in range(10)]
    i = generate("iris", seed=0)
    assert i.x.shape == (150, 4) and np.bincount(i.y).tolist() == [50, 50, 50]
    assert i.columns == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    # Fisher's means per species (cm), from the table itself.
    setosa = i.x[i.y == 0].mean(axis=0)
    assert np.allclose(setosa, [5.006, 3.428, 1.462, 0.246], atol=1e-9)
    sub = generate("digits", samples=100, seed=3)
    assert sub.x.shape == (100, 64) and len({tuple(r) for r in sub.x}) > 90


def test_a_real_set_refuses_more_samples_than_it_has():
    from engine.project import normalize_project

    with pytest.raises(PlaygroundError, match=r"data.samples must be at most 150: iris has 150 samples"):
        normalize_project({"format": "nn-playground/1", "data": {"source": "iris", "samples": 151}})
    p = normalize_project({"format": "nn-playground/1", "data": {"source": "digits"},
                           "network": {"output_activation": "softmax"},
                           "training": {"loss": "categorical_crossentropy"}})  # fmt: skip
    assert p["data"]["classes"] == 10 and p["data"]["samples"] == 1797


def test_a_missing_bundled_file_says_so(monkeypatch):
    from engine.data import bundled

    monkeypatch.setattr(bundled, "DATA_DIRS", [])
    bundled._iris_arrays.cache_clear()
    with pytest.raises(PlaygroundError, match="bundled data file iris.csv is missing"):
        generate("iris")
    bundled._iris_arrays.cache_clear()


def test_a_csv_is_read_line_by_line_and_refused_past_its_budget(tmp_path, monkeypatch):
    from engine.data import load_csv, loaders

    path = tmp_path / "big.csv"
    path.write_text("a,b,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(5000)))
    monkeypatch.setattr(loaders, "MAX_CSV_VALUES", 3000)
    with pytest.raises(PlaygroundError, match=r"more than 3,000 cells by line 1,001"):
        load_csv(path)
    monkeypatch.setattr(loaders, "MAX_CSV_VALUES", 10**7)
    seen = []
    monkeypatch.setitem(loaders.PROGRESS, "hook", lambda done, total: seen.append((done, total)))
    assert load_csv(path).n == 5000 and seen and seen[-1][1] == path.stat().st_size
    monkeypatch.delitem(loaders.PROGRESS, "hook")
    wide = tmp_path / "wide.csv"
    wide.write_text("1," * 2000 + "0\n")
    monkeypatch.setattr(loaders, "MAX_CSV_LINE", 1000)
    with pytest.raises(PlaygroundError, match="line 1 is longer than"):
        load_csv(wide)


def test_an_idx_read_reports_progress_and_can_be_stopped(tmp_path, monkeypatch):
    from engine.data import loaders

    path = tmp_path / "images.idx"
    path.write_bytes(write_idx(np.zeros((50, 8, 8), dtype=np.uint8)))

    def stop(done, total):
        raise PlaygroundError("stopped by the test")

    monkeypatch.setitem(loaders.PROGRESS, "hook", stop)
    with pytest.raises(PlaygroundError, match="stopped by the test"):
        read_idx(path)


# ----------------------------------------------------------------- sequences
@pytest.mark.parametrize("name, features", [("sine", 1), ("adding", 2), ("parity", 1)])
def test_sequence_sets_are_step_major_rows_of_their_length_and_reproducible(name, features):
    ds = generate(name, samples=30, noise=0.1, seed=4, sequence_length=7)
    assert ds.x.shape == (30, 7 * features) and ds.sequence_shape == (7, features) and ds.image_shape is None
    assert ds.columns[:features] == [f"t0_{c.split('_', 1)[1]}" for c in ds.columns[:features]]
    assert ds.columns[-1].startswith("t6_")
    again = generate(name, samples=30, noise=0.1, seed=4, sequence_length=7)
    np.testing.assert_array_equal(ds.x, again.x)
    np.testing.assert_array_equal(ds.y, again.y)
    assert not np.array_equal(ds.x, generate(name, samples=30, noise=0.1, seed=5, sequence_length=7).x)
    default = generate(name, samples=4, seed=4)
    assert default.sequence_shape == (GENERATORS.get(name).default_length, features)


def test_the_adding_problem_marks_one_step_in_each_half_and_sums_the_marked_values():
    ds = generate("adding", samples=500, seed=1, sequence_length=10)
    x = ds.x.reshape(500, 10, 2)
    values, markers = x[:, :, 0], x[:, :, 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert np.all(markers[:, :5].sum(axis=1) == 1) and np.all(markers[:, 5:].sum(axis=1) == 1)
    np.testing.assert_allclose(ds.y, (values * markers).sum(axis=1), rtol=1e-15)
    assert values.min() >= 0 and values.max() <= 1 and ds.problem == "regression"
    assert np.var(ds.y) == pytest.approx(1 / 6, rel=0.15)  # what predicting the mean scores
    noisy = generate("adding", samples=500, noise=0.3, seed=1, sequence_length=10)
    np.testing.assert_array_equal(noisy.y, ds.y)  # the noise is on what the network sees, not on the target
    np.testing.assert_array_equal(noisy.x.reshape(500, 10, 2)[:, :, 1], markers)
    assert np.std(noisy.x.reshape(500, 10, 2)[:, :, 0] - values) == pytest.approx(0.3, rel=0.05)


def test_parity_labels_count_the_ones():
    ds = generate("parity", samples=400, seed=2, sequence_length=6)
    bits = ds.x.reshape(400, 6)
    assert set(np.unique(bits)) == {0.0, 1.0} and ds.classes == 2 and ds.class_names == ["even", "odd"]
    np.testing.assert_array_equal(ds.y, bits.sum(axis=1) % 2)
    assert 0.4 < ds.y.mean() < 0.6


def test_sine_targets_continue_the_clean_wave():
    clean = generate("sine", samples=50, seed=3, sequence_length=12)
    x = clean.x
    assert np.abs(x).max() <= 1 and clean.problem == "regression"
    # A sine sampled at equal steps obeys s[t+1] = 2 cos(ω) s[t] − s[t−1]: fit 2 cos(ω) per row, then continue.
    k = (x[:, 2] + x[:, 0]) / x[:, 1]
    np.testing.assert_allclose(k * x[:, 11] - x[:, 10], clean.y, atol=1e-6)
    noisy = generate("sine", samples=50, noise=0.2, seed=3, sequence_length=12)
    np.testing.assert_array_equal(noisy.y, clean.y)


def test_sequence_length_is_checked_and_named(tmp_path):
    with pytest.raises(PlaygroundError, match="sequence_length must be a whole number from 2 to 500, got 1"):
        generate("sine", sequence_length=1)
    with pytest.raises(PlaygroundError, match=r"sequence_length 500 × 100,000 samples is 50,000,000 steps"):
        generate("adding", samples=100_000, sequence_length=500)
    p = project(data={"source": "adding", "sequence_length": 50}, training={"loss": "mse"},
                network={"output_activation": "linear"})
    assert p["data"]["sequence_length"] == 50
    assert project(data={"source": "parity"})["data"]["sequence_length"] == GENERATORS.get("parity").default_length
    assert "sequence_length" not in project(data={"source": "circle"})["data"]
    with pytest.raises(PlaygroundError, match="data.sequence_length must be <= 500"):
        project(data={"source": "parity", "sequence_length": 501})


def test_a_csv_of_t_step_feature_columns_is_read_as_sequences(tmp_path):
    p = tmp_path / "walk.csv"
    p.write_text("t1_a,t0_a,t0_b,t1_b,label\n1,2,3,4,0\n5,6,7,8,1\n")
    notes = []
    ds = load_csv(p, notes=notes)
    assert ds.sequence_shape == (2, 2) and ds.columns == ["t0_a", "t0_b", "t1_a", "t1_b"]
    np.testing.assert_array_equal(ds.x, [[2, 3, 1, 4], [6, 7, 5, 8]])  # step-major, whatever the file's order
    assert any("sequences of 2 steps of 2 features" in n for n in notes)
    p.write_text("t1_a,t0_a,t0_b,label\n1,2,3,0\n5,6,7,1\n")
    with pytest.raises(PlaygroundError, match=r"walk.csv: no column t1_b: .* each of the 2 steps needs each feature"):
        load_csv(p)
    p.write_text("t1_a,t0_a,other,label\n1,2,3,0\n5,6,7,1\n")  # not every column a step: a plain table
    assert load_csv(p).sequence_shape is None


def test_an_npz_marked_sequence_is_read_as_sequences_and_a_3d_x_without_it_stays_images(tmp_path):
    p = tmp_path / "s.npz"
    x = np.arange(24.0).reshape(2, 4, 3)
    np.savez(p, x=x, y=np.array([0, 1]), layout="sequence")
    ds = load_npz(p)
    assert ds.sequence_shape == (4, 3) and ds.image_shape is None and ds.columns[:4] == ["t0_x1", "t0_x2", "t0_x3",
                                                                                         "t1_x1"]
    np.testing.assert_array_equal(ds.x.reshape(2, 4, 3), x)
    np.savez(p, x=np.arange(8.0).reshape(2, 4), y=np.array([0, 1]), layout="sequence")
    assert load_npz(p).sequence_shape == (4, 1)
    np.savez(p, x=x, y=np.array([0, 1]))
    assert load_npz(p).image_shape == (4, 3) and load_npz(p).sequence_shape is None
    np.savez(p, x=x, y=np.array([0, 1]), layout="steps")
    with pytest.raises(PlaygroundError, match="s.npz: layout must be one string, 'image' or 'sequence'"):
        load_npz(p)


@pytest.mark.parametrize("ext", [".csv", ".npz"])
def test_an_exported_sequence_set_reads_back_as_sequences(tmp_path, ext):
    from engine.project import prepare_data
    from engine.project.files import export_data

    data = prepare_data(project(data={"source": "adding", "samples": 20, "sequence_length": 5},
                                training={"loss": "mse"}, network={"output_activation": "linear"}))
    export_data(tmp_path / f"d{ext}", data)
    ds = (load_csv if ext == ".csv" else load_npz)(tmp_path / f"d{ext}", "regression")
    assert ds.sequence_shape == (5, 2)
    np.testing.assert_allclose(ds.x, data.dataset.x)
    np.testing.assert_allclose(ds.y, data.dataset.y)


def test_columns_of_very_different_sizes_get_the_advice_to_standardise():
    """Issue 31, item 13: the wine data's proline runs into the thousands beside a hue near 1."""
    from engine.data.features import SCALE_RATIO, scale_advice

    rng = np.random.default_rng(0)
    hue, proline = rng.normal(1.0, 0.2, 200), rng.normal(750, 300, 200)
    x = np.column_stack([hue, proline, rng.normal(13, 0.8, 200)])
    text = scale_advice(x, ["hue", "proline", "alcohol"])
    assert text.startswith("the input columns differ widely in size: 'proline' runs from")
    assert "'hue' stays within" in text and "Standardize" in text
    assert f"{x[:, 1].max():,.4g}" in text
    # Alike columns, a constant column, a single column: nothing to say.
    assert scale_advice(rng.normal(size=(100, 3)) * [1, 2, 3], ["a", "b", "c"]) is None
    assert scale_advice(np.column_stack([np.ones(50), rng.normal(size=50)]), ["k", "v"]) is None
    assert scale_advice(proline[:, None], ["proline"]) is None
    # The threshold is a ratio of standard deviations.
    edge = np.column_stack([rng.normal(size=500), rng.normal(size=500)])
    edge[:, 1] *= SCALE_RATIO * 0.98 * edge[:, 0].std() / edge[:, 1].std()
    assert scale_advice(edge, ["a", "b"]) is None
    edge[:, 1] *= 1.05
    assert scale_advice(edge, ["a", "b"]) is not None
