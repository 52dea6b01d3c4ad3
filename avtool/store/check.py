"""`avtool store check`: validate a store's structure, index tables and values (a file or a
shard set). The checks are the readers' own (`avtool.store.reader`), run over everything at
once, plus a scan of every value for NaN/inf."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avtool.errors import StoreError
from avtool.store.reader import FeatureStore
from avtool.store.shards import open_store


def check_store(path: str | Path) -> dict[str, Any]:
    """Validate a store's structure, tables and values; returns a summary or raises StoreError.

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
        n = len(store.ids)  # unique ids
        for name in store.features:
            store.check_finite(name)  # loads the index (inside the data) and scans the values
        return {"path": str(store.path), "items": n, "features": list(store.features),
                "valid": True}
    finally:
        store.close()
