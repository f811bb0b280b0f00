"""Loaders for CSV, NPZ and IDX (MNIST's format, plain or gzip) files.

Every problem becomes a PlaygroundError that names the file. NPZ never unpickles; IDX headers
are checked against the file's real length before anything is allocated.

Sequences (T steps of F features per example, for the recurrent layers) come as
- a CSV with one row per sequence whose input columns are all named `t{step}_{feature}` (t0_value,
  t0_marker, t1_value, …: every step 0 … T−1 of every feature, in any order; the label column
  as in any CSV), the layout the generated sequence sets and the app's data export write;
- an NPZ whose `x` is (N, T, F), or (N, T) for one feature, marked by a string array
  `layout` = "sequence" (np.savez(path, x=x, y=y, layout="sequence")): without it a 3-D `x` is
  what it has always been, (N, H, W) images.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import struct
import zipfile
from pathlib import Path

import numpy as np

from ..core.errors import PlaygroundError
from ..core.i18n import _, ngettext
from .dataset import Dataset

MAX_BYTES = 2 * 1024**3  # refuse to read data files over 2 GiB
#: The most values a data file may hold (MNIST's training images are 47 million): 512 MB once
#: read as float64. Checked from the headers (NPZ, IDX) before anything is read or inflated.
MAX_DATA_VALUES = 64 * 2**20
#: A CSV's cells are Python strings until they are parsed (some 60 bytes each), so its budget is
#: lower; bigger tables belong in NPZ or IDX files. Lines longer than this are refused unread.
MAX_CSV_VALUES = 5_000_000
MAX_CSV_LINE = 4 * 2**20
READ_CHECK = 4096  # rows between progress reports (and checks for Cancel) while a CSV is read


def _report(done: int, total: int) -> None:
    """Tell whoever reads the file how far it is (a hook the app sets to show progress and to
    cancel between chunks; nothing by default)."""
    hook = PROGRESS.get("hook")
    if hook is not None:
        hook(done, total)


#: {"hook": callable(done, total)} while the app reads a data file on its worker.
PROGRESS: dict[str, object] = {}


def _fail(path: Path, problem: str) -> PlaygroundError:
    return PlaygroundError(_("{name}: {problem}").format(name=path.name, problem=problem))


def regular_file(path: str | Path, limit: int = MAX_BYTES) -> Path:
    """`path` as a Path if it is an existing regular file of at most `limit` bytes."""
    p = Path(path)
    if not p.exists():
        raise PlaygroundError(_("{path}: no such file").format(path=p))
    if not p.is_file():
        raise PlaygroundError(_("{p}: not a regular file").format(p=p))
    size = p.stat().st_size
    if size > limit:
        raise _fail(p, _("file is too large ({size:,} bytes; the limit is {limit:,})").format(
                           size=size, limit=limit))
    return p


def _labels(path: Path, raw: np.ndarray, problem: str, names: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Classification labels as 0..k−1 (sorted distinct values keep their order) and their names."""
    if problem == "regression":
        try:
            y = raw.astype(np.float64)
        except (TypeError, ValueError):
            raise _fail(path, _("regression targets must be numbers")) from None
        if not np.all(np.isfinite(y)):
            raise _fail(path, _("targets contain NaN or infinite values"))
        return y, []
    if raw.dtype.kind == "f":
        if not np.all(np.isfinite(raw)):
            raise _fail(path, _("labels contain NaN or infinite values"))
        if not np.all(raw == np.round(raw)):
            raise _fail(path, _("classification labels must be whole numbers or names"))
    values, y = np.unique(raw, return_inverse=True)
    if values.size > 256:
        raise _fail(path, _("{size} distinct labels; a classification needs at most 256 (regression?)").format(
                              size=values.size))
    if values.size < 2:
        raise _fail(path, _("classification needs at least two classes"))
    if names is None:
        names = [str(v.item() if hasattr(v, "item") else v) for v in values]
        if raw.dtype.kind == "f":
            names = [str(int(float(n))) for n in names]
    return y.astype(np.intp), names


def _flatten(path: Path, x: np.ndarray, what: str) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """Rows as float vectors; (N, H, W, ...) images keep their shape for the image views."""
    if x.size == 0:
        raise _fail(path, _("{what} hold no values (shape {shape})").format(what=what, shape=x.shape))
    image_shape = tuple(int(d) for d in x.shape[1:]) if x.ndim > 2 else None
    flat = x.reshape(x.shape[0], -1).astype(np.float64)
    if x.dtype.kind == "f" and not np.all(np.isfinite(flat)):  # integer pixels are always finite
        raise _fail(path, _("{what}: NaN or infinite values").format(what=what))
    return flat, image_shape


CSV_DELIMITERS = ",;\t|"
SPLIT_NAMES = {"train", "validation", "test"}


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_rows(p: Path, f: io.TextIOBase, delimiter: str, size: int) -> list[tuple[int, list[str]]]:
    """The non-empty rows with their line numbers, read line by line: a line over MAX_CSV_LINE
    or a table over MAX_CSV_VALUES cells is refused as soon as it is met, not after reading it."""

    def bounded():
        n = 0
        while True:
            line = f.readline(MAX_CSV_LINE + 1)
            if not line:
                return
            n += 1
            if len(line) > MAX_CSV_LINE:
                raise _fail(p, _("line {n} is longer than {max_csv_line} MB: this is not a table of numbers").format(
                                   n=n, max_csv_line=MAX_CSV_LINE // 2**20))
            yield line

    out: list[tuple[int, list[str]]] = []
    values = 0
    reader = csv.reader(bounded(), delimiter=delimiter)
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        out.append((reader.line_num, row))
        values += len(row)
        if values > MAX_CSV_VALUES:
            raise _fail(p, _("more than {max_csv_values:,} cells by line {line_num:,} (the limit for a CSV; save "
                             "bigger tables as NPZ, arrays x and y)").format(
                               max_csv_values=MAX_CSV_VALUES, line_num=reader.line_num))  # fmt: skip
        if len(out) % READ_CHECK == 0:
            _report(f.tell() if hasattr(f, "tell") else 0, size)
    return out


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon, tab or bar, whichever csv.Sniffer finds in the first lines (comma if unsure)."""
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _has_header(rows: list[list[str]]) -> bool:
    """A header is a first row with text where the rows below hold numbers (compared column by
    column), so a headerless file whose labels are class names keeps its first row."""
    first, body = rows[0], rows[1:51]
    if all(_numeric(c) for c in first):
        return False
    if not body:
        return True
    for j, cell in enumerate(first):
        column = [r[j] for r in body if j < len(r)]
        if not _numeric(cell) and column and all(_numeric(c) for c in column):
            return True
    return False


def _column(path: Path, cells: np.ndarray, name: str, first_line: int) -> np.ndarray:
    """A column of numbers; a missing value or text is named by its line and column."""
    try:
        return cells.astype(np.float64)
    except ValueError:
        pass
    for i, cell in enumerate(cells):
        if not _numeric(cell):
            if not str(cell).strip():
                raise _fail(path, _("line {line}, column {name!r}: a missing value").format(
                                      line=first_line + i, name=name)) from None
            raise _fail(path, _("line {line}, column {name!r}: {cell!r}, not a number").format(
                                  line=first_line + i, name=name, cell=str(cell)[:40])) from None
    raise _fail(path, _("column {name!r} does not hold numbers").format(
                          name=name))  # pragma: no cover - astype agreed


def load_csv(
    path: str | Path, problem: str = "classification", label: str | int = -1, notes: list[str] | None = None
) -> Dataset:
    """A CSV table as written by a spreadsheet, pandas or this app.

    The delimiter (comma, semicolon, tab, bar) is detected; the header too, by comparing the
    first row's cells with the column below each. The label column is chosen by name or index,
    by default the last one that is not a `split` column; labels may be names. An unnamed first
    column holding 0..n−1 (pandas' default `to_csv()` index) is dropped, and a `split` column
    (this app's export) is not used as an input. What was decided goes into `notes`.
    """
    notes = notes if notes is not None else []
    p = regular_file(path)
    size = p.stat().st_size
    try:
        with open(p, encoding="utf-8-sig", newline="") as f:
            text = f.read(65536)  # the delimiter is guessed from the start of the file
            f.seek(0)
            delimiter = _sniff_delimiter(text)
            lines = _csv_rows(p, f, delimiter, size)
    except (UnicodeDecodeError, OSError) as exc:
        raise _fail(p, _("not a readable UTF-8 text file ({type})").format(type=exc.__class__.__name__)) from None
    except csv.Error as exc:
        raise _fail(p, _("not valid CSV: {exc}").format(exc=exc)) from None
    if not lines:
        raise _fail(p, _("the file has no rows"))
    rows = [r for __, r in lines]
    width = len(rows[0])
    if width < 2:
        found = next((d for d in CSV_DELIMITERS if d != delimiter and d in text[:4096]), None)
        if found:
            raise _fail(p, _("a CSV needs at least one input column and a label column; the first row has one (is "
                             "{found!r} the separator? it was not detected)").format(found=found))
        raise _fail(p, _("a CSV needs at least one input column and a label column; the first row has one"))
    if delimiter != ",":
        notes.append(_("{file}: columns separated by {delimiter!r}").format(file=p.name, delimiter=delimiter))
    header = [c.strip() for c in rows[0]] if _has_header(rows) else None
    if header is not None:
        notes.append(_("{file}: the first row is a header ({columns})").format(
            file=p.name, columns=", ".join(header[:6]) + ("…" if width > 6 else "")))
        lines = lines[1:]
    else:
        notes.append(_("{file}: no header row (the first row holds data)").format(file=p.name))
    if not lines:
        raise _fail(p, _("the file has a header but no data rows"))
    for n, r in lines:
        if len(r) != width:
            raise _fail(p, _("line {n} has {count} columns, expected {width}").format(
                               n=n, count=len(r), width=width))
    columns = header or [f"x{i + 1}" for i in range(width - 1)] + ["label"]
    cells = np.array([r for __, r in lines], dtype=object)
    first_line = lines[0][0]
    used = list(range(width))
    if header is not None and header[0] in ("", "Unnamed: 0"):
        try:
            index = cells[:, 0].astype(np.float64)
        except ValueError:
            index = None
        if index is None or not np.array_equal(index, np.arange(len(lines))):
            raise _fail(p, _("the first column has no name; name it in the header or remove it"))
        notes.append(_("{file}: dropped the unnamed first column (0..{last}, a pandas index)").format(
            file=p.name, last=len(lines) - 1))
        used.remove(0)
    split_col = None
    if header is not None and "split" in header:
        j = header.index("split")
        if {str(v).strip() for v in cells[:, j]} <= SPLIT_NAMES:
            split_col = j
            used.remove(j)
            notes.append(_("{file}: the 'split' column is not used as an input").format(file=p.name))
    li = _label_index(p, label, header, width, used)
    if li in used:
        used.remove(li)
    if not used:
        raise _fail(p, _("a CSV needs at least one input column besides the label"))
    x = np.column_stack([_column(p, cells[:, j], columns[j], first_line) for j in used])
    if not np.all(np.isfinite(x)):
        bad = np.argwhere(~np.isfinite(x))[0]
        raise _fail(p, _("line {first_line}, column {columns!r}: not a finite number").format(
                           first_line=first_line + bad[0], columns=columns[used[bad[1]]]))
    raw = cells[:, li]
    if problem == "regression":
        raw = _column(p, raw, columns[li], first_line)
    else:
        try:
            raw = raw.astype(np.float64)
        except ValueError:
            raw = np.array([str(v).strip() for v in raw])
            if split_col is None and not all(raw):
                blank = int(np.flatnonzero(raw == "")[0])
                raise _fail(p, _("line {first_line}, column {columns!r}: a missing label").format(
                                   first_line=first_line + blank, columns=columns[li])) from None
    y, names = _labels(p, raw, problem)
    inputs = [columns[j] for j in used]
    label_column = header[li] if header else ""
    sequence = _step_layout(p, inputs) if header is not None else None
    if sequence is not None:
        order, steps, features = sequence
        x, inputs = x[:, order], [inputs[j] for j in order]
        notes.append(ngettext("{file}: the columns t0_… to t{last}_… are read as sequences of {steps} steps of "
                              "{features} feature",
                              "{file}: the columns t0_… to t{last}_… are read as sequences of {steps} steps of "
                              "{features} features", features).format(
                                  file=p.name, last=steps - 1, steps=steps, features=features))  # fmt: skip
    return Dataset(x, y, problem, inputs, len(names), names, name=p.stem, notes=notes, label_column=label_column,
                   sequence_shape=sequence[1:] if sequence is not None else None)  # fmt: skip


_STEP_COLUMN = re.compile(r"t(\d+)_(.+)")


def _step_layout(p: Path, names: list[str]) -> tuple[list[int], int, int] | None:
    """Input columns all named t{step}_{feature} are sequences: (the column order that lays them
    out step-major, features in their first order, T, F); None for any other table. A grid with a
    step or feature missing is refused by the name of the first missing column."""
    found = [_STEP_COLUMN.fullmatch(n) for n in names]
    if not names or not all(found):
        return None
    cells: dict[tuple[int, str], int] = {}
    for j, m in enumerate(found):
        cell = (int(m.group(1)), m.group(2))  # type: ignore[union-attr]
        if cell in cells:
            raise _fail(p, _("columns {names!r} and {names2!r} are the same step of the same feature").format(
                               names=names[cells[cell]], names2=names[j]))
        cells[cell] = j
    features = list(dict.fromkeys(f for _t, f in cells))
    steps = max(t for t, _f in cells) + 1
    for t in range(steps):
        for f in features:
            if (t, f) not in cells:
                raise _fail(p, _("no column t{t}_{f}: columns named t{{step}}_{{feature}} are read as sequences, "
                                 "and each of the {steps} steps needs each feature ({features})").format(
                                   t=t, f=f, steps=steps, features=', '.join(features)))  # fmt: skip
    return [cells[t, f] for t in range(steps) for f in features], steps, len(features)


def _label_index(p: Path, label: str | int, header: list[str] | None, width: int, used: list[int]) -> int:
    """The label column: by name, by index, or (-1) the last column still in use."""
    if isinstance(label, str) and not label.lstrip("-").isdigit():
        if header is None or label not in header:
            if header:
                raise _fail(p, _("no column named {label!r} (columns: {columns})").format(
                                   label=label, columns=", ".join(header)))
            raise _fail(p, _("no column named {label!r} (the file has no header)").format(label=label))
        return header.index(label)
    li = int(label)
    if li == -1:
        return used[-1]
    if not -width <= li < width:
        raise _fail(p, _("label column {li} is out of range for {width} columns").format(li=li, width=width))
    return li % width


def read_npz(path: str | Path, limit: int = MAX_BYTES) -> dict[str, np.ndarray]:
    """Every array of an .npz archive, never unpickling; the file is closed whatever happens."""
    p = regular_file(path, limit)
    _check_npz_headers(p)
    try:
        with open(p, "rb") as fh:
            archive = np.load(fh, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise _fail(p, _("not an .npz archive (a single .npy array?)"))
            with archive:
                return {name: archive[name] for name in archive.files}
    except PlaygroundError:
        raise
    except ValueError as exc:
        msg = _("holds Python objects (pickled arrays are never loaded)") if "pickle" in str(exc) else str(exc)
        raise _fail(p, msg) from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError, RuntimeError, NotImplementedError) as exc:
        raise _fail(p, _("not a readable .npz file ({type})").format(type=exc.__class__.__name__)) from None


def _check_npz_headers(p: Path) -> None:
    """Read every member's .npy header (a few bytes) before any array: a shape that claims more
    values than the budget, or more bytes than the member holds, is refused before allocating
    (a lying header asked NumPy for 14.6 TiB), and so is a member that would inflate past it."""
    try:
        with zipfile.ZipFile(p) as z:
            total = 0
            for info in z.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with z.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    fmt = np.lib.format
                    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
                    shape, _fortran, dtype = read(f, max_header_size=10_000)
                    header = f.tell()
                count = 1
                for d in shape:
                    count *= int(d)
                name = info.filename[:-4]
                if dtype.hasobject:
                    raise _fail(p, _("{name} holds Python objects (pickled arrays are never loaded)").format(
                                       name=name))
                if count * dtype.itemsize > info.file_size - header:
                    raise _fail(p, _("{name}'s header claims {count:,} values, more than the file holds").format(
                                       name=name, count=count))
                total += count
                if total > MAX_DATA_VALUES:
                    raise _fail(p, _("the arrays hold {total:,} values; the limit is {max_data_values:,}").format(
                                       total=total, max_data_values=MAX_DATA_VALUES))
    except PlaygroundError:
        raise
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise _fail(p, _("not a readable .npz file ({type})").format(type=exc.__class__.__name__)) from None


NPZ_LAYOUTS = ("image", "sequence")


def load_npz(path: str | Path, problem: str = "classification") -> Dataset:
    """An .npz with arrays `x` (N, ...) and `y` (N,); images (N, H, W) are flattened, and so are
    sequences (N, T, F) or (N, T), marked by `layout` = "sequence" (see the module's docstring)."""
    p = regular_file(path)
    arrays = read_npz(p)
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        if not arrays:
            raise _fail(p, _("missing array {missing!r} (found: none)").format(missing=missing[0]))
        raise _fail(p, _("missing array {missing!r} (found: {found})").format(
                           missing=missing[0], found=", ".join(arrays)))
    x, y = arrays["x"], arrays["y"]
    layout = arrays.get("layout")
    if layout is not None and (layout.dtype.kind != "U" or layout.shape != () or str(layout) not in NPZ_LAYOUTS):
        raise _fail(p, _("layout must be one string, {layouts}, got {layout!r}").format(
                           layouts=_(" or ").join(map(repr, NPZ_LAYOUTS)), layout=layout))
    if layout is not None and str(layout) == "sequence":
        return _npz_sequences(p, x, y, problem)
    if x.dtype.kind not in "biuf" or x.ndim < 2:
        raise _fail(p, _("x must be a numeric array of shape (N, features), got {dtype} {shape}").format(
                           dtype=x.dtype, shape=x.shape))
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise _fail(p, _("y must have shape ({shape},), got {y_shape}").format(shape=x.shape[0], y_shape=y.shape))
    if y.dtype.kind not in "biufU":
        raise _fail(p, _("y has unsupported dtype {dtype}").format(dtype=y.dtype))
    flat, image_shape = _flatten(p, x, "x")
    labels, names = _labels(p, y, problem)
    columns = [f"x{i + 1}" for i in range(flat.shape[1])]
    return Dataset(flat, labels, problem, columns, len(names), names, image_shape, name=p.stem)


def _npz_sequences(p: Path, x: np.ndarray, y: np.ndarray, problem: str) -> Dataset:
    """An NPZ's x (N, T, F), or (N, T) for one feature, as sequences: rows step-major, columns
    t{step}_x{feature}."""
    if x.dtype.kind not in "biuf" or x.ndim not in (2, 3):
        raise _fail(p, _("x of layout 'sequence' must be a numeric array (N, steps, features) or (N, steps), got "
                         "{dtype} {shape}").format(dtype=x.dtype, shape=x.shape))  # fmt: skip
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise _fail(p, _("y must have shape ({shape},), got {y_shape}").format(shape=x.shape[0], y_shape=y.shape))
    if y.dtype.kind not in "biufU":
        raise _fail(p, _("y has unsupported dtype {dtype}").format(dtype=y.dtype))
    steps, features = x.shape[1], x.shape[2] if x.ndim == 3 else 1
    flat, __ = _flatten(p, x.reshape(x.shape[0], -1), "x")
    labels, names = _labels(p, y, problem)
    columns = [f"t{t}_x{j + 1}" for t in range(steps) for j in range(features)]
    return Dataset(flat, labels, problem, columns, len(names), names, name=p.stem,
                   sequence_shape=(steps, features))  # fmt: skip


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX array (plain or .gz), its declared size checked against the bytes really there."""
    p = regular_file(path)
    try:
        with open(p, "rb") as raw:
            magic = raw.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(p, "rb") as f:
            head = f.read(4)
            if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] not in _IDX_TYPES or head[3] == 0:
                raise _fail(p, _("not an IDX file (bad magic number)"))
            ndim = head[3]
            dims_raw = f.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise _fail(p, _("truncated IDX header"))
            dims = struct.unpack(f">{ndim}I", dims_raw)
            dtype = np.dtype(_IDX_TYPES[head[2]])
            count = 1
            for d in dims:
                count *= d
            need = count * dtype.itemsize
            if count > MAX_DATA_VALUES:
                raise _fail(p, _("header declares {count:,} values; the limit is {max_data_values:,}").format(
                                   count=count, max_data_values=MAX_DATA_VALUES))
            if max(dims) > MAX_DATA_VALUES:  # beside a 0 there are no values, yet NumPy refuses the shape
                raise _fail(p, _("header declares a dimension of {size:,}; the limit is {max_data_values:,}").format(
                                   size=max(dims), max_data_values=MAX_DATA_VALUES))
            if need > MAX_BYTES:
                raise _fail(p, _("header declares {need:,} bytes of data, more than this app reads").format(
                                   need=need))
            if opener is open and need > p.stat().st_size - 4 - 4 * ndim:
                raise _fail(p, _("header declares {need:,} bytes but the file holds fewer").format(need=need))
            data = _read_reporting(f, need + 1)
    except PlaygroundError:
        raise
    except (OSError, EOFError, gzip.BadGzipFile, zlib_error()) as exc:
        raise _fail(p, _("could not read the file ({type}: {exc})").format(
                           type=exc.__class__.__name__, exc=exc)) from None
    if len(data) != need:
        if len(data) > need:
            raise _fail(p, _("header declares {need:,} bytes of data but the file holds more").format(need=need))
        raise _fail(p, _("header declares {need:,} bytes of data but the file holds fewer").format(need=need))
    return np.frombuffer(data, dtype=dtype).reshape(dims)


def _read_reporting(f: io.BufferedIOBase, n: int, chunk: int = 4 * 2**20) -> bytes:
    """Up to n bytes in chunks, telling the progress hook after each (gzip inflates as it goes)."""
    parts: list[bytes] = []
    got = 0
    while got < n:
        block = f.read(min(chunk, n - got))
        if not block:
            break
        parts.append(block)
        got += len(block)
        _report(got, n)
    return b"".join(parts)


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def load_idx(images: str | Path, labels: str | Path, problem: str = "classification") -> Dataset:
    """An IDX image file (N, H, W) and label file (N,), such as MNIST or Fashion-MNIST."""
    x = read_idx(images)
    y = read_idx(labels)
    pi, pl = Path(images), Path(labels)
    if x.ndim < 2:
        raise _fail(pi, _("expected images of shape (N, H, W), got {shape}").format(shape=x.shape))
    if y.ndim != 1:
        raise _fail(pl, _("expected labels of shape (N,), got {shape}").format(shape=y.shape))
    if x.shape[0] != y.shape[0]:
        raise PlaygroundError(_("{name} has {shape} images but {pl_name} has {shape2} labels").format(
                                  name=pi.name, shape=x.shape[0], pl_name=pl.name, shape2=y.shape[0]))
    flat, image_shape = _flatten(pi, x, "images")
    lab, names = _labels(pl, y, problem)
    columns = [f"px{i}" for i in range(flat.shape[1])]
    return Dataset(flat, lab, problem, columns, len(names), names, image_shape, name=pi.stem)


def write_idx(arr: np.ndarray) -> bytes:
    """IDX bytes for `arr` (uint8, int8, int16, int32, float32, float64): for tests and export."""
    codes = {
        np.dtype(v).newbyteorder(">") if np.dtype(v).itemsize > 1 else np.dtype(v): k for k, v in _IDX_TYPES.items()
    }
    dt = arr.dtype.newbyteorder(">") if arr.dtype.itemsize > 1 else arr.dtype
    code = codes[dt]
    head = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(dt).tobytes()
