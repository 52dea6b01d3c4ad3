"""Writing feature stores (layout: `avtool.store.reader`): crash-safe, one writer at a time.

Crash safety: a committed store file is never modified in place. A writer puts finished
items into journal parts beside the store (``STORE.h5.journal/part-<tag>.h5``, each a small
store written to a temporary name and renamed; parallel extraction workers write their own,
see `write_journal_part`), and at the end of the run writes a new store
file and renames it over the old one. A run killed at any instant therefore leaves the last
committed store (which opens) plus complete journal parts, which the next run reuses: it only
computes what is missing, and the committed result is identical to an uninterrupted run
(items already committed keep their order; new items follow, sorted by id).

One writer at a time is enforced with an exclusive lock on ``STORE.h5.lock``, a file that
lives as long as its writer (a killed writer leaves it, unlocked, for the next one to take).
A writer that created the store and ends with nothing in it (every item failed) removes it:
a failed run leaves nothing behind.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avtool import __version__
from avtool.errors import StoreError
from avtool.store.reader import FORMAT, SCHEMA_VERSION, FeatureInfo, FeatureStore, ItemInfo
from avtool.store.shards import open_store


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
    import h5py

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
        self._created = False  # this writer made the store file
        self._made_folders: list[Path] = []  # ... and these folders for it

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
        from avtool.io import check_output, make_parents

        check_output(self.path)
        self._made_folders = make_parents(self.path)
        self._acquire_lock()
        self._clean_temporaries()
        if not self.path.exists():
            self._atomic_write([], {})  # an empty, valid store from the first instant
            self._created = True
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
        while True:
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
            if self._is_lock_file(fh):
                break
            fh.close()  # its writer removed it between our open and flock: take the new one
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._lock_fh = fh

    def _is_lock_file(self, fh) -> bool:
        try:
            return os.fstat(fh.fileno()).st_ino == os.stat(self.lock_path).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        if self._committed is not None:
            self._committed.close()
            self._committed = None
        if self._lock_fh is not None:
            if self._created:
                self._discard_if_empty()
            self.lock_path.unlink(missing_ok=True)  # still locked: nobody holds it meanwhile
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def _discard_if_empty(self) -> None:
        """Remove the store this writer created when it holds nothing (and no journal part
        waits for a rerun): a run whose every item failed leaves no 0-item store behind."""
        if self._journal_parts() or not self.path.exists():
            return
        with open_store(self.path) as store:
            empty = len(store) == 0
        if empty:
            from avtool.io import remove_empty

            self.path.unlink()
            if self.journal.exists() and not any(self.journal.iterdir()):
                self.journal.rmdir()
            self.lock_path.unlink(missing_ok=True)
            remove_empty(self._made_folders)

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

    Raises StoreError for an undeclared feature (naming the store), or a wrong frame shape or
    a NaN/inf value: a bad item, named by its source file when it has one.
    """
    checked = {}
    where = info.source or store
    for name, array in arrays.items():
        feat = features.get(name)
        if feat is None:
            raise StoreError(f"{store}: feature {name!r} was not declared to the writer")
        array = np.asarray(array)
        if tuple(array.shape[1:]) != feat.frame_shape:
            raise StoreError(
                f"{where}: item {info.id!r} feature {name!r} has frames of shape "
                f"{array.shape[1:]}, expected {feat.frame_shape}"
            )
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise StoreError(f"{where}: item {info.id!r} feature {name!r} has NaN/inf values")
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
