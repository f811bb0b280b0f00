"""Files: the project (JSON), weights (NPZ, JSON; ONNX through engine.core.onnx) and exported data,
all written atomically.

Loading never unpickles (`allow_pickle=False`) and never evaluates anything; every problem is
a PlaygroundError naming the file. Writing goes to a temporary file in the same folder that is
then renamed over the target, so a crash mid-write leaves the old file intact.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import _
from ..core.model import Model
from ..core.onnx import ONNX_HINT, onnx_model_bytes  # noqa: F401 - ONNX_HINT read from here too
from ..data.features import Normalizer
from ..data.loaders import read_npz, regular_file
from ..run.build import PreparedData
from . import normalize_project

MAX_PROJECT_BYTES = 16 * 1024**2
MAX_WEIGHT_BYTES = 1024**3
WEIGHT_FORMATS = (".npz", ".json", ".onnx")
DATA_FORMATS = (".csv", ".npz")


# ----------------------------------------------------------------- atomic writes
#: Temporary files are named `.nnp-tmp-<target>.<pid>.<random>.tmp`, so they are recognisable and
#: one left by a killed process can be told apart from one another process is still writing.
TMP_PREFIX = ".nnp-tmp-"
STALE_TMP_SECONDS = 24 * 3600  # a temporary file this old is stale even if its pid was reused


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux); setting
    and restoring it would race with files other threads create meanwhile."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_target(path: Path) -> tuple[Path, os.stat_result | None]:
    """The file a write to `path` really replaces (a symlink's target), and its status if it exists.

    FIFOs, devices, sockets and folders are refused: renaming over them would silently replace
    something that is not a file of ours."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target, None
    except OSError as exc:
        raise PlaygroundError(_("{path}: cannot be written ({strerror})").format(
                                  path=path, strerror=exc.strerror)) from None
    if not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise PlaygroundError(_("{path}: is a folder; choose another name").format(path=path))
        raise PlaygroundError(_("{path}: is not a regular file (a pipe, device or socket); choose another name").format(
                                  path=path))
    return target, st


def _stale(tmp: Path, now: float) -> bool:
    parts = tmp.name.rsplit(".", 3)  # <prefix+target>.<pid>.<random>.tmp
    try:
        pid = int(parts[1])
        if now - tmp.stat().st_mtime > STALE_TMP_SECONDS:
            return True
        os.kill(pid, 0)
    except ProcessLookupError:
        return True  # its writer is gone (killed mid-write)
    except (ValueError, IndexError, OSError):
        return False
    return False


def clean_stale_temporaries(folder: Path, name: str) -> int:
    """Remove temporary files a killed writer left for `name` in `folder`; returns how many."""
    removed = 0
    with contextlib.suppress(OSError):
        for tmp in folder.glob(f"{glob.escape(TMP_PREFIX + name)}.*.tmp"):
            if _stale(tmp, time.time()):
                with contextlib.suppress(OSError):
                    tmp.unlink()
                    removed += 1
    return removed


def _checked(path: Path) -> tuple[Path, os.stat_result | None, Path]:
    """The file a write to `path` replaces, its status if it exists, and its folder, checked:
    the folder exists and is writable, the file is not a pipe or a folder."""
    target, st = _write_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise PlaygroundError(_("{path}: folder {folder} does not exist").format(path=path, folder=folder))
    if not os.access(folder, os.W_OK):
        raise PlaygroundError(_("{path}: folder {folder} is not writable").format(path=path, folder=folder))
    return target, st, folder


def check_writable(path: str | Path) -> Path:
    """The file a write to `path` would replace, checked now, so a long run is not wasted on an
    output path that cannot work."""
    return _checked(Path(path))[0]


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Call `write(f)` on a temporary file beside the target, fsync it, then rename it over the target.

    The old file is intact until the new one is complete on disk. A symlink is followed (its target
    is rewritten, the link stays), the existing file's mode is kept (a new file gets the umask's
    mode, as a normal save would), and a file with several hard links is rewritten in place after
    the new content is safely on disk, so every link sees it. Every failure is a PlaygroundError
    naming the user's file; the temporary file never survives a failure."""
    given = Path(path)
    target, st, folder = _checked(given)
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    clean_stale_temporaries(folder, target.name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise PlaygroundError(_("{given}: cannot be written ({value})").format(
                                  given=given, value=exc.strerror or exc)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if st is None or st.st_nlink == 1:
            os.replace(tmp, target)
            _fsync_folder(folder)
            return target
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            reason = exc.strerror or exc
            raise PlaygroundError(_("{given}: could not be written ({reason}); the old file is kept").format(
                                      given=given, reason=reason)) from None
        raise
    try:  # several hard links: rewrite the shared file itself, from the complete copy on disk
        _copy_in_place(Path(tmp), target)
    except OSError as exc:
        raise PlaygroundError(
            _("{given}: could not be rewritten in place ({value}); the new content is in {tmp}").format(
                given=given, value=exc.strerror or exc, tmp=tmp)
        ) from None
    os.unlink(tmp)
    return target


def _copy_in_place(src: Path, target: Path) -> None:
    with open(src, "rb") as fin, open(target, "r+b") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.truncate()
        fout.flush()
        os.fsync(fout.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


MAX_JSON_DEPTH = 64  # a project is 5 levels deep; 3,000 levels had reached Python's recursion limit


def check_depth(text: str | bytes, name: str) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH before parsing it: brackets outside strings
    are counted in one NumPy pass (a parser would recurse and overflow first)."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    bare = _JSON_STRING.sub(b'""', data)
    arr = np.frombuffer(bare, dtype=np.uint8)
    step = ((arr == 0x5B) | (arr == 0x7B)).astype(np.int32) - ((arr == 0x5D) | (arr == 0x7D))
    if step.size and int(np.cumsum(step).max()) > MAX_JSON_DEPTH:
        raise PlaygroundError(_("{name}: JSON nested more than {max_json_depth} levels deep; a project or weight "
                                "file is only a few levels deep").format(
                                  name=name, max_json_depth=MAX_JSON_DEPTH))  # fmt: skip


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
#: Longer integer literals are refused unread: Python converts at most 4,300 digits (past that,
#: int() raises ValueError, and it takes quadratic time below), and no setting needs a tenth.
MAX_INT_DIGITS = 4300


class _LongInteger:
    """What the JSON reader leaves in place of an integer literal too long to convert."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _find_long(value: Any, path: str) -> tuple[str, int] | None:
    """Where the first over-long integer sits (its key, as messages name keys), and its length."""
    if isinstance(value, _LongInteger):
        return path, value.digits
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _find_long(item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else key)
        if found:
            return found
    return None


def read_json(text: str | bytes, name: str) -> Any:
    """Parse JSON from a user (a project, a link, a weight file) with every problem a
    PlaygroundError naming `name`: too deep, not JSON, NaN or Infinity, or an integer of more
    than MAX_INT_DIGITS digits (named by its key; none is ever converted)."""
    check_depth(text, name)
    limit = min(MAX_INT_DIGITS, getattr(sys, "get_int_max_str_digits", lambda: 0)() or MAX_INT_DIGITS)
    long: list[int] = []

    def parse_int(token: str) -> int | _LongInteger:
        digits = len(token) - token.startswith("-")
        if digits > limit:
            long.append(digits)
            return _LongInteger(digits)
        return int(token)

    try:
        doc = json.loads(text, parse_constant=_reject_constant, parse_int=parse_int)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise PlaygroundError(_("{name}: not valid JSON ({exc})").format(name=name, exc=exc)) from None
    except PlaygroundError as exc:
        raise PlaygroundError(_("{name}: {exc}").format(name=name, exc=exc)) from None
    if long:
        where, digits = _find_long(doc, "") or ("", long[0])
        if not where:
            raise PlaygroundError(_("{name}: the file is a {digits:,}-digit whole number; no setting or weight comes "
                                    "near that (numbers are read up to {limit:,} digits)").format(
                                      name=name, digits=digits, limit=limit))
        raise PlaygroundError(_("{name}: {where} is a {digits:,}-digit whole number; no setting or weight comes "
                                "near that (numbers are read up to {limit:,} digits)").format(
                                  name=name, where=where, digits=digits, limit=limit))
    return doc


def _read(path: str | Path, limit: int) -> bytes:
    p = regular_file(path, limit)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise PlaygroundError(_("{name}: cannot be read ({strerror})").format(
                                  name=p.name, strerror=exc.strerror)) from None


# ----------------------------------------------------------------- project
def project_to_json(project: dict[str, Any]) -> str:
    return json.dumps(project, indent=2) + "\n"


def save_project(path: str | Path, project: dict[str, Any]) -> Path:
    return atomic_write_text(path, project_to_json(project))


def parse_project(text: str | bytes, name: str | None = None, base_dir: str | Path | None = None,
                  notes: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Validate project JSON text; errors are prefixed with `name` ("project" in the user's words when
    None); older Keras keys read as today's are said in `notes` (when given)."""
    name = name if name is not None else _("project")
    raw = read_json(text, name)
    try:
        return normalize_project(raw, base_dir, notes=notes)
    except PlaygroundError as exc:
        raise PlaygroundError(_("{name}: {exc}").format(name=name, exc=exc)) from None


def _reject_constant(token: str) -> Any:
    raise PlaygroundError(_("{token} is not a number JSON allows").format(token=token))


def load_project(path: str | Path, notes: list[str] | None = None) -> dict[str, Any]:
    """The validated project in a file (see `parse_project`)."""
    p = Path(path)
    return parse_project(_read(p, MAX_PROJECT_BYTES), p.name, p.parent, notes)


# ----------------------------------------------------------------- weights
def weight_arrays(network: Model) -> dict[str, np.ndarray]:
    """{"layers.0.kernel": (in, out), "layers.0.bias": (out,), ...} through the output layer."""
    return dict(zip(network.param_names(), network.get_weights()))


def save_weights(
    path: str | Path,
    network: Model,
    project: dict[str, Any] | None = None,
    normalizer: Normalizer | None = None,
) -> Path:
    """Weights as .npz (plus the project as `config`), .json or .onnx, chosen by extension.
    ONNX takes the normalisation too, so its input is the features before normalising."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".npz":
        arrays = weight_arrays(network)
        if project is not None:
            arrays["config"] = np.array(project_to_json(project))
        return atomic_write(p, lambda f: np.savez(f, **arrays))
    if ext == ".json":
        doc = {
            "format": "nn-playground-weights/1",
            "weights": {k: v.tolist() for k, v in weight_arrays(network).items()},
        }
        if project is not None:
            doc["config"] = project
        return atomic_write_text(p, json.dumps(doc) + "\n")
    if ext == ".onnx":
        return atomic_write_bytes(p, onnx_model_bytes(network, normalizer))
    raise PlaygroundError(_("{name}: weights can be saved as .npz, .json or .onnx, not {extension!r}").format(
                              name=p.name, extension=ext or _("no extension")))


def read_weights(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """The named weight arrays of an .npz or .json weight file, and its embedded project if any."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        return _read_json_weights(p, _read(p, MAX_WEIGHT_BYTES))
    if p.suffix.lower() != ".npz":
        raise PlaygroundError(_("{name}: weights are read from .npz or .json files").format(name=p.name))
    arrays = read_npz(p, MAX_WEIGHT_BYTES)
    config = None
    if "config" in arrays:
        cfg = arrays.pop("config")
        if cfg.dtype.kind != "U" or cfg.shape != ():
            raise PlaygroundError(_("{name}: 'config' must be a JSON string").format(name=p.name))
        config = parse_project(str(cfg), _("{name} (config)").format(name=p.name))
    return arrays, config


def _read_json_weights(p: Path, data: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    doc = read_json(data, p.name)
    if not isinstance(doc, dict) or not isinstance(doc.get("weights"), dict):
        raise PlaygroundError(_('{name}: expected an object with a "weights" object').format(name=p.name))
    arrays = {}
    for name, value in doc["weights"].items():
        try:
            arr = np.array(value, dtype=np.float64)
        except (ValueError, TypeError):
            raise PlaygroundError(_("{name}: {name2} is not a rectangular array of numbers").format(
                                      name=p.name, name2=name)) from None
        except OverflowError:  # an integer of 309 digits or more
            raise PlaygroundError(_("{name}: {name2} holds a number too large for a float (about 1.8e308)").format(
                                      name=p.name, name2=name)) from None
        arrays[name] = arr
    config = doc.get("config")
    if config is not None:
        config = normalize_project(config) if isinstance(config, dict) else None
    return arrays, config


def _start_file(project: dict[str, Any], base_dir: str | Path | None) -> Path | None:
    """The file `app.weights` names beside the project, checked to be there; None when it names none."""
    name = project.get("app", {}).get("weights")
    if not name:
        return None
    path = Path(base_dir or ".") / name
    if not path.is_file():
        raise PlaygroundError(_("app.weights names {file}, which is not in {folder}: put it back there, or remove "
                                "app.weights from the project to start from the initializer's weights").format(
            file=name, folder=path.parent.resolve()))
    return path


def _unusable(exc: PlaygroundError) -> PlaygroundError:
    """The initial weights a project names are there but cannot be used: why, and how to go on."""
    return PlaygroundError(_("app.weights: {error}. Give it a weight file that fits this network, or remove "
                             "app.weights from the project to start from the initializer's weights").format(error=exc))


def start_weights(project: dict[str, Any], base_dir: str | Path) -> list[np.ndarray] | None:
    """The initial weights a project names (`app.weights`: a .npz file beside it, as the window
    saves an imported model's), in Keras's order; None when it names none. The arrays are in the
    file's order within each layer, as save_weights writes them."""
    path = _start_file(project, base_dir)
    if path is None:
        return None
    name = path.name
    try:
        arrays, _config = read_weights(path)
    except PlaygroundError as exc:
        raise _unusable(exc) from None
    bad = [k for k in arrays if not re.fullmatch(r"layers\.\d+\.\w+", k)]
    if bad:
        raise PlaygroundError(_("{name}: {bad!r} is not a weight name (layers.K.kernel, ...)").format(
                                  name=name, bad=bad[0]))
    return [arrays[k] for k in sorted(arrays, key=lambda k: int(k.split(".")[1]))]


def load_start_weights(network: Model, project: dict[str, Any], base_dir: str | Path | None) -> str | None:
    """Load the initial weights the project names (`app.weights`, an imported model's) into
    `network`, every array checked by name and shape; the file's name, or None when it names
    none. A missing or unfitting file is a PlaygroundError saying how to go on; `network` is
    then unchanged."""
    path = _start_file(project, base_dir)
    if path is None:
        return None
    try:
        load_weights(path, network)
    except PlaygroundError as exc:
        raise _unusable(exc) from None
    return path.name


def apply_weights(network: Model, arrays: dict[str, np.ndarray], source: str | None = None) -> None:
    """Load named arrays into `network`, checking that every array is there with the right shape;
    errors are prefixed with `source` ("weights" in the user's words when None)."""
    source = source if source is not None else _("weights")
    names = network.param_names()
    missing = [n for n in names if n not in arrays]
    if missing:
        found = ", ".join(sorted(arrays)) or _("nothing")
        raise PlaygroundError(_("{source}: missing {missing} (this network needs {count} arrays; found {found})")
                                .format(source=source, missing=missing[0], count=len(names), found=found))
    extra = sorted(set(arrays) - set(names))
    if extra:
        held = len(network.layer_weight_names())
        raise PlaygroundError(_("{source}: {extra} does not belong to this network ({held} layers with weights)")
                                .format(source=source, extra=extra[0], held=held))
    for n in names:
        if arrays[n].dtype.kind not in "biuf":
            raise PlaygroundError(_("{source}: {n} has dtype {dtype}, not numbers").format(
                                      source=source, n=n, dtype=arrays[n].dtype))
    try:
        network.set_weights([arrays[n] for n in names])
    except PlaygroundError as exc:
        raise PlaygroundError(_("{source}: {exc}").format(source=source, exc=exc)) from None


def load_weights(path: str | Path, network: Model) -> dict[str, Any] | None:
    """Read a weight file into `network`; returns the project embedded in it, if any."""
    arrays, config = read_weights(path)
    apply_weights(network, arrays, Path(path).name)
    return config


# ----------------------------------------------------------------- data export
def export_data(path: str | Path, data: PreparedData) -> Path:
    """The raw data (before feature maps and normalisation) with each row's split, as CSV or NPZ
    (sequences as the loaders read them back: t{step}_{feature} columns, or x (N, T, F) with
    layout "sequence").

    A table read from a file with a header keeps its own label column: its name ("target", not
    "label") and, for a classification, its labels as the file wrote them ("setosa", or 1..3, not
    the 0..k−1 the network trains on), so the file reads back to the same data."""
    p = Path(path)
    ds = data.dataset
    split = np.empty(ds.n, dtype="<U10")
    split[data.train], split[data.validation], split[data.test] = "train", "validation", "test"
    ext = p.suffix.lower()
    if ext == ".npz":
        if ds.sequence_shape is not None:  # (N, T, F), marked so that it reads back as sequences
            x = ds.x.reshape(ds.n, *ds.sequence_shape)
            return atomic_write(p, lambda f: np.savez(f, x=x, y=ds.y, split=split, layout="sequence"))
        return atomic_write(p, lambda f: np.savez(f, x=ds.x, y=ds.y, split=split))
    if ext != ".csv":
        raise PlaygroundError(_("{name}: data can be exported as .csv or .npz, not {extension!r}").format(
                                  name=p.name, extension=ext or _("no extension")))
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")  # quotes a column name with a comma or a quote
    own = ds.label_column and ds.label_column not in (*ds.columns, "split")
    out.writerow([*ds.columns, ds.label_column if own else "label", "split"])
    names = ds.class_names if own and ds.problem == "classification" and len(ds.class_names) == ds.classes else None
    for row, label, part in zip(ds.x.tolist(), ds.y.tolist(), split):
        out.writerow([*map(repr, row), names[label] if names else repr(label), part])
    return atomic_write_text(p, buf.getvalue())
