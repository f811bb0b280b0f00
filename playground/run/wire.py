"""What crosses the pipe between the window and the trainer's process: prepared data whose big
arrays sit in an anonymous shared mapping (its descriptor passed over the socket), and snapshots
packed as what changed since the one before (the history as the values added since)."""

from __future__ import annotations

import dataclasses
import io
import mmap
import os
import pickle
import socket
import tempfile
import weakref
from array import array
from typing import Any

import numpy as np

from engine.run.training import Series

#: What a snapshot usually shares with the one before: sent again only when it is a new object.
MEMO_FIELDS = ("data", "project", "image_eval", "layer_maps")
SHARE_BYTES = 1 << 20  # arrays of prepared data this big are shared instead of copied
#: Descriptors can be passed between processes (Unix sockets): else the data are pickled whole.
SHARING = hasattr(socket, "AF_UNIX") and hasattr(socket, "CMSG_LEN") and os.name == "posix"

#: Child side: id of a shared array -> (the array, weakly; descriptor, offset). Only the very
#: arrays placed in a mapping are described, never a view or a copy made from one.
_SHARED: dict[int, tuple[weakref.ref, int, int]] = {}


def _anonymous_file(size: int) -> int:
    """A descriptor of `size` bytes of memory with no name anywhere (nothing to clean up)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("nn-playground-data", os.MFD_CLOEXEC)
    else:  # macOS: a temporary file, already unlinked
        with tempfile.TemporaryFile() as f:
            fd = os.dup(f.fileno())
    os.ftruncate(fd, max(size, 1))
    return fd


def share_data(data: Any) -> Any:
    """`data` (PreparedData) with its arrays of SHARE_BYTES or more moved into one shared
    mapping, so the trainer and the window read the same pages (child side)."""
    if not SHARING:
        return data
    parts = [(owner, f.name) for owner in (data, data.dataset) for f in dataclasses.fields(owner)]
    big = [(owner, name) for owner, name in parts
           if isinstance(getattr(owner, name), np.ndarray) and getattr(owner, name).nbytes >= SHARE_BYTES]  # fmt: skip
    if not big:
        return data
    sizes = [-(-getattr(owner, name).nbytes // 64) * 64 for owner, name in big]  # 64-byte aligned
    fd = _anonymous_file(sum(sizes))
    mapped = mmap.mmap(fd, sum(sizes))
    weakref.finalize(mapped, os.close, fd)  # the descriptor lives as long as an array uses the mapping
    moved: dict[int, dict[str, np.ndarray]] = {id(data): {}, id(data.dataset): {}}
    offset = 0
    for (owner, name), size in zip(big, sizes, strict=True):
        old = getattr(owner, name)
        new = np.ndarray(old.shape, old.dtype, buffer=mapped, offset=offset)
        new[...] = old
        key = id(new)
        _SHARED[key] = (weakref.ref(new, lambda _ref, key=key: _SHARED.pop(key, None)), fd, offset)
        moved[id(owner)][name] = new
        offset += size
    dataset = dataclasses.replace(data.dataset, **moved[id(data.dataset)])
    return dataclasses.replace(data, dataset=dataset, **moved[id(data)])


def dumps_data(data: Any) -> tuple[bytes, list[int]]:
    """Prepared data pickled with each shared array as (descriptor index, offset, shape, dtype),
    and the descriptors to pass along (child side)."""
    fds: list[int] = []

    class DataPickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> Any:
            if type(obj) is not np.ndarray:
                return None
            entry = _SHARED.get(id(obj))
            if entry is None or entry[0]() is not obj:
                return None
            if entry[1] not in fds:
                fds.append(entry[1])
            return ("shared", fds.index(entry[1]), entry[2], obj.shape, obj.dtype.str)

    out = io.BytesIO()
    DataPickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(data)
    return out.getvalue(), fds


def loads_data(blob: bytes, fds: list[int]) -> Any:
    """The other end of `dumps_data`: shared arrays map the passed descriptors, read-only (UI side)."""
    maps = []
    for fd in fds:
        try:
            maps.append(mmap.mmap(fd, 0, access=mmap.ACCESS_READ))
        finally:
            os.close(fd)  # the mapping keeps the memory

    class DataUnpickler(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> Any:
            _kind, index, offset, shape, dtype = pid
            return np.ndarray(shape, np.dtype(dtype), buffer=maps[index], offset=offset)

    return DataUnpickler(io.BytesIO(blob)).load()


def pack_history(sent: dict[str, tuple[array, int]], history: dict[str, Any]) -> dict[str, tuple[bool, array]]:
    """Each series of `history` as the values added since `sent` last saw it (whole, True, when
    it is another series: a new run's); `sent` is brought up to date."""
    out: dict[str, tuple[bool, array]] = {}
    for key, series in history.items():
        values, n = series.source, len(series)
        last = sent.get(key)
        if last is not None and last[0] is values and last[1] <= n:
            out[key] = (False, values[last[1] : n])  # only what was added since
        else:
            out[key] = (True, values[:n])
        sent[key] = (values, n)
    return out


def unpack_history(kept: dict[str, array], packed: dict[str, tuple[bool, array]]) -> dict[str, Series]:
    """The other end of `pack_history`: the series again, from the values `kept` so far."""
    series = {}
    for key, (full, values) in packed.items():
        if full or key not in kept:
            kept[key] = values  # a new run's series: earlier snapshots keep the old array
        else:
            kept[key].extend(values)
        series[key] = Series(kept[key], len(kept[key]))
    return series


class Packer:
    """Child side: a snapshot made small for the pipe, relative to the last one sent."""

    def __init__(self) -> None:
        self._last: dict[str, Any] = {}  # held, so an id is never reused while compared
        self._history: dict[str, tuple[array, int]] = {}

    def pack(self, snap: Any) -> tuple[Any, tuple[str, ...], dict[str, tuple[bool, array]], bytes, list[int]]:
        """(snapshot without what is sent apart or not at all, the fields unchanged since the
        last one, the history's new values, the prepared data pickled when new, their descriptors)."""
        same = []
        for name in MEMO_FIELDS:
            value = getattr(snap, name)
            if name in self._last and self._last[name] is value:
                same.append(name)
            else:
                self._last[name] = value
        history = pack_history(self._history, snap.history)
        blob, fds = dumps_data(snap.data) if "data" not in same else (b"", [])
        light = dataclasses.replace(snap, **{**{name: None for name in same}, "history": {}, "data": None})
        return light, tuple(same), history, blob, fds


class Unpacker:
    """UI side: the snapshot again, sharing with the last one what the child did not resend."""

    def __init__(self) -> None:
        self._last: dict[str, Any] = {}
        self._history: dict[str, array] = {}

    def unpack(self, light: Any, same: tuple[str, ...], history: dict[str, tuple[bool, array]], data: Any) -> Any:
        if "data" not in same:
            light = dataclasses.replace(light, data=data)
        for name in MEMO_FIELDS:
            if name not in same:
                self._last[name] = getattr(light, name)
        series = unpack_history(self._history, history)
        return dataclasses.replace(light, history=series, **{name: self._last[name] for name in same})


class RacePacker:
    """Child side: a race's snapshot (playground/run/race_worker.py) made small for the pipe: its
    prepared data once a race, each lane's history as the values added since the last one."""

    def __init__(self) -> None:
        self._data: Any = None  # held, so an id is never reused while compared
        self._history: dict[str, tuple[array, int]] = {}

    def pack(self, snap: Any) -> tuple[Any, tuple[str, ...], dict[str, tuple[bool, array]], bytes, list[int]]:
        same = ("data",) if snap.data is self._data else ()
        self._data = snap.data
        flat = {f"{i}/{key}": series for i, lane in enumerate(snap.lanes) for key, series in lane.history.items()}
        history = pack_history(self._history, flat)
        blob, fds = dumps_data(snap.data) if not same else (b"", [])
        lanes = [dataclasses.replace(lane, history={}) for lane in snap.lanes]
        return dataclasses.replace(snap, lanes=lanes, data=None), same, history, blob, fds


class RaceUnpacker:
    """UI side: a race's snapshot again (the other end of RacePacker)."""

    def __init__(self) -> None:
        self._data: Any = None
        self._history: dict[str, array] = {}

    def unpack(self, light: Any, same: tuple[str, ...], history: dict[str, tuple[bool, array]], data: Any) -> Any:
        if "data" not in same:
            self._data = data
        lanes: list[dict[str, Series]] = [{} for _ in light.lanes]
        for key, series in unpack_history(self._history, history).items():
            lane, name = key.split("/", 1)
            lanes[int(lane)][name] = series
        return dataclasses.replace(light, data=self._data,
                                   lanes=[dataclasses.replace(lane, history=h) for lane, h in zip(light.lanes, lanes)])
