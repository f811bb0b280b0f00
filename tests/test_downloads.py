"""Downloads of MNIST-format data from a local HTTP server (tests never reach the internet):
checked against their SHA-256, atomic, cancellable at once, never fetched twice, and every way a
server can misbehave (a malformed reply, a slow or stalled one) said in one message."""

import dataclasses
import gzip
import hashlib
import http.server
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from engine import PlaygroundError
from engine.data import downloads, read_idx, write_idx
from engine.data.downloads import PARTS, REMOTE_SETS, DownloadCancelled, RemoteFile, download, have


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


class Misbehaving:
    """A server on 127.0.0.1 that answers in a wrong way chosen by the first part of the path:
    `length` (Content-Length: abc), `ipv6` (a redirect to http://[::1/x), `latin1` (a Location
    that is not ASCII), `slow` (60 bytes, one per 0.2 s), `stalled` (headers, then nothing), `cut`
    (3 of 1,000 bytes) and `silent` (no answer at all). It stops by itself: no answer lasts more
    than LIFE seconds, and close() ends the ones still going."""

    LIFE = 20.0
    SLOW_BYTES = 60

    def __init__(self) -> None:
        self.release = threading.Event()  # set: every answer still going ends
        self.asked = threading.Event()  # a request arrived
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                outer.asked.set()
                try:
                    getattr(outer, "_" + self.path.strip("/").split("/")[0])(self)
                except OSError:  # the client went away (Cancel): nothing more to send
                    pass

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _length(self, h) -> None:
        h.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: abc\r\n\r\n" + b"x" * 100)

    def _ipv6(self, h) -> None:
        h.wfile.write(b"HTTP/1.0 302 Found\r\nLocation: http://[::1/x\r\nContent-Length: 0\r\n\r\n")

    def _latin1(self, h) -> None:
        h.wfile.write(b"HTTP/1.0 302 Found\r\nLocation: http://ex\xe4mple.com/x\r\nContent-Length: 0\r\n\r\n")

    def _slow(self, h) -> None:
        h.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % self.SLOW_BYTES)
        for _ in range(self.SLOW_BYTES):
            if self.release.wait(0.2):  # the server's pace, not a test's wait
                return
            h.wfile.write(b"x")
            h.wfile.flush()

    def _stalled(self, h) -> None:
        h.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n")
        h.wfile.flush()
        self.release.wait(self.LIFE)

    def _cut(self, h) -> None:
        h.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\nxyz")

    def _silent(self, h) -> None:
        self.release.wait(self.LIFE)

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def misbehaving(tmp_path, monkeypatch):
    """A Misbehaving server, and a function pointing MNIST's mirrors at some of its paths."""
    server = Misbehaving()

    def mirrors(*kinds: str) -> None:
        fake = dataclasses.replace(REMOTE_SETS.get("mnist"), mirrors=tuple(server.url + k + "/" for k in kinds))
        monkeypatch.setitem(REMOTE_SETS._items, "mnist", fake)

    yield server, mirrors, tmp_path / "data"
    server.close()


def leftovers(root: Path) -> list[str]:
    """Files a download left in the data folder (temporary ones included)."""
    folder = root / "mnist"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("length", r"malformed reply from the server \(Content-Length 'abc'\)"),
        ("ipv6", r"malformed reply from the server \(Invalid IPv6 URL\)"),
        ("latin1", r"the server sent an address that is not plain ASCII \('ex.mple.com'\)"),
    ],
)
def test_a_malformed_reply_is_said_in_one_message(misbehaving, kind, reason):
    server, mirrors, root = misbehaving
    mirrors(kind)
    with pytest.raises(PlaygroundError, match=f"could not download train-images-idx3-ubyte.gz for MNIST: "
                                              f"{server.url}{kind}/: {reason}"):  # fmt: skip
        download("mnist", root)
    assert leftovers(root) == []


def test_a_malformed_reply_moves_on_to_the_next_mirror(misbehaving, served, monkeypatch):
    good, root, _ = served
    server, _, _ = misbehaving
    fake = dataclasses.replace(REMOTE_SETS.get("mnist"), mirrors=(server.url + "length/", good.url))
    monkeypatch.setitem(REMOTE_SETS._items, "mnist", fake)
    assert set(download("mnist", root)) == set(PARTS) and have("mnist", root)


CANCEL_WITHIN = 1.5  # seconds from Cancel to the download's end (it checks every POLL = 0.25 s)


def test_a_slow_server_shows_each_byte_and_cancel_acts_at_once(misbehaving):
    server, mirrors, root = misbehaving
    mirrors("slow")
    seen: list[int] = []
    pressed: list[float] = []

    def cancelled() -> bool:
        if not pressed and len(set(seen)) >= 4:  # Cancel once the dialog has moved a few times
            pressed.append(time.monotonic())
        return bool(pressed)

    with pytest.raises(DownloadCancelled):
        download("mnist", root, progress=lambda name, done, total: seen.append(done), cancelled=cancelled)
    took = time.monotonic() - pressed[0]
    assert took < CANCEL_WITHIN, f"Cancel took {took:.2f} s"
    assert seen[0] == 0 and sorted(set(seen))[1] <= 2, seen  # the headers, then byte by byte (not per 64 KB)
    assert max(seen) < server.SLOW_BYTES and leftovers(root) == []


@pytest.mark.parametrize("kind", ["stalled", "silent"])
def test_cancel_acts_at_once_while_the_server_sends_nothing(misbehaving, kind):
    server, mirrors, root = misbehaving
    mirrors(kind)
    stop, headed = threading.Event(), threading.Event()
    heads: list[tuple[int, int]] = []
    ended: list[BaseException] = []

    def progress(name: str, done: int, total: int) -> None:
        heads.append((done, total))
        headed.set()

    def run() -> None:
        try:
            download("mnist", root, progress=progress, cancelled=stop.is_set)
        except BaseException as exc:
            ended.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert server.asked.wait(10)  # the request is in: the download is waiting on the server
    if kind == "stalled":  # and for it the headers are through, shown as 0 bytes of 1,000
        assert headed.wait(10) and heads == [(0, 1000)]
    t0 = time.monotonic()
    stop.set()
    thread.join(CANCEL_WITHIN)
    assert not thread.is_alive(), "Cancel had no effect while the server sent nothing"
    assert time.monotonic() - t0 < CANCEL_WITHIN
    assert len(ended) == 1 and isinstance(ended[0], DownloadCancelled) and leftovers(root) == []


@pytest.mark.parametrize(
    "kind, said", [("stalled", "the server stopped sending for 1 s"), ("silent", "no answer for 1 s")]
)
def test_a_server_that_stops_sending_is_given_up(misbehaving, monkeypatch, kind, said):
    _, mirrors, root = misbehaving
    monkeypatch.setattr(downloads, "STALL", 1.0)
    mirrors(kind)
    t0 = time.monotonic()
    with pytest.raises(PlaygroundError, match=f"could not download .*{kind}/: {said}"):
        download("mnist", root)
    assert time.monotonic() - t0 < 1.0 + CANCEL_WITHIN and leftovers(root) == []


def test_a_cut_connection_is_a_failed_mirror_not_a_damaged_file(misbehaving):
    _, mirrors, root = misbehaving
    mirrors("cut")
    with pytest.raises(PlaygroundError, match=r"cut/: the connection closed after 3 of 1,000 bytes"):
        download("mnist", root)
    assert leftovers(root) == []
