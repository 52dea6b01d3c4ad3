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

Writing: `avtool.store.writer` (`StoreWriter`: journal, atomic commit, single-writer lock).
Readers need no lock. Reader handles open lazily and reopen after fork, so a store can be passed
to DataLoader workers.

Readers validate what they rely on, with the messages of `avtool store check`: the layout
(every dataset present, index tables of one length per item, frame shapes as recorded) when
the store opens, which reads only metadata; unique ids when the ids load; an index that stays
inside the data when a feature's table loads; finite values when frames are read.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
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
        self._check_layout(h5)

    def _check_layout(self, h5) -> None:
        """Datasets, lengths and frame shapes (metadata only: opening stays instant)."""
        items = h5["items"]
        if "id" not in items:
            raise StoreError(f"{self.path}: /items/id missing")
        n = items["id"].shape[0] if items["id"].ndim == 1 else -1
        for column in ("id", "source", "duration", "meta"):
            if column not in items or items[column].shape != (n,):
                raise StoreError(f"{self.path}: /items/{column} missing or not of length "
                                 f"{max(n, 0)}")
        for name in h5["features"]:
            group = h5["features"][name]
            for key in ("data", "offset", "length"):
                if key not in group:
                    raise StoreError(f"{self.path}: /features/{name}/{key} missing")
            if group["offset"].shape != (n,) or group["length"].shape != (n,):
                raise StoreError(f"{self.path}: /features/{name} index is not of length {n}")
            try:
                info = FeatureInfo.from_attrs(name, group.attrs)
            except (KeyError, ValueError, TypeError) as err:
                raise StoreError(f"{self.path}: /features/{name} attributes are malformed "
                                 f"({first_line(err)})") from None
            if tuple(group["data"].shape[1:]) != info.frame_shape:
                raise StoreError(f"{self.path}: /features/{name}/data frame shape "
                                 f"{group['data'].shape[1:]} != recorded {info.frame_shape}")
            if not info.frame_rate > 0:
                raise StoreError(f"{self.path}: /features/{name} has frame_rate <= 0")

    # contents ----------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        if self._ids is None:
            ids = [s.decode() if isinstance(s, bytes) else s for s in self.h5["items/id"][()]]
            if len(set(ids)) != len(ids):
                twice = next(i for i, n in Counter(ids).items() if n > 1)
                raise StoreError(f"{self.path}: duplicate item ids ({twice!r} and maybe more)")
            self._ids = ids
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
        """A feature's (offset, length) index, checked to stay inside its data."""
        if name not in self._tables:
            self.feature_info(name)
            group = self.h5["features"][name]
            offset, length = group["offset"][()], group["length"][()]
            present = offset >= 0
            if (length[present] < 0).any() or (offset[present] + length[present] >
                                                group["data"].shape[0]).any():
                raise StoreError(f"{self.path}: /features/{name} index points past the data")
            self._tables[name] = (offset, length)
        return self._tables[name]

    def check_finite(self, name: str, rows: int = 1 << 16) -> None:
        """Scan a feature's whole data for NaN/inf (`avtool store check`), in blocks."""
        offset, length = self._table(name)
        data = self._data(name)
        if data.dtype.kind != "f":
            return
        for lo in range(0, data.shape[0], rows):
            block = data[lo: lo + rows]
            if not np.isfinite(block).all():
                row = lo + int(np.argwhere(~np.isfinite(block.reshape(len(block), -1)))[0, 0])
                hit = np.flatnonzero((offset >= 0) & (offset <= row) & (row < offset + length))
                raise self._not_finite(self.ids[hit[0]] if len(hit) else f"row {row}", name)

    def _finite(self, array: np.ndarray, item_id: str, feature: str) -> np.ndarray:
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise self._not_finite(item_id, feature)
        return array

    def _not_finite(self, item_id: str, feature: str) -> StoreError:
        return StoreError(f"{self.path}: item {item_id!r} feature {feature!r} has NaN/inf "
                          "values")

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
        return self._finite(self._data(feature)[offset[i] + start: offset[i] + max(start, stop)],
                            item_id, feature)

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
            ids = [self.ids[i] for i in idx]
            yield ids, [self._finite(a, i, feature) for i, a in zip(ids, arrays, strict=True)]


def _as_str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
