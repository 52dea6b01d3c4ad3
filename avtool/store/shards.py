"""A set of store shards read as one store; `open_store` opens a file or a set.

Distributed extraction (`avtool extract-features --shard I/N`, e.g. one job-array task per
shard) writes one store per worker; readers take the set: `open_store("feats-*.h5")` or
`open_store("shards/")` returns a `StoreSet` with the same reading API as `FeatureStore`.
`avtool store merge OUT SHARD...` writes them into one file.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import StoreError
from avtool.store.reader import Feature, FeatureInfo, FeatureStore, ItemInfo


def shard_paths(spec: str | Path) -> list[Path]:
    """Store files named by a directory (its *.h5), a glob pattern, or a single path."""
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        found = sorted(path.glob("*.h5"))
    elif any(ch in text for ch in "*?["):
        found = sorted(Path(p) for p in glob.glob(text))
    else:
        return [path]
    if not found:
        raise StoreError(f"{spec}: no store shards found")
    return found


class StoreSet:
    """Several stores read as one: item ids must be unique across shards and each feature
    must have the same recipe (extractor, parameters) in every shard that has it."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self.shards = [FeatureStore(p) for p in self.paths]
        self._owner: dict[str, int] | None = None
        features: dict[str, FeatureInfo] = {}
        for shard in self.shards:
            for name, info in shard.features.items():
                if name in features and not features[name].same_recipe(info):
                    raise StoreError(f"{shard.path}: feature {name!r} was made with other "
                                     "parameters than in the other shards")
                features.setdefault(name, info)
        self.features = features
        self.path = self.paths[0]

    def _owners(self) -> dict[str, int]:
        if self._owner is None:
            owner: dict[str, int] = {}
            for k, shard in enumerate(self.shards):
                for item_id in shard.ids:
                    if item_id in owner:
                        raise StoreError(f"item {item_id!r} is in both {self.paths[owner[item_id]]}"
                                         f" and {shard.path}")
                    owner[item_id] = k
            self._owner = owner
        return self._owner

    def _shard(self, item_id: str) -> FeatureStore:
        try:
            return self.shards[self._owners()[item_id]]
        except KeyError:
            raise StoreError(f"no item {item_id!r} in {len(self.shards)} shards") from None

    @property
    def ids(self) -> list[str]:
        return [i for shard in self.shards for i in shard.ids]

    def __len__(self) -> int:
        return sum(len(s) for s in self.shards)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._owners()

    def feature_info(self, name: str) -> FeatureInfo:
        if name not in self.features:
            raise StoreError(f"no feature {name!r} in the shards (have: "
                             f"{', '.join(self.features) or 'none'})")
        return self.features[name]

    def item(self, item_id: str) -> ItemInfo:
        return self._shard(item_id).item(item_id)

    def items(self) -> list[ItemInfo]:
        return [it for shard in self.shards for it in shard.items()]

    def has(self, item_id: str, feature: str) -> bool:
        return item_id in self and self._shard(item_id).has(item_id, feature)

    @property
    def schema_version(self) -> int:
        return min(s.schema_version for s in self.shards)

    def total_frames(self, feature: str) -> int:
        return sum(s.total_frames(feature) for s in self.shards if feature in s.features)

    def total_duration(self) -> float:
        return sum(s.total_duration() for s in self.shards)

    def count(self, feature: str) -> int:
        return sum(s.count(feature) for s in self.shards if feature in s.features)

    def read(self, item_id: str, feature: str, start: int = 0, stop: int | None = None
             ) -> np.ndarray:
        return self._shard(item_id).read(item_id, feature, start, stop)

    def read_feature(self, item_id: str, feature: str) -> Feature:
        return Feature(self.read(item_id, feature), self.feature_info(feature).frame_rate)

    def num_frames(self, item_id: str, feature: str) -> int:
        return self._shard(item_id).num_frames(item_id, feature)

    def batches(self, feature: str, batch_size: int = 64, ids: Sequence[str] | None = None
                ) -> Iterator[tuple[list[str], list[np.ndarray]]]:
        if ids is not None:
            for b in range(0, len(ids), batch_size):
                chunk = [i for i in ids[b: b + batch_size] if self.has(i, feature)]
                yield chunk, [self.read(i, feature) for i in chunk]
            return
        for shard in self.shards:
            if feature in shard.features:
                yield from shard.batches(feature, batch_size)

    def close(self) -> None:
        for shard in self.shards:
            shard.close()

    def __enter__(self) -> StoreSet:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_store(path: str | Path):
    """Open a store for reading (raises StoreError naming the file if it is not one).

    A directory or a glob pattern (``"feats-*.h5"``) opens every shard in it as one
    `avtool.store.StoreSet` with the same reading API.
    """
    text = str(path)
    if Path(text).is_dir() or any(ch in text for ch in "*?["):
        return StoreSet(shard_paths(text))
    return FeatureStore(path)
