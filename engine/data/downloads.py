"""MNIST and Fashion-MNIST, downloaded once from their public locations and checked.

Each of the four IDX files is fetched in chunks into a temporary file in the target folder,
hashed as it arrives, compared with its published SHA-256, and only then renamed into place
(fsync first): a failed, cancelled or tampered download leaves nothing half-written. A file
already there with the right hash is not fetched again. Mirrors are tried in order.

The network is read on a helper thread that only hands blocks over, so the caller never blocks
on a socket: Cancel acts within POLL seconds whatever the server does (a stalled one included),
a server silent for STALL seconds is given up, and any failure, however malformed the reply,
becomes one PlaygroundError that says why.
"""

from __future__ import annotations

import functools
import hashlib
import os
import queue
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import PlaygroundError
from ..core.i18n import N_, _
from ..core.registry import Registry

CHUNK = 1 << 16
MAX_FILE_BYTES = 64 * 2**20  # the largest (train images) is under 30 MB
STALL = 30.0  # seconds a server may send nothing (no connection, no headers, no byte) before it is given up
POLL = 0.25  # seconds between checks of Cancel while waiting on the network
REPORT = 0.1  # seconds between progress reports (a slow server still shows each byte; a fast one no flood)
PARTS = ("train_images", "train_labels", "test_images", "test_labels")


class DownloadCancelled(Exception):
    """Cancel was pressed; nothing of the file in progress was kept."""


@dataclass(frozen=True)
class RemoteFile:
    name: str
    sha256: tuple[str, ...]  # every published release of the file (Fashion-MNIST was re-uploaded once)


@dataclass(frozen=True)
class RemoteSet:
    name: str
    title: str
    mirrors: tuple[str, ...]
    files: dict[str, RemoteFile]
    class_names: tuple[str, ...]
    credit: str


REMOTE_SETS: Registry[RemoteSet] = Registry(N_("downloadable data set"))


def _files(hashes: dict[str, tuple[str, ...]]) -> dict[str, RemoteFile]:
    names = {"train_images": "train-images-idx3-ubyte.gz", "train_labels": "train-labels-idx1-ubyte.gz",
             "test_images": "t10k-images-idx3-ubyte.gz", "test_labels": "t10k-labels-idx1-ubyte.gz"}  # fmt: skip
    return {part: RemoteFile(names[part], hashes[part]) for part in PARTS}


REMOTE_SETS.register("mnist")(RemoteSet(
    "mnist", N_("MNIST"),
    ("https://storage.googleapis.com/cvdf-datasets/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    _files({
        "train_images": ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",),
        "train_labels": ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
        "test_images": ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
        "test_labels": ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
    }),
    tuple(str(d) for d in range(10)),
    "Y. LeCun, C. Cortes and C. J. C. Burges, the MNIST database of handwritten digits",
))  # fmt: skip
REMOTE_SETS.register("fashion_mnist")(RemoteSet(
    "fashion_mnist", N_("Fashion-MNIST"),
    ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
     "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"),
    _files({
        "train_images": ("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                         "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"),
        "train_labels": ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                         "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"),
        "test_images": ("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                        "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"),
        "test_labels": ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                        "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"),
    }),
    ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    "H. Xiao, K. Rasul and R. Vollgraf, Fashion-MNIST (Zalando Research, MIT licence)",
))  # fmt: skip
REMOTE_SETS.alias("fashion_mnist", "fashion-mnist", "fashion")

Progress = Callable[[str, int, int], None]  # file name, bytes so far, bytes in all (0 when unknown)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def folder_for(name: str, root: Path) -> Path:
    return root / REMOTE_SETS.get(name).name


def have(name: str, root: Path) -> bool:
    """Whether all four files are in `root` with a published hash."""
    rs = REMOTE_SETS.get(name)
    folder = folder_for(name, root)
    return all((folder / f.name).is_file() and sha256_of(folder / f.name) in f.sha256 for f in rs.files.values())


def download(
    name: str,
    root: Path,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Path]:
    """The four files of data set `name` in root/<name>/, fetched where missing or damaged."""
    rs = REMOTE_SETS.get(name)
    folder = folder_for(name, root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlaygroundError(_("cannot create the data folder {folder}: {value}").format(
                                  folder=folder, value=exc.strerror or exc)) from None
    out: dict[str, Path] = {}
    for part, remote in rs.files.items():
        target = folder / remote.name
        if target.is_file() and sha256_of(target) in remote.sha256:
            out[part] = target
            continue
        errors = []
        for mirror in rs.mirrors:
            try:
                _fetch(mirror + remote.name, target, remote, progress, cancelled)
                break
            except (PlaygroundError, DownloadCancelled):
                raise  # a damaged file or Cancel: said as it is
            except Exception as exc:  # anything a server or the network can do: the next mirror
                errors.append(f"{mirror}: {_reason(exc)}")
        else:
            raise PlaygroundError(_("could not download {name} for {title}: {errors}. Nothing was kept: check the "
                                    "connection and try again").format(
                                      name=remote.name, title=_(rs.title), errors='; '.join(errors)))  # fmt: skip
        out[part] = target
    return out


class _BadServer(Exception):
    """What a server did wrong, in words (a malformed reply, silence, a cut connection)."""


def _reason(exc: BaseException) -> str:
    """Why one mirror failed, in a few words, for any exception urllib, http.client or a socket may raise."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return _reason(reason) if isinstance(reason, BaseException) else str(reason)
    if isinstance(exc, _BadServer):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return _("no answer for {seconds:.0f} s").format(seconds=STALL)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, UnicodeEncodeError):  # e.g. a redirect to a host name that is not ASCII
        return _("the server sent an address that is not plain ASCII ({address!r})").format(address=exc.object)
    if isinstance(exc, ValueError):
        return _("malformed reply from the server ({exc})").format(exc=exc)
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def _length(response: Any) -> int:
    """The Content-Length a response announces, 0 when it says none; a malformed one is refused."""
    text = response.headers.get("Content-Length")
    if text is None:
        return 0
    try:
        total = int(text)
    except ValueError:
        total = -1
    if total < 0:
        raise _BadServer(_("malformed reply from the server (Content-Length {text!r})").format(text=text[:40]))
    return total


@functools.cache
def _opener() -> Any:
    """urllib's opener with its redirects, except that the reply redirecting is closed even when
    the address it gives is malformed (urllib raises before closing it, leaving its socket open).
    Made at the first download: urllib.request (http.client, ssl, email) is not on the app's way
    to its window."""
    import urllib.request

    class _Redirects(urllib.request.HTTPRedirectHandler):
        def http_error_302(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any) -> Any:
            try:
                return super().http_error_302(req, fp, code, msg, headers)
            except BaseException:
                fp.close()
                raise

        http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    return urllib.request.build_opener(_Redirects)


def _receive(url: str, items: queue.Queue, stop: threading.Event) -> None:
    """On a helper thread: connect, then queue ("head", length), each block as it arrives
    (read1: a slow server's every byte) and ("end", None), or ("error", exception). Nothing here
    touches a file, so a caller that has given up (stop set) may leave this thread behind: it
    ends at its next block, or when the socket times out."""
    try:
        with _opener().open(url, timeout=STALL + 10) as response:
            items.put(("head", _length(response)))
            while not stop.is_set():
                block = response.read1(CHUNK)
                if not block:
                    items.put(("end", None))
                    return
                items.put(("data", block))
    except BaseException as exc:  # every failure goes to the caller; the thread just ends
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()  # it holds the connection (its body) open
        items.put(("error", exc))


def _fetch(url: str, target: Path, remote: RemoteFile, progress: Progress | None,
           cancelled: Callable[[], bool] | None) -> None:  # fmt: skip
    """One file from one mirror into `target`, checked; `cancelled` is asked at least every POLL s."""
    tmp = target.with_name(f".nnp-tmp-{target.name}.{os.getpid()}.part")
    h = hashlib.sha256()
    items: queue.Queue = queue.Queue()
    stop = threading.Event()
    threading.Thread(target=_receive, args=(url, items, stop), name="nnp-download", daemon=True).start()
    done = total = 0
    headed = False
    reported = 0.0
    heard = time.monotonic()
    try:
        with open(tmp, "wb") as f:
            while True:
                if cancelled is not None and cancelled():
                    raise DownloadCancelled
                try:
                    kind, value = items.get(timeout=POLL)
                except queue.Empty:
                    if time.monotonic() - heard > STALL:
                        if headed:
                            raise _BadServer(_("the server stopped sending for {seconds:.0f} s").format(
                                seconds=STALL)) from None
                        raise _BadServer(_("no answer for {seconds:.0f} s").format(seconds=STALL)) from None
                    continue
                heard = time.monotonic()
                if kind == "error":
                    raise value
                if kind == "end":
                    break
                if kind == "head":
                    headed, total = True, value
                    if total > MAX_FILE_BYTES:
                        raise PlaygroundError(_("{url} would send {total:,} bytes; {name} is far smaller").format(
                                                  url=url, total=total, name=remote.name))
                else:
                    done += len(value)
                    if done > MAX_FILE_BYTES:
                        raise PlaygroundError(_("{url} sent more than {max_file_bytes} MB; stopped").format(
                                                  url=url, max_file_bytes=MAX_FILE_BYTES // 2**20))
                    h.update(value)
                    f.write(value)
                if progress is not None and heard - reported >= REPORT:
                    reported = heard
                    progress(remote.name, done, total)
            if total and done != total:
                raise _BadServer(_("the connection closed after {done:,} of {total:,} bytes").format(
                                     done=done, total=total))
            if progress is not None:
                progress(remote.name, done, total)
            f.flush()
            os.fsync(f.fileno())
        digest = h.hexdigest()
        if digest not in remote.sha256:
            raise PlaygroundError(
                _("{name} from {url} has SHA-256 {digest}…, not the published {sha256}…: it is damaged or not the "
                  "real file; nothing was kept").format(
                    name=remote.name, url=url, digest=digest[:16], sha256=remote.sha256[0][:16])
            )
        os.replace(tmp, target)
    finally:
        stop.set()  # the helper thread stops at its next block (a stalled one at its socket's timeout)
        if tmp.exists():
            tmp.unlink()
