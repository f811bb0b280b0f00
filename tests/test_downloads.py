"""Downloads of MNIST-format data from a local HTTP server (tests never reach the internet):
checked against their SHA-256, atomic, cancellable, and never fetched twice."""

import dataclasses
import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from engine import PlaygroundError
from engine.data import read_idx, write_idx
from engine.downloads import PARTS, REMOTE_SETS, DownloadCancelled, RemoteFile, download, have


class Server:
    """Serves a folder on 127.0.0.1 and counts the requests."""

    def __init__(self, folder: Path) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **k):
                super().__init__(*a, directory=str(folder), **k)

            def do_GET(self):
                outer.requests.append(self.path)
                return super().do_GET()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def small_set(folder: Path, n: int = 30) -> dict[str, str]:
    """Four small gzipped IDX files like MNIST's, and their SHA-256."""
    rng = np.random.default_rng(0)
    hashes = {}
    for part in PARTS:
        name = REMOTE_SETS.get("mnist").files[part].name
        if "images" in part:
            raw = write_idx(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        else:
            raw = write_idx((np.arange(n) % 10).astype(np.uint8))
        data = gzip.compress(raw)
        (folder / name).write_bytes(data)
        hashes[part] = hashlib.sha256(data).hexdigest()
    return hashes


@pytest.fixture
def served(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    hashes = small_set(site)
    server = Server(site)
    real = REMOTE_SETS.get("mnist")
    files = {p: RemoteFile(f.name, (hashes[p],)) for p, f in real.files.items()}
    fake = dataclasses.replace(real, mirrors=(server.url + "missing/", server.url), files=files)
    monkeypatch.setitem(REMOTE_SETS._items, "mnist", fake)
    yield server, tmp_path / "data", site
    server.close()


def test_downloads_check_and_keep_the_four_files(served):
    server, root, _ = served
    seen = []
    paths = download("mnist", root, progress=lambda name, done, total: seen.append((name, done, total)))
    assert set(paths) == set(PARTS) and all(p.parent == root / "mnist" for p in paths.values())
    assert read_idx(paths["train_images"]).shape == (30, 28, 28)
    assert any(total and done == total for _, done, total in seen)
    assert sorted(p.name for p in (root / "mnist").iterdir()) == sorted(p.name for p in paths.values())
    assert have("mnist", root)
    # The first mirror 404s, so each file took two requests; a second call fetches nothing.
    asked = len(server.requests)
    assert asked == 8
    download("mnist", root)
    assert len(server.requests) == asked


def test_a_tampered_file_is_refused_and_nothing_is_kept(served):
    _, root, site = served
    (site / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"not the real labels"))
    with pytest.raises(PlaygroundError, match="train-labels-idx1-ubyte.gz .* has SHA-256 .* not the published"):
        download("mnist", root)
    kept = sorted(p.name for p in (root / "mnist").iterdir())
    assert "train-labels-idx1-ubyte.gz" not in kept and not any(k.startswith(".nnp-tmp") for k in kept)


def test_cancel_keeps_nothing_of_the_file_in_progress(served):
    _, root, _ = served
    with pytest.raises(DownloadCancelled):
        download("mnist", root, cancelled=lambda: True)
    assert list((root / "mnist").iterdir()) == []


def test_no_server_says_why_in_one_message(served, monkeypatch):
    server, root, _ = served
    server.close()
    fake = dataclasses.replace(REMOTE_SETS.get("mnist"), mirrors=(server.url,))
    monkeypatch.setitem(REMOTE_SETS._items, "mnist", fake)
    with pytest.raises(PlaygroundError, match="could not download train-images-idx3-ubyte.gz for MNIST"):
        download("mnist", root)


def test_the_published_hashes_are_sha256():
    for name in REMOTE_SETS.names():
        rs = REMOTE_SETS.get(name)
        assert set(rs.files) == set(PARTS) and len(rs.class_names) == 10 and rs.mirrors
        for f in rs.files.values():
            assert all(len(h) == 64 and int(h, 16) >= 0 for h in f.sha256)
