"""`avtool store merge`: the shards of a distributed extraction written into one store file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from avtool.errors import StoreError
from avtool.store.shards import StoreSet, shard_paths
from avtool.store.writer import write_store_file


def merge_stores(out: str | Path, inputs: Sequence[str | Path]) -> dict[str, Any]:
    """Write the union of `inputs` (in order) into one new store file `out`, atomically."""
    from avtool.io import check_output

    out = check_output(out)
    if out.exists():
        raise StoreError(f"{out}: exists; merge writes a new store")
    shards = StoreSet([p for spec in inputs for p in shard_paths(spec)])
    try:
        items = shards.items()
        shards._owners()  # duplicate ids are an error before anything is written
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            write_store_file(tmp, items, shards.features, sources=shards.shards)
            os.replace(tmp, out)
        finally:
            if tmp.exists():
                tmp.unlink()
        return {"out": str(out), "shards": [str(p) for p in shards.paths], "items": len(items),
                "features": list(shards.features)}
    finally:
        shards.close()
