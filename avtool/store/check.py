"""`avtool store check`: validate a store's structure and index tables (a file or a shard set)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avtool.errors import StoreError
from avtool.store.reader import FeatureStore
from avtool.store.shards import open_store


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
