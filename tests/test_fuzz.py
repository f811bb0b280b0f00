"""Fuzzing every importer: whatever the bytes, the outcome is a loaded object or one
PlaygroundError whose message names the file. Kept small for the suite (a few hundred cases);
raise max_examples locally for a longer hunt."""

from __future__ import annotations

import gzip
import io
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import dense
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Model, PlaygroundError
from engine.data import load_csv, load_npz, read_idx
from engine.project import default_project
from engine.project.files import load_project, load_weights, read_weights

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def attempt(name: str, data: bytes, load):
    """Write `data` to a file called `name` and load it: success or a PlaygroundError naming it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return load(path)
        except PlaygroundError as exc:
            assert name in str(exc), f"message does not name the file: {exc}"
            return None


def truncations(data: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(0, len(data)).map(lambda n: data[:n])


def flips(data: bytes) -> st.SearchStrategy[bytes]:
    """`data` with a few bytes overwritten."""
    return st.lists(st.tuples(st.integers(0, max(0, len(data) - 1)), st.integers(0, 255)), max_size=6).map(
        lambda edits: _apply(data, edits)
    )


def _apply(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for i, b in edits:
        if out:
            out[i % len(out)] = b
    return bytes(out)


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


VALID_PROJECT = json.dumps(default_project()).encode()
VALID_NPZ = _npz(x=np.arange(12.0).reshape(6, 2), y=np.array([0, 1, 0, 1, 1, 0]))
VALID_IDX = bytes([0, 0, 8, 3]) + np.array([2, 3, 3], ">u4").tobytes() + bytes(range(18))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
PROJECT_KEYS = [
    "seed",
    "data.source",
    "data.samples",
    "data.noise",
    "data.classes",
    "data.features",
    "data.test_fraction",
    "network.layers",
    "network.output_activation",
    "training.loss",
    "training.optimizer",
    "training.batch_size",
    "training.early_stopping",
    "training.schedule",
]


@FUZZ
@given(st.binary(max_size=400) | truncations(VALID_PROJECT) | flips(VALID_PROJECT))
def test_project_files_from_random_bytes(data):
    attempt("p.json", data, load_project)


@FUZZ
@given(st.sampled_from(PROJECT_KEYS), JSON_VALUES)
def test_project_with_any_value_at_any_key(key, value):
    project = default_project()
    node = project
    *parents, last = key.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    attempt("p.json", json.dumps(project).encode(), load_project)


@FUZZ
@given(
    st.binary(max_size=300)
    | st.text(max_size=300).map(str.encode)
    | st.lists(
        st.lists(st.sampled_from(["1", "-2.5", "nan", "inf", "a", "", "1e400", "0"]), min_size=1, max_size=4),
        max_size=8,
    ).map(lambda rows: "\n".join(",".join(r) for r in rows).encode())
)
def test_csv_from_random_content(data):
    attempt("d.csv", data, load_csv)


NUMERIC_DTYPES = st.sampled_from([np.uint8, np.int16, np.int64, np.float32, np.float64, np.bool_, np.complex64])


@FUZZ
@given(
    st.binary(max_size=300)
    | truncations(VALID_NPZ)
    | flips(VALID_NPZ)
    | st.tuples(NUMERIC_DTYPES, st.lists(st.integers(0, 4), min_size=0, max_size=3), st.integers(0, 6)).map(
        lambda t: _npz(x=np.ones(t[1], dtype=t[0]), y=np.zeros(t[2], dtype=t[0]))
    )
    | st.just(_npz(x=np.array([[1.0, np.nan]]), y=np.array([0])))
    | st.just(_npz(x=np.array([None, {}], dtype=object), y=np.array([0, 1])))
)
def test_npz_data_from_random_content(data):
    attempt("d.npz", data, load_npz)


@FUZZ
@given(
    st.binary(max_size=200)
    | truncations(VALID_IDX)
    | flips(VALID_IDX)
    | st.tuples(
        st.sampled_from([8, 9, 11, 12, 13, 14, 7]),
        st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4),
        st.binary(max_size=64),
    ).map(lambda t: bytes([0, 0, t[0], len(t[1])]) + np.array(t[1], ">u4").tobytes() + t[2])
)
def test_idx_from_random_content(data):
    attempt("d.idx", data, read_idx)
    attempt("d.idx.gz", gzip.compress(data), read_idx)


def test_idx_claiming_a_billion_images_fails_fast_without_allocating():
    header = bytes([0, 0, 8, 3]) + np.array([10**9, 28, 28], ">u4").tobytes()
    for name, data in (("big.idx", header + bytes(1000)), ("big.idx.gz", gzip.compress(header + bytes(1000)))):
        assert attempt(name, data, read_idx) is None


def _weights_npz(net: Model, **extra) -> bytes:
    arrays = {
        f"layers.{i}.{k}": a
        for i, (w, b) in enumerate(zip(net.kernels, net.biases))
        for k, a in (("kernel", w), ("bias", b))
    }
    arrays.update(extra)
    return _npz(**arrays)


NET = dense(2, [3], 1)
VALID_WEIGHTS = _weights_npz(NET)


@FUZZ
@given(
    st.binary(max_size=300)
    | truncations(VALID_WEIGHTS)
    | flips(VALID_WEIGHTS)
    | st.just(_weights_npz(NET, config=np.array("{not json"))),
)
def test_weight_npz_from_random_content(data):
    attempt("w.npz", data, lambda p: load_weights(p, dense(2, [3], 1)))


@FUZZ
@given(
    JSON_VALUES
    | st.dictionaries(
        st.sampled_from(["layers.0.kernel", "layers.0.bias", "layers.1.kernel", "layers.1.bias", "other"]),
        JSON_VALUES,
        max_size=5,
    ).map(lambda w: {"weights": w})
)
def test_weight_json_from_random_content(doc):
    attempt("w.json", json.dumps(doc).encode(), lambda p: load_weights(p, dense(2, [3], 1)))


def test_a_zip_that_is_not_an_npz_and_a_pickle_are_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(PlaygroundError, match="w.npz: missing layers.0.kernel"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "w.npz"
            path.write_bytes(buf.getvalue())
            load_weights(path, dense(2, [3], 1))
    pickled = _npz(**{"layers.0.kernel": np.array([object()], dtype=object)})
    with pytest.raises(PlaygroundError, match="pickled arrays are never loaded"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "w.npz"
            path.write_bytes(pickled)
            read_weights(path)


# ----------------------------------------------------------------- the hostile classes (issue 20)
HUGE = st.one_of(st.integers(min_value=10**18, max_value=10**400), st.integers(max_value=-(10**18)))
PATHS = ["seed", "data.samples", "data.noise", "network.layers.0.units", "training.batch_size", "training.epochs",
         "training.optimizer.learning_rate", "training.regularization.rate", "network.bias_init"]  # fmt: skip


@FUZZ
@given(st.sampled_from(PATHS), HUGE)
def test_huge_integers_anywhere_are_refused_by_name(path, value):
    raw = json.loads(json.dumps(default_project()))
    node = raw
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[leaf] = value
    text = json.dumps(raw)
    out = attempt("huge.json", text.encode(), load_project)
    assert out is None  # refused, with the file named (attempt checks it)


@FUZZ
@given(st.integers(65, 20_000), st.sampled_from(["[", "{\"a\":"]))
def test_deep_nesting_is_refused_in_one_line(depth, opener):
    closer = "]" if opener == "[" else "}"
    doc = opener * depth + "1" + closer * depth
    for name, load in (("deep.json", load_project), ("deep_weights.json", lambda p: read_weights(p))):
        assert attempt(name, doc.encode(), load) is None


@FUZZ
@given(st.integers(1, 255), st.lists(st.integers(1, 2**32 - 1), min_size=1, max_size=6))
def test_idx_headers_that_lie_about_their_size_fail_fast(ndim, dims):
    dims = (dims * ndim)[:ndim]
    header = b"\x00\x00\x08" + bytes([ndim]) + b"".join(d.to_bytes(4, "big") for d in dims)
    for data in (header + b"\x00" * 64, gzip.compress(header + b"\x00" * 64)):
        assert attempt("lying.idx", data, read_idx) is None or int(np.prod(dims)) <= 64


ZEROS = gzip.compress(b"\0" * (4 * 2**20), 9)  # 4 MB of zeros in about 4 KB


@FUZZ
@given(st.integers(21, 31))
def test_small_bombs_on_disk_are_refused_before_they_inflate(power):
    """A few kilobytes on disk whose header declares 2^power × 64 values (past the data budget):
    refused from the header, before the stream is inflated."""
    header = gzip.compress(b"\x00\x00\x08\x02" + (2**power).to_bytes(4, "big") + (64).to_bytes(4, "big"))
    assert attempt("bomb.idx.gz", header + ZEROS, read_idx) is None
