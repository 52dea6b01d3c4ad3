"""The HDF5 feature store: the one contract between avtool's stages.

Layout (schema 1), readable with plain h5py::

    /                         attrs: format="avtool-feature-store", schema_version=1,
                                     avtool_version
    /items/id                 (N,) utf-8 strings, the item ids (unique)
    /items/source             (N,) utf-8 strings, the media file each item came from
    /items/duration           (N,) float64 seconds
    /items/meta               (N,) utf-8 JSON objects: labels (speaker, split, classes...),
                                   start/end of the excerpt, source_stat (size and mtime_ns
                                   of the media file when extracted)
    /features/<name>/         attrs: extractor, config (JSON), frame_rate, frame_shape,
                                     dtype, avtool_version, model_checksum
    /features/<name>/data     (total_frames, *frame_shape): all items' frames, concatenated
    /features/<name>/offset   (N,) int64: first row of item i in data (-1: item lacks feature)
    /features/<name>/length   (N,) int64: number of frames of item i

    item i, feature f  ==  f["features/f/data"][offset[i] : offset[i] + length[i]]

Crash safety: a committed store file is never modified in place. A writer puts finished
items into journal parts beside the store (``STORE.h5.journal/part-<tag>.h5``, each a small
store written to a temporary name and renamed; parallel extraction workers write their own,
see `write_journal_part`), and at the end of the run writes a new store
file and renames it over the old one. A run killed at any instant therefore leaves the last
committed store (which opens) plus complete journal parts, which the next run reuses: it only
computes what is missing, and the committed result is identical to an uninterrupted run
(items already committed keep their order; new items follow, sorted by id).

One writer at a time is enforced with an exclusive lock on ``STORE.h5.lock``; readers need
no lock. Reader handles open lazily and reopen after fork, so a store can be passed to
DataLoader workers.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool import __version__
from avtool.errors import StoreError, first_line

FORMAT = "avtool-feature-store"
SCHEMA_VERSION = 1
_STR = None  # set lazily: h5py.string_dtype()


def _h5py():
    import h5py

    return h5py


# --------------------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class FeatureInfo:
    """Provenance of one feature: what produced it and how to interpret its frames."""

    name: str
    extractor: str
    config: dict[str, Any]
    frame_rate: float
    frame_shape: tuple[int, ...]
    dtype: str
    avtool_version: str = __version__
    model_checksum: str = ""

    @property
    def dim(self) -> int:
        return int(np.prod(self.frame_shape)) if self.frame_shape else 1

    def same_recipe(self, other: FeatureInfo) -> bool:
        """True when both were made by the same extractor with the same parameters."""
        return (self.extractor, self.config, self.frame_shape, self.dtype, self.model_checksum) == (
            other.extractor, other.config, other.frame_shape, other.dtype, other.model_checksum
        )

    def to_attrs(self) -> dict[str, Any]:
        return {
            "extractor": self.extractor,
            "config": json.dumps(self.config, sort_keys=True),
            "frame_rate": float(self.frame_rate),
            "frame_shape": np.asarray(self.frame_shape, dtype=np.int64),
            "dtype": self.dtype,
            "avtool_version": self.avtool_version,
            "model_checksum": self.model_checksum,
        }

    @classmethod
    def from_attrs(cls, name: str, attrs: Mapping[str, Any]) -> FeatureInfo:
        return cls(
            name=name,
            extractor=str(attrs["extractor"]),
            config=json.loads(attrs["config"]),
            frame_rate=float(attrs["frame_rate"]),
            frame_shape=tuple(int(x) for x in np.atleast_1d(attrs["frame_shape"]))
            if np.size(attrs["frame_shape"]) else (),
            dtype=str(attrs["dtype"]),
            avtool_version=str(attrs.get("avtool_version", "")),
            model_checksum=str(attrs.get("model_checksum", "")),
        )


@dataclass(frozen=True)
class ItemInfo:
    """Per-item metadata: where it came from, how long it is, and its labels."""

    id: str
    source: str = ""
    duration: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Feature:
    """One item's feature: frames (time first) with the frame rate to place them in time."""

    data: np.ndarray
    frame_rate: float

    @property
    def duration(self) -> float:
        return len(self.data) / self.frame_rate if self.frame_rate else 0.0


# --------------------------------------------------------------------------- reading


class FeatureStore:
    """Read-only view of a store file. Cheap to open; handles open on first use.

    Example::

        from avtool.store import open_store
        with open_store("features.h5") as store:
            print(store.ids[:3], store.features["fbank"].frame_rate)
            x = store.read("utt1", "fbank")          # numpy array (frames, 80)
            for ids, arrays in store.batches("fbank", batch_size=64):
                ...
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = None
        self._pid = None
        self._ids: list[str] | None = None
        self._index: dict[str, int] | None = None
        self._features: dict[str, FeatureInfo] | None = None
        self._tables: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._datasets: dict[str, Any] = {}
        self._check_header()

    # handles -----------------------------------------------------------------
    @property
    def h5(self):
        """The open h5py.File (reopened after fork: h5py handles do not survive it)."""
        if self._file is None or self._pid != os.getpid():
            try:
                self._file = _h5py().File(self.path, "r")
            except (OSError, FileNotFoundError) as err:
                raise StoreError(f"{self.path}: cannot open store ({first_line(err)})") from None
            self._pid = os.getpid()
            self._datasets = {}
        return self._file

    def _data(self, feature: str):
        """The h5py dataset of a feature's frames (cached: group lookups cost ~20 us each)."""
        h5 = self.h5
        if feature not in self._datasets:
            self._datasets[feature] = h5["features"][feature]["data"]
        return self._datasets[feature]

    def close(self) -> None:
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = None
        self._datasets = {}

    def __enter__(self) -> FeatureStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_file"] = None
        state["_datasets"] = {}
        return state

    def _check_header(self) -> None:
        if not self.path.exists():
            raise StoreError(f"{self.path}: no such store")
        h5 = self.h5
        fmt = h5.attrs.get("format")
        if fmt != FORMAT:
            raise StoreError(f"{self.path}: not an avtool feature store (format={fmt!r})")
        version = int(h5.attrs.get("schema_version", -1))
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version}, this avtool reads {SCHEMA_VERSION}"
            )
        if "items" not in h5 or "features" not in h5:
            raise StoreError(f"{self.path}: missing /items or /features group")

    # contents ----------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        if self._ids is None:
            self._ids = [s.decode() if isinstance(s, bytes) else s for s in self.h5["items/id"][()]]
        return self._ids

    def __len__(self) -> int:
        return int(self.h5["items/id"].shape[0])

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._id_index()

    def _id_index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {item_id: i for i, item_id in enumerate(self.ids)}
        return self._index

    def index_of(self, item_id: str) -> int:
        try:
            return self._id_index()[item_id]
        except KeyError:
            raise StoreError(f"{self.path}: no item {item_id!r}") from None

    @property
    def features(self) -> dict[str, FeatureInfo]:
        if self._features is None:
            group = self.h5["features"]
            self._features = {n: FeatureInfo.from_attrs(n, group[n].attrs) for n in group}
        return self._features

    def feature_info(self, name: str) -> FeatureInfo:
        try:
            return self.features[name]
        except KeyError:
            have = ", ".join(self.features) or "none"
            raise StoreError(f"{self.path}: no feature {name!r} (store has: {have})") from None

    def _table(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._tables:
            self.feature_info(name)
            group = self.h5["features"][name]
            self._tables[name] = (group["offset"][()], group["length"][()])
        return self._tables[name]

    @property
    def schema_version(self) -> int:
        return int(self.h5.attrs["schema_version"])

    def total_frames(self, feature: str) -> int:
        """Rows of all items' frames of `feature`."""
        self.feature_info(feature)
        return int(self._data(feature).shape[0])

    def total_duration(self) -> float:
        """Sum of the items' durations in seconds."""
        return float(self.h5["items/duration"][()].sum()) if len(self) else 0.0

    def count(self, feature: str) -> int:
        """Number of items that have `feature`."""
        offset, _ = self._table(feature)
        return int((offset >= 0).sum())

    def item(self, item_id: str) -> ItemInfo:
        i = self.index_of(item_id)
        items = self.h5["items"]
        return ItemInfo(
            id=item_id,
            source=_as_str(items["source"][i]),
            duration=float(items["duration"][i]),
            meta=json.loads(_as_str(items["meta"][i]) or "{}"),
        )

    def items(self) -> list[ItemInfo]:
        """All items' metadata, in store order (one read per column)."""
        items = self.h5["items"]
        sources = items["source"][()]
        durations = items["duration"][()]
        metas = items["meta"][()]
        return [
            ItemInfo(i, _as_str(s), float(d), json.loads(_as_str(m) or "{}"))
            for i, s, d, m in zip(self.ids, sources, durations, metas, strict=True)
        ]

    def has(self, item_id: str, feature: str) -> bool:
        if feature not in self.features or item_id not in self:
            return False
        offset, _ = self._table(feature)
        return bool(offset[self.index_of(item_id)] >= 0)

    def read(self, item_id: str, feature: str, start: int = 0, stop: int | None = None
             ) -> np.ndarray:
        """Frames [start:stop) of one item's feature, as a numpy array (time first)."""
        offset, length = self._table(feature)
        i = self.index_of(item_id)
        if offset[i] < 0:
            raise StoreError(f"{self.path}: item {item_id!r} has no feature {feature!r}")
        n = int(length[i])
        stop = n if stop is None else min(int(stop), n)
        start = max(0, int(start))
        return self._data(feature)[offset[i] + start: offset[i] + max(start, stop)]

    def read_feature(self, item_id: str, feature: str) -> Feature:
        return Feature(self.read(item_id, feature), self.feature_info(feature).frame_rate)

    def num_frames(self, item_id: str, feature: str) -> int:
        _, length = self._table(feature)
        return int(length[self.index_of(item_id)])

    def batches(self, feature: str, batch_size: int = 64, ids: Sequence[str] | None = None
                ) -> Iterator[tuple[list[str], list[np.ndarray]]]:
        """Iterate (ids, arrays) in store order; consecutive items are read in one slice."""
        offset, length = self._table(feature)
        data = self._data(feature)
        order = range(len(self)) if ids is None else [self.index_of(i) for i in ids]
        order = [i for i in order if offset[i] >= 0]
        for b in range(0, len(order), batch_size):
            idx = order[b: b + batch_size]
            lo = min(offset[i] for i in idx)
            hi = max(offset[i] + length[i] for i in idx)
            contiguous = hi - lo == sum(int(length[i]) for i in idx)
            if contiguous:
                block = data[lo:hi]
                arrays = [block[offset[i] - lo: offset[i] - lo + length[i]] for i in idx]
            else:
                arrays = [data[offset[i]: offset[i] + length[i]] for i in idx]
            yield [self.ids[i] for i in idx], arrays


def open_store(path: str | Path):
    """Open a store for reading (raises StoreError naming the file if it is not one).

    A directory or a glob pattern (``"feats-*.h5"``) opens every shard in it as one
    `avtool.store_set.StoreSet` with the same reading API.
    """
    text = str(path)
    if Path(text).is_dir() or any(ch in text for ch in "*?["):
        from avtool.store_set import StoreSet, shard_paths

        return StoreSet(shard_paths(text))
    return FeatureStore(path)


def _as_str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)



# --------------------------------------------------------------------------- writing


@dataclass
class _Pending:
    info: ItemInfo
    arrays: dict[str, np.ndarray]


def write_store_file(
    path: Path,
    items: Sequence[ItemInfo],
    features: Mapping[str, FeatureInfo],
    arrays: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    sources: Sequence[FeatureStore] = (),
) -> None:
    """Write a complete store file at `path` (callers write to a temporary name and rename).

    Frames of each (item, feature) come from `arrays[feature][item]` if present, otherwise
    from the first of `sources` that has them. Data are written contiguously, uncompressed:
    file overhead stays a small fraction of the raw bytes and opening stays fast.
    """
    h5py = _h5py()
    arrays = arrays or {}
    str_dt = h5py.string_dtype()
    with h5py.File(path, "w") as h5:
        h5.attrs["format"] = FORMAT
        h5.attrs["schema_version"] = SCHEMA_VERSION
        h5.attrs["avtool_version"] = __version__
        group = h5.create_group("items")
        group.create_dataset("id", data=np.array([it.id for it in items], dtype=object),
                             dtype=str_dt)
        group.create_dataset("source", data=np.array([it.source for it in items], dtype=object),
                             dtype=str_dt)
        group.create_dataset("duration", data=np.array([it.duration for it in items], "f8"))
        group.create_dataset(
            "meta", dtype=str_dt,
            data=np.array([json.dumps(it.meta, sort_keys=True) for it in items], dtype=object),
        )
        fgroup = h5.create_group("features")
        for name, info in features.items():
            _write_feature(fgroup, name, info, items, arrays.get(name, {}), sources)


def _write_feature(fgroup, name: str, info: FeatureInfo, items: Sequence[ItemInfo],
                   new: Mapping[str, np.ndarray], sources: Sequence[FeatureStore]) -> None:
    n = len(items)
    lengths = np.zeros(n, np.int64)
    offsets = np.full(n, -1, np.int64)
    where: list[tuple[str, Any]] = []  # per item: ("new", array) | ("src", store) | ("none",)
    for i, it in enumerate(items):
        if it.id in new:
            where.append(("new", new[it.id]))
            lengths[i] = len(new[it.id])
            continue
        src = next((s for s in sources if s.has(it.id, name)), None)
        if src is None:
            where.append(("none", None))
        else:
            where.append(("src", src))
            lengths[i] = src.num_frames(it.id, name)
    present = np.array([w[0] != "none" for w in where], bool)
    offsets[present] = np.concatenate([[0], np.cumsum(lengths[present])[:-1]]) if present.any() \
        else np.zeros(0, np.int64)
    total = int(lengths.sum())
    group = fgroup.create_group(name)
    for key, value in info.to_attrs().items():
        group.attrs[key] = value
    data = group.create_dataset("data", shape=(total, *info.frame_shape), dtype=info.dtype)
    # Copy in runs of ~64 MiB so memory stays bounded at any store size.
    row_bytes = max(1, info.dim * np.dtype(info.dtype).itemsize)
    run_rows = max(1, (64 << 20) // row_bytes)
    buffer: list[np.ndarray] = []
    buffered = 0
    cursor = 0
    for (kind, obj), it in zip(where, items, strict=True):
        if kind == "none":
            continue
        block = obj if kind == "new" else obj.read(it.id, name)
        buffer.append(np.asarray(block, dtype=info.dtype))
        buffered += len(block)
        if buffered >= run_rows:
            data[cursor: cursor + buffered] = np.concatenate(buffer)
            cursor += buffered
            buffer, buffered = [], 0
    if buffered:
        data[cursor: cursor + buffered] = np.concatenate(buffer)
    group.create_dataset("offset", data=offsets)
    group.create_dataset("length", data=lengths)


class StoreWriter:
    """The single writer of a store: lock, journal, commit.

    Example::

        with StoreWriter("features.h5", {"fbank": info}) as writer:
            for item_id, path in todo:
                if not writer.has(item_id, "fbank"):
                    writer.add(ItemInfo(item_id, path, 3.2, {"speaker": "id10001"}),
                               {"fbank": frames})
        # leaving the block commits; an exception leaves the journal for the next run
    """

    def __init__(self, path: str | Path, features: Mapping[str, FeatureInfo],
                 part_items: int = 256, part_bytes: int = 64 << 20) -> None:
        self.path = Path(path)
        self.journal = self.path.with_name(self.path.name + ".journal")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.features = dict(features)
        self.part_items = part_items
        self.part_bytes = part_bytes
        self._lock_fh = None
        self._pending: list[_Pending] = []
        self._pending_bytes = 0
        self._done: dict[str, set[str]] = {}
        self._journaled: dict[str, ItemInfo] = {}  # items waiting in the journal
        self._committed: FeatureStore | None = None
        self._committed_items: dict[str, ItemInfo] | None = None

    # lifecycle -----------------------------------------------------------------
    def __enter__(self) -> StoreWriter:
        try:
            self.open()
        except BaseException:
            self.release()  # a refused open must not keep the lock
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.commit()
            else:
                self.flush()  # keep finished items for the next run
        finally:
            self.release()

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        self._clean_temporaries()
        if not self.path.exists():
            self._atomic_write([], {})  # an empty, valid store from the first instant
        self._committed = open_store(self.path)
        for name, info in self.features.items():
            have = self._committed.features.get(name)
            if have is not None and not have.same_recipe(info):
                raise StoreError(
                    f"{self.path}: feature {name!r} exists with other parameters "
                    f"({have.extractor} {have.config}); write to another store"
                )
        for name in self.features:
            self._done[name] = {i for i in self._committed.ids if self._committed.has(i, name)}
        for part in reversed(self._journal_parts()):  # oldest first: newer parts overwrite
            store = open_store(part)
            for name in self.features:
                if name in store.features:
                    self._done[name].update(i for i in store.ids if store.has(i, name))
            self._journaled.update({it.id: it for it in store.items()})
            store.close()

    def _acquire_lock(self) -> None:
        fh = open(self.lock_path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            owner = fh.read().strip() or "another process"
            fh.close()
            raise StoreError(
                f"{self.path}: another writer holds the store (pid {owner}); "
                "wait for it to finish or write to another store"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._lock_fh = fh

    def release(self) -> None:
        if self._committed is not None:
            self._committed.close()
            self._committed = None
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def lock_fd(self) -> int | None:
        """The lock's file descriptor. A forked child must close it: the flock belongs to the
        open file, so a child that outlives a killed writer would keep the store locked."""
        return None if self._lock_fh is None else self._lock_fh.fileno()

    # adding ---------------------------------------------------------------------
    def has(self, item_id: str, feature: str) -> bool:
        """True when the item's feature is committed or waiting in the journal."""
        return item_id in self._done.get(feature, ())

    def item_info(self, item_id: str) -> ItemInfo | None:
        """What the store (journal first, then the committed file) records of an item."""
        if item_id in self._journaled:
            return self._journaled[item_id]
        if self._committed_items is None:
            self._committed_items = {it.id: it for it in self._committed.items()}
        return self._committed_items.get(item_id)

    def features_of(self, item_id: str) -> list[str]:
        """Every feature the store has (or journals) for an item, the writer's or not."""
        have = {n for n, done in self._done.items() if item_id in done}
        if item_id in self._committed:
            have.update(n for n in self._committed.features if self._committed.has(item_id, n))
        return sorted(have)

    def missing(self, item_ids: Iterable[str]) -> list[str]:
        """The ids that lack at least one of the writer's features."""
        return [i for i in item_ids if not all(self.has(i, f) for f in self.features)]

    def add(self, info: ItemInfo, arrays: Mapping[str, np.ndarray]) -> None:
        """Queue one item (validated now); full parts go to the journal."""
        checked = check_item_arrays(self.path, self.features, info, arrays)
        self._pending.append(_Pending(info, checked))
        self._pending_bytes += sum(a.nbytes for a in checked.values())
        self.record(info.id, checked)
        if len(self._pending) >= self.part_items or self._pending_bytes >= self.part_bytes:
            self.flush()

    def record(self, item_id: str, features: Iterable[str]) -> None:
        """Count an item's features as done: queued here, or journaled by another process
        with :func:`write_journal_part` (parallel extraction workers write their own parts)."""
        for name in features:
            self._done.setdefault(name, set()).add(item_id)

    def journal_dir(self) -> Path:
        """The journal folder (created), for processes that write parts themselves."""
        self.journal.mkdir(exist_ok=True)
        return self.journal

    def flush(self) -> None:
        """Write queued items as one journal part (atomically)."""
        if not self._pending:
            return
        n = len(self._journal_parts())
        while (self.journal / f"part-{n:06d}.h5").exists():
            n += 1
        write_journal_part(self.journal_dir(), [p.info for p in self._pending], self.features,
                           [p.arrays for p in self._pending], f"{n:06d}")
        self._pending, self._pending_bytes = [], 0

    def commit(self) -> None:
        """Merge committed store + journal into a new file and rename it over the store."""
        self.flush()
        parts = [open_store(p) for p in self._journal_parts()]
        if not parts:
            if self.journal.exists() and not any(self.journal.iterdir()):
                self.journal.rmdir()  # made for worker parts that never came
            return
        committed = self._committed
        known = set(committed.ids)
        journaled: dict[str, ItemInfo] = {}
        for store in parts:  # newest first: an item extracted again takes its latest record
            for it in store.items():
                journaled.setdefault(it.id, it)
        items = [journaled.get(it.id, it) for it in committed.items()]
        items += [journaled[i] for i in sorted(journaled) if i not in known]
        features = dict(committed.features)
        for store in parts:
            for name, info in store.features.items():
                features.setdefault(name, info)
        # Journal parts come first so a feature added to committed items is taken from them.
        self._atomic_write(items, features, sources=[*parts, committed])
        for store in parts:
            store.close()
        committed.close()
        self._committed = open_store(self.path)
        for part in self._journal_parts():
            part.unlink()
        if self.journal.exists():
            self.journal.rmdir()

    # internals ----------------------------------------------------------------
    def _journal_parts(self) -> list[Path]:
        """Newest first: when an item was journaled twice (its source changed), the latest
        part wins in `commit` and `open`."""
        if not self.journal.exists():
            return []
        parts = list(self.journal.glob("part-*.h5"))
        return sorted(parts, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)

    def _clean_temporaries(self) -> None:
        for tmp in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            tmp.unlink()
        if self.journal.exists():
            for tmp in self.journal.glob("*.tmp"):
                tmp.unlink()

    def _atomic_write(self, items, features, sources=()) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            write_store_file(tmp, items, features, sources=sources)
            _fsync(tmp)
            os.replace(tmp, self.path)
            _fsync(self.path.parent)
        finally:
            if tmp.exists():
                tmp.unlink()


def check_item_arrays(store: Path, features: Mapping[str, FeatureInfo], info: ItemInfo,
                      arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """An item's frames, checked against the declared features and made contiguous.

    Raises StoreError for an undeclared feature, a wrong frame shape or a NaN/inf value.
    """
    checked = {}
    for name, array in arrays.items():
        feat = features.get(name)
        if feat is None:
            raise StoreError(f"{store}: feature {name!r} was not declared to the writer")
        array = np.asarray(array)
        if tuple(array.shape[1:]) != feat.frame_shape:
            raise StoreError(
                f"{store}: item {info.id!r} feature {name!r} has frames of shape "
                f"{array.shape[1:]}, expected {feat.frame_shape}"
            )
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise StoreError(f"{store}: item {info.id!r} feature {name!r} has NaN/inf")
        checked[name] = np.ascontiguousarray(array, dtype=feat.dtype)
    return checked


def write_journal_part(journal: Path, items: Sequence[ItemInfo],
                       features: Mapping[str, FeatureInfo],
                       arrays: Sequence[Mapping[str, np.ndarray]], tag: str) -> Path:
    """Write checked items (arrays[i] belongs to items[i]) as ``journal/part-<tag>.h5``.

    The part appears atomically (temporary name, then rename): a killed process leaves it whole
    or absent. Only the final commit is fsynced; durability against power loss is the committed
    store's job. `tag` must be unique among the journal's parts.
    """
    used = {name for a in arrays for name in a}
    by_feature = {name: {it.id: a[name] for it, a in zip(items, arrays, strict=True)
                         if name in a} for name in used}
    part = Path(journal) / f"part-{tag}.h5"
    tmp = part.with_name(part.name + ".tmp")
    write_store_file(tmp, items, {n: features[n] for n in used}, by_feature)
    os.replace(tmp, part)
    return part


def _fsync(path: Path) -> None:
    """Flush a file (or a directory's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- validation


def check_store(path: str | Path) -> dict[str, Any]:
    """Validate a store's structure and tables; returns a summary or raises StoreError.

    A directory or glob of shards is checked file by file, plus uniqueness of ids across them.
    """
    store = open_store(path)
    if not isinstance(store, FeatureStore):
        shards = [check_store(p) for p in store.paths]
        ids = store.ids
        if len(set(ids)) != len(ids):
            raise StoreError(f"{path}: the same item id occurs in several shards")
        store.close()
        return {"path": str(path), "items": len(ids), "shards": len(shards),
                "features": sorted({f for s in shards for f in s["features"]}), "valid": True}
    try:
        n = len(store)
        items = store.h5["items"]
        for column in ("source", "duration", "meta"):
            if column not in items or items[column].shape != (n,):
                raise StoreError(f"{store.path}: /items/{column} missing or not of length {n}")
        if len(set(store.ids)) != n:
            raise StoreError(f"{store.path}: duplicate item ids")
        for name, info in store.features.items():
            group = store.h5["features"][name]
            for key in ("data", "offset", "length"):
                if key not in group:
                    raise StoreError(f"{store.path}: /features/{name}/{key} missing")
            offset, length = group["offset"][()], group["length"][()]
            data = group["data"]
            if offset.shape != (n,) or length.shape != (n,):
                raise StoreError(f"{store.path}: /features/{name} index is not of length {n}")
            if tuple(data.shape[1:]) != info.frame_shape:
                raise StoreError(f"{store.path}: /features/{name}/data frame shape "
                                 f"{data.shape[1:]} != recorded {info.frame_shape}")
            present = offset >= 0
            if (length[present] < 0).any() or (offset[present] + length[present] >
                                                data.shape[0]).any():
                raise StoreError(f"{store.path}: /features/{name} index points past the data")
            if info.frame_rate <= 0:
                raise StoreError(f"{store.path}: /features/{name} has frame_rate <= 0")
        return {"path": str(store.path), "items": n, "features": list(store.features),
                "valid": True}
    except KeyError as err:
        raise StoreError(f"{store.path}: malformed store ({err})") from None
    finally:
        store.close()
