"""MNIST and Fashion-MNIST, downloaded once from their public locations and checked.

Each of the four IDX files is fetched in chunks into a temporary file in the target folder,
hashed as it arrives, compared with its published SHA-256, and only then renamed into place
(fsync first): a failed, cancelled or tampered download leaves nothing half-written. A file
already there with the right hash is not fetched again. Mirrors are tried in order.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import PlaygroundError
from .registry import Registry

CHUNK = 1 << 16
MAX_FILE_BYTES = 64 * 2**20  # the largest (train images) is under 30 MB
TIMEOUT = 30.0
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


REMOTE_SETS: Registry[RemoteSet] = Registry("downloadable data set")


def _files(hashes: dict[str, tuple[str, ...]]) -> dict[str, RemoteFile]:
    names = {"train_images": "train-images-idx3-ubyte.gz", "train_labels": "train-labels-idx1-ubyte.gz",
             "test_images": "t10k-images-idx3-ubyte.gz", "test_labels": "t10k-labels-idx1-ubyte.gz"}  # fmt: skip
    return {part: RemoteFile(names[part], hashes[part]) for part in PARTS}


REMOTE_SETS.register("mnist")(RemoteSet(
    "mnist", "MNIST",
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
    "fashion_mnist", "Fashion-MNIST",
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
        raise PlaygroundError(f"cannot create the data folder {folder}: {exc.strerror or exc}") from None
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
            except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as exc:
                reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
                errors.append(f"{mirror}: {reason}")
        else:
            raise PlaygroundError(f"could not download {remote.name} for {rs.title} ({'; '.join(errors)}); "
                                  "nothing was kept: check the connection and try again")  # fmt: skip
        out[part] = target
    return out


def _fetch(url: str, target: Path, remote: RemoteFile, progress: Progress | None,
           cancelled: Callable[[], bool] | None) -> None:  # fmt: skip
    tmp = target.with_name(f".nnp-tmp-{target.name}.{os.getpid()}.part")
    h = hashlib.sha256()
    done = 0
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, open(tmp, "wb") as f:
            total = int(response.headers.get("Content-Length") or 0)
            if total > MAX_FILE_BYTES:
                raise PlaygroundError(f"{url} would send {total:,} bytes; {remote.name} is far smaller")
            while True:
                if cancelled is not None and cancelled():
                    raise DownloadCancelled
                block = response.read(CHUNK)
                if not block:
                    break
                done += len(block)
                if done > MAX_FILE_BYTES:
                    raise PlaygroundError(f"{url} sent more than {MAX_FILE_BYTES // 2**20} MB; stopped")
                h.update(block)
                f.write(block)
                if progress is not None:
                    progress(remote.name, done, total)
            f.flush()
            os.fsync(f.fileno())
        digest = h.hexdigest()
        if digest not in remote.sha256:
            raise PlaygroundError(
                f"{remote.name} from {url} has SHA-256 {digest[:16]}…, not the published {remote.sha256[0][:16]}…: "
                "it is damaged or not the real file; nothing was kept"
            )
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
