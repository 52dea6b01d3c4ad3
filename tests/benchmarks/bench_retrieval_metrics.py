"""Benchmark: `avtool.metrics.retrieval` against full rank tables, and a 1,000 x 1,000,000 matrix.

1. 10,000 x 10,000 float32 (one caption per video, scores rounded to 1e-3 so ties occur):
   avtool's counting (in memory and from a memory-mapped .npy) against two full-rank-table
   references measured in the same run: the CE/MMT released code's method in numpy (sort every
   row, find the tied positions of the ground truth, average; v2t loops over videos) and
   scipy.stats.rankdata(method="average") (t2v only, to keep the run short; its ratio compares
   it with avtool doing both directions). All must give identical ranks.
2. 1,000 queries x 1,000,000 videos, a 4 GB float32 .npy on disk: avtool reads row blocks of the
   memory-mapped file; the reference loads the whole matrix and sorts every row. Each runs in its
   own process, which reports its time and peak resident memory (VmHWM).

Run: .venv/bin/python tests/benchmarks/bench_retrieval_metrics.py   (about 1.3 minutes, needs
about 5 GB of free disk in $TMPDIR and skips the big reference below 12 GB of free memory)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
from scipy.stats import rankdata

from avtool.metrics.retrieval import retrieval_metrics

N_DENSE = 10_000
BIG_Q, BIG_V = 1_000, 1_000_000


def ce_style_reference(sim: np.ndarray, qv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Full sorted-distance tables, tie positions averaged (the released evaluation's method)."""
    n = sim.shape[0]
    dists = -sim
    sorted_rows = np.sort(dists, axis=1)
    gt = dists[np.arange(n), qv][:, None]
    rows, cols = np.nonzero(sorted_rows == gt)
    t2v = np.bincount(rows, weights=cols, minlength=n) / np.bincount(rows, minlength=n) + 1
    v2t = []
    for j in np.unique(qv):
        col_sorted = np.sort(dists[:, j])
        v2t.append(min(np.flatnonzero(col_sorted == dists[c, j]).mean() for c in
                       np.flatnonzero(qv == j)) + 1)
    return t2v, np.asarray(v2t)


def rankdata_reference(sim: np.ndarray, qv: np.ndarray) -> np.ndarray:
    """t2v only (one full table takes about 17 s here; v2t would double it)."""
    return rankdata(-sim, axis=1, method="average")[np.arange(sim.shape[0]), qv]


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


CHILD_AVTOOL = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from avtool.formats.similarity import open_similarity
    from avtool.metrics.retrieval import retrieval_metrics
    qv = np.load(sys.argv[2])
    t0 = time.perf_counter()
    with open_similarity(sys.argv[1]) as sim:
        r = retrieval_metrics(sim, qv)
    dt = time.perf_counter() - t0
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
    print(json.dumps({"time": dt, "hwm_mb": int(hwm) / 1024, "t2v": r.t2v.ranks.tolist(),
                      "v2t": r.v2t.ranks.tolist()}))
""")

CHILD_REFERENCE = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    qv = np.load(sys.argv[2])
    t0 = time.perf_counter()
    dists = -np.load(sys.argv[1])                  # whole matrix in memory
    n = dists.shape[0]
    sorted_rows = np.sort(dists, axis=1)           # dense sorted table
    gt = dists[np.arange(n), qv][:, None]
    left = np.array([np.searchsorted(sorted_rows[i], gt[i, 0], "left") for i in range(n)])
    right = np.array([np.searchsorted(sorted_rows[i], gt[i, 0], "right") for i in range(n)])
    t2v = (left + right - 1) / 2 + 1
    v2t = []
    for j in np.unique(qv):
        col = np.sort(dists[:, j])
        v2t.append(min((np.searchsorted(col, dists[c, j], "left")
                        + np.searchsorted(col, dists[c, j], "right") - 1) / 2
                       for c in np.flatnonzero(qv == j)) + 1)
    dt = time.perf_counter() - t0
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
    print(json.dumps({"time": dt, "hwm_mb": int(hwm) / 1024, "t2v": t2v.tolist(),
                      "v2t": v2t}))
""")


def _child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout)


def _free_memory_gb() -> float:
    try:
        with open("/proc/meminfo") as fh:
            info = dict(line.split(":", 1) for line in fh)
        return int(info["MemAvailable"].split()[0]) / 2**20
    except (OSError, KeyError):
        return 0.0


def dense() -> None:
    rng = np.random.default_rng(0)
    sim = np.round(rng.standard_normal((N_DENSE, N_DENSE), dtype=np.float32), 3)
    sim[np.arange(N_DENSE), np.arange(N_DENSE)] += 1.5
    qv = rng.permutation(N_DENSE)
    sim = sim[:, np.argsort(qv)]  # ground truth of row k at column qv[k]
    t_ours, ours = _timed(retrieval_metrics, sim, qv)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sim.npy")
        np.save(path, sim)
        from avtool.formats.similarity import open_similarity

        t0 = time.perf_counter()
        with open_similarity(path) as m:
            from_npy = retrieval_metrics(m, qv)
        t_npy = time.perf_counter() - t0
    t_ce, (ce_t2v, ce_v2t) = _timed(ce_style_reference, sim, qv)
    t_rd, rd_t2v = _timed(rankdata_reference, sim, qv)
    same = all(np.array_equal(a, b) for a, b in [
        (ours.t2v.ranks, ce_t2v), (ours.v2t.ranks, ce_v2t), (ours.t2v.ranks, rd_t2v),
        (ours.t2v.ranks, from_npy.t2v.ranks),
        (ours.v2t.ranks, from_npy.v2t.ranks)])
    ties = int(np.count_nonzero(ours.t2v.ranks % 1))
    print(f"\n{N_DENSE:,} x {N_DENSE:,} float32, t2v + v2t, averaged ties "
          f"({ties} queries with a fractional rank); identical ranks: {same}")
    print(f"  t2v {ours.t2v.to_dict()}")
    print(f"{'method':<46}{'seconds':>9}{'ratio':>9}")
    print(f"{'avtool (in memory)':<46}{t_ours:>9.2f}{1.0:>9.1f}")
    print(f"{'avtool (memory-mapped .npy)':<46}{t_npy:>9.2f}{t_npy / t_ours:>9.1f}")
    print(f"{'numpy sorted table (released-code method)':<46}{t_ce:>9.2f}{t_ce / t_ours:>9.1f}")
    print(f"{'scipy.stats.rankdata average table, t2v only':<46}{t_rd:>9.2f}"
          f"{t_rd / t_ours:>9.1f}")


def big() -> None:
    tmp_root = tempfile.gettempdir()
    need = BIG_Q * BIG_V * 4 * 1.1
    if shutil.disk_usage(tmp_root).free < need:
        print(f"\n{BIG_Q:,} x {BIG_V:,}: skipped, needs {need / 2**30:.1f} GB free in {tmp_root}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path, gt_path = os.path.join(tmp, "big.npy"), os.path.join(tmp, "gt.npy")
        t0 = time.perf_counter()
        mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(BIG_Q, BIG_V))
        rng = np.random.default_rng(1)
        for a in range(0, BIG_Q, 50):
            mm[a : a + 50] = rng.random((50, BIG_V), dtype=np.float32)
        qv = rng.choice(BIG_V, size=BIG_Q, replace=False)
        mm[np.arange(BIG_Q), qv] += 0.01
        mm.flush()
        del mm
        np.save(gt_path, qv)
        t_write = time.perf_counter() - t0
        ours = _child(CHILD_AVTOOL, path, gt_path)
        print(f"\n{BIG_Q:,} queries x {BIG_V:,} videos float32 ({BIG_Q * BIG_V * 4 / 2**30:.1f} "
              f"GiB .npy, written in {t_write:.0f} s, not timed)")
        print(f"{'method':<46}{'seconds':>9}{'ratio':>9}{'peak RSS MB':>13}{'ratio':>8}")
        print(f"{'avtool (row blocks of the memory-mapped file)':<46}{ours['time']:>9.2f}"
              f"{1.0:>9.1f}{ours['hwm_mb']:>13.0f}{1.0:>8.1f}")
        if _free_memory_gb() < 12:
            print(f"{'reference (load all, sort every row)':<46}  skipped: under 12 GB free")
            return
        ref = _child(CHILD_REFERENCE, path, gt_path)
        same = ref["t2v"] == ours["t2v"] and ref["v2t"] == ours["v2t"]
        print(f"{'reference (load all, sort every row)':<46}{ref['time']:>9.2f}"
              f"{ref['time'] / ours['time']:>9.1f}{ref['hwm_mb']:>13.0f}"
              f"{ref['hwm_mb'] / ours['hwm_mb']:>8.1f}")
        print(f"identical ranks: {same}")


if __name__ == "__main__":
    dense()
    big()
