"""MNIST from the data panel, served by a local HTTP server: downloaded once on a worker thread,
then opened as IDX data; Cancel keeps nothing."""

import dataclasses

import pytest
from conftest import TIMEOUT
from helpers import wait_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from test_downloads import Server, small_set

from engine.downloads import REMOTE_SETS, RemoteFile


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
