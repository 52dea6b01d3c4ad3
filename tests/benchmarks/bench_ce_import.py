"""Benchmark: reading CE's released expert pickles safely, and `avtool import ce-features`.

A synthetic CE release in the MSR-VTT layout (`--videos` 10,000 videos: senet154 pooled (2048,),
VGGish audio (30-36, 128) rows, word2vec speech (20-26, 300) rows, missing for 5% / 40% of the
videos as CE's NaN; about 410 MB). Reference, in the same run: plain ``pickle.load`` (which
would run any code a file asks for). Prints per file the restricted unpickler's time against
it (ratio), then the whole import into a store and a rerun that finds everything done.
Best of 3 for the loads.

    .venv/bin/python tests/benchmarks/bench_ce_import.py [--videos 10000]
"""

from __future__ import annotations

import argparse
import pickle
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from avtool.formats.ce_features import CE_EXPERT_FILES, load_ce_pickle, write_ce_expert

# expert -> (dim, rows per video: 0 = one pooled (D,) vector, fraction missing)
EXPERTS = {"imagenet.senet154.0": (2048, 0, 0.0), "audio": (128, 30, 0.05),
           "speech": (300, 20, 0.4)}


def write_release(root: Path, videos: int) -> None:
    rng = np.random.default_rng(0)
    for expert, (dim, rows, p_missing) in EXPERTS.items():
        data: dict[str, np.ndarray | float] = {}
        for i in range(videos):
            if rng.random() < p_missing:
                data[f"video{i}"] = float("nan")
            else:
                shape = (dim,) if rows == 0 else (rows + i % 7, dim)
                data[f"video{i}"] = rng.standard_normal(shape, dtype=np.float32)
        path = root / CE_EXPERT_FILES[expert][0]
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ce_expert(path, data)


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=10_000)
    args = parser.parse_args()
    from avtool.tasks.retrieval.ce_import import import_ce_features

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "structured-symlinks"
        write_release(root, args.videos)
        print(f"{'file':<22} {'MB':>6} {'pickle.load s':>14} {'restricted s':>13} {'ratio':>6}")
        for expert in EXPERTS:
            path = root / CE_EXPERT_FILES[expert][0]

            def plain(path=path):
                with open(path, "rb") as fh:
                    pickle.load(fh)  # the reference only: this file is our own

            ref = best_of(plain)
            ours = best_of(lambda path=path: load_ce_pickle(path))
            print(f"{expert:<22} {path.stat().st_size / 1e6:>6.0f} {ref:>14.3f} {ours:>13.3f} "
                  f"{ours / ref:>6.2f}")
        store = Path(tmp) / "ce.h5"
        t0 = time.perf_counter()
        report = import_ce_features(store, root)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = import_ce_features(store, root)
        rerun = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"import {report.imported} videos: {first:.2f} s ({store.stat().st_size / 1e6:.0f} "
              f"MB store); rerun ({again.skipped} already done): {rerun:.2f} s; peak resident "
              f"memory {rss:.0f} MB")


if __name__ == "__main__":
    main()
