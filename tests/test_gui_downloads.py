"""MNIST from the data panel, served by a local HTTP server: downloaded once on a worker thread,
then opened as IDX data; Cancel keeps nothing and acts at once, a server that misbehaves is said
and the next download works, closing never waits on the network, and the files go to the data
folder the README names."""

import dataclasses
import re
import sys
import time
from pathlib import Path

import pytest
from conftest import TIMEOUT
from helpers import wait_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from test_downloads import CANCEL_WITHIN, Misbehaving, Server, leftovers, small_set

from engine.data.downloads import REMOTE_SETS, RemoteFile
from playground.actions.downloads import data_root


@pytest.fixture
def local_mnist(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    hashes = small_set(site, n=40)
    server = Server(site)
    real = REMOTE_SETS.get("mnist")
    files = {p: RemoteFile(f.name, (hashes[p],)) for p, f in real.files.items()}
    monkeypatch.setitem(REMOTE_SETS._items, "mnist", dataclasses.replace(real, mirrors=(server.url,), files=files))
    yield server, tmp_path / "data"
    server.close()


def test_the_mnist_entry_downloads_once_and_opens_the_images(window, qtbot, local_mnist, monkeypatch):
    server, root = local_mnist
    window.downloads.root = root
    said = []
    monkeypatch.setattr(window.files.dialogs, "status", said.append)
    # Cancel first: nothing is kept and the project does not change.
    worker = window.downloads._worker()
    worker.cancel_upto = 10**9
    before = window.session.state.project
    window.downloads.start("mnist")
    qtbot.waitUntil(lambda: window.downloads.job is None, timeout=TIMEOUT)
    assert "Download cancelled" in said[-1] and window.session.state.project == before
    assert not any((root / "mnist").iterdir())
    worker.cancel_upto = 0
    gen = window.session.snapshot.generation
    qtbot.mouseClick(window.findChild(QPushButton, "remote_mnist"), Qt.MouseButton.LeftButton)
    snap = wait_for(qtbot, window, lambda s: s.generation > gen and isinstance(s.project["data"]["source"], dict))
    source = snap.project["data"]["source"]["idx"]
    assert source["images"].endswith("mnist/train-images-idx3-ubyte.gz") and snap.data.dataset.image_shape == (28, 28)
    assert snap.data.dataset.n == 40 and window.images.isVisible()
    asked = len(server.requests)
    # Again: the files are there, checked, and nothing is fetched.
    window.downloads.start("mnist")
    qtbot.waitUntil(lambda: window.downloads.job is None, timeout=TIMEOUT)
    assert len(server.requests) == asked


@pytest.fixture
def servers(tmp_path, monkeypatch):
    """A good local MNIST and a Misbehaving server; `mirrors(url, ...)` points MNIST at them."""
    site = tmp_path / "site"
    site.mkdir()
    hashes = small_set(site, n=40)
    good, bad = Server(site), Misbehaving()
    real = REMOTE_SETS.get("mnist")
    files = {p: RemoteFile(f.name, (hashes[p],)) for p, f in real.files.items()}

    def mirrors(*urls: str) -> None:
        monkeypatch.setitem(REMOTE_SETS._items, "mnist", dataclasses.replace(real, mirrors=urls, files=files))

    yield good, bad, mirrors
    bad.close()
    good.close()


def test_a_malformed_reply_is_said_and_the_same_worker_downloads_next(window, qtbot, servers, tmp_path, monkeypatch):
    good, bad, mirrors = servers
    downloads = window.downloads
    downloads.root = tmp_path / "data"
    errors: list[str] = []
    monkeypatch.setattr(window.files.dialogs, "error", lambda title, text: errors.append(text))
    for n, (kind, why) in enumerate([("length", "Content-Length 'abc'"), ("ipv6", "Invalid IPv6 URL"),
                                     ("latin1", "not plain ASCII")]):  # fmt: skip
        mirrors(bad.url + kind + "/")
        downloads.start("mnist")
        qtbot.waitUntil(lambda: downloads.job is None, timeout=TIMEOUT)  # the dialog closes with the answer
        assert len(errors) == n + 1 and errors[-1].startswith("could not download") and why in errors[-1]
        assert downloads.dialog is None and leftovers(downloads.root) == []
    handle = downloads.handle
    mirrors(good.url)
    gen = window.session.snapshot.generation
    downloads.start("mnist")
    snap = wait_for(qtbot, window, lambda s: s.generation > gen and isinstance(s.project["data"]["source"], dict))
    assert snap.data.dataset.n == 40 and len(errors) == 3
    assert downloads.handle is handle and handle.thread.isRunning()  # the same thread served all four


def test_an_unforeseen_error_is_said_and_the_worker_lives_on(qtbot, monkeypatch, tmp_path):
    from playground.actions import downloads as module
    from playground.actions.downloads import DownloadWorker, Fetch
    from playground.run.worker_thread import WorkerHandle

    def download(name, root, progress, cancelled):
        if not calls:
            calls.append(name)
            raise RuntimeError("a bug")
        return {"train_images": root / "x"}

    calls: list[str] = []
    monkeypatch.setattr(module, "download", download)
    handle = WorkerHandle(None, DownloadWorker())
    try:
        with qtbot.waitSignal(handle.worker.done, timeout=TIMEOUT) as first:
            handle.worker.send(Fetch("mnist", str(tmp_path)))
        assert first.args[1] == "could not download mnist: RuntimeError: a bug"
        with qtbot.waitSignal(handle.worker.done, timeout=TIMEOUT) as second:
            handle.worker.send(Fetch("mnist", str(tmp_path)))
        assert second.args[1] == {"train_images": str(tmp_path / "x")}
    finally:
        assert handle.stop()


def test_a_slow_download_moves_byte_by_byte_and_cancel_acts_at_once(window, qtbot, servers, tmp_path, monkeypatch):
    _, bad, mirrors = servers
    mirrors(bad.url + "slow/")
    downloads = window.downloads
    downloads.root = tmp_path / "data"
    said: list[str] = []
    monkeypatch.setattr(window.files.dialogs, "status", said.append)
    downloads.start("mnist")

    def got() -> int:  # bytes the dialog shows (-1: none yet, or no dialog any more)
        m = downloads.dialog and re.search(rf": (\d+) bytes of {bad.SLOW_BYTES} bytes$", downloads.dialog.labelText())
        return int(m[1]) if m else -1

    qtbot.waitUntil(lambda: got() >= 3 and downloads.dialog.isVisible(), timeout=TIMEOUT)
    shown, dialog = got(), downloads.dialog
    t0 = time.monotonic()
    qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)  # Cancel
    qtbot.waitUntil(lambda: downloads.job is None, timeout=TIMEOUT)
    took = time.monotonic() - t0
    assert took < CANCEL_WITHIN, f"Cancel took {took:.2f} s"
    assert shown < bad.SLOW_BYTES and "Download cancelled" in said[-1] and leftovers(downloads.root) == []


def test_closing_during_a_stalled_download_does_not_wait_on_the_network(window, qtbot, servers, tmp_path):
    _, bad, mirrors = servers
    mirrors(bad.url + "stalled/")
    downloads = window.downloads
    downloads.root = tmp_path / "data"
    downloads.start("mnist")
    dialog = downloads.dialog
    qtbot.waitUntil(lambda: dialog.labelText().endswith(": 0 bytes of 1,000 bytes"), timeout=TIMEOUT)  # headers in
    handle = downloads.handle
    t0 = time.monotonic()
    assert window.close()  # returns once every worker thread has ended
    took = time.monotonic() - t0
    assert handle.thread.isFinished() and took < 2.0, f"closing took {took:.2f} s"
    assert leftovers(downloads.root) == []


@pytest.mark.skipif(sys.platform != "linux", reason="XDG data folders are Linux's")
def test_downloads_go_to_the_data_folder_the_readme_names(qapp, tmp_path, monkeypatch):
    from playground.app import make_app

    make_app()  # the app's organisation and application names, which must not double the folder
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "data folder (`~/.local/share/nn-playground/data` on Linux, or `$XDG_DATA_HOME/nn-playground/data`" in readme
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_root() == tmp_path / ".local" / "share" / "nn-playground" / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_root() == tmp_path / "xdg" / "nn-playground" / "data"
