"""Feature-store benchmark: write/read 20,000 items of 300x64 float32 frames.

Reference, in the same run: the common "one HDF5 dataset per item" layout written with plain
h5py. Prints items/s for writing, sequential and random reading, file size against the raw
bytes, and the time to open. Targets: open < 1 s, overhead < 10 % of raw bytes.

    .venv/bin/python tests/benchmarks/bench_store.py [--items 20000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from avtool.store import FeatureInfo, ItemInfo, StoreWriter, open_store


def bench_avtool(root: Path, items: int, frames: int, dim: int, block: np.ndarray) -> dict:
    path = root / "avtool.h5"
    info = FeatureInfo("x", "bench", {}, 100.0, (dim,), "float32")
    t0 = time.perf_counter()
    with StoreWriter(path, {"x": info}, part_items=2048) as writer:
        for i in range(items):
            writer.add(ItemInfo(f"item{i:07d}", "", frames / 100.0), {"x": block[i % len(block)]})
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    store = open_store(path)
    n = len(store)
    open_s = time.perf_counter() - t0
    ids = store.ids
    t0 = time.perf_counter()
    for _, arrays in store.batches("x", batch_size=256):
        for a in arrays:
            a.sum()
    seq_s = time.perf_counter() - t0
    order = np.random.default_rng(0).permutation(n)[:5000]
    t0 = time.perf_counter()
    for i in order:
        store.read(ids[i], "x").sum()
    rand_s = time.perf_counter() - t0
    store.close()
    return {"write": items / write_s, "seq": n / seq_s, "rand": len(order) / rand_s,
            "open": open_s, "size": path.stat().st_size}


def bench_h5py_per_item(root: Path, items: int, frames: int, dim: int, block: np.ndarray) -> dict:
    path = root / "per_item.h5"
    t0 = time.perf_counter()
    with h5py.File(path, "w") as h5:
        for i in range(items):
            h5.create_dataset(f"item{i:07d}", data=block[i % len(block)])
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    h5 = h5py.File(path, "r")
    keys = list(h5.keys())
    open_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for key in keys:
        h5[key][()].sum()
    seq_s = time.perf_counter() - t0
    order = np.random.default_rng(0).permutation(len(keys))[:5000]
    t0 = time.perf_counter()
    for i in order:
        h5[keys[i]][()].sum()
    rand_s = time.perf_counter() - t0
    h5.close()
    return {"write": items / write_s, "seq": len(keys) / seq_s, "rand": len(order) / rand_s,
            "open": open_s, "size": path.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--dim", type=int, default=64)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="avtool-bench-store-"))
    try:
        block = np.random.default_rng(0).normal(size=(64, args.frames, args.dim)).astype("f4")
        raw = args.items * args.frames * args.dim * 4
        ours = bench_avtool(root, args.items, args.frames, args.dim, block)
        ref = bench_h5py_per_item(root, args.items, args.frames, args.dim, block)
        print(f"store benchmark: {args.items} items x {args.frames}x{args.dim} float32 "
              f"({raw / 2**30:.2f} GiB raw)")
        print(f"{'measure':<24}{'avtool store':>16}{'h5py per-item':>16}{'ratio':>10}")
        for key, label in (("write", "write items/s"), ("seq", "sequential read/s"),
                           ("rand", "random read/s")):
            print(f"{label:<24}{ours[key]:>16.0f}{ref[key]:>16.0f}{ours[key] / ref[key]:>9.2f}x")
        print(f"{'open seconds':<24}{ours['open']:>16.4f}{ref['open']:>16.4f}"
              f"{ref['open'] / max(ours['open'], 1e-9):>9.2f}x")
        for name, res in (("avtool store", ours), ("h5py per-item", ref)):
            print(f"file size {name}: {res['size'] / 2**20:.1f} MiB, "
                  f"overhead {100 * (res['size'] - raw) / raw:+.3f}% of raw bytes")
        print(f"targets: open < 1 s -> {'met' if ours['open'] < 1 else 'MISSED'}; "
              f"overhead < 10% -> {'met' if ours['size'] - raw < 0.1 * raw else 'MISSED'}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
