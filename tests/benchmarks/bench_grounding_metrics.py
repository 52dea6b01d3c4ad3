"""Benchmark: `avtool.metrics.temporal.grounding_metrics` against a plain Python loop.

100,000 queries with durations, ground truth running past the duration now and then, 10% of
queries without a prediction; once with one prediction per query (R@1) and once with 5 ranked
predictions per query (R@1 and R@5). The reference loops over predictions in Python, clips,
computes ABLR's IoU and counts hits at IoU >= {0.1, 0.3, 0.5, 0.7}. Both must agree exactly.
Also timed: reading the same predictions from a TSV and matching them to Charades-STA-style
queries (the CLI's input path).

Run: .venv/bin/python tests/benchmarks/bench_grounding_metrics.py   (about 20 seconds)
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from avtool.formats.moments import MomentQuery, match_grounding, read_moment_predictions
from avtool.metrics.temporal import IOU_THRESHOLDS, grounding_metrics

N = 100_000


def loop_reference(gt, dur, pred, pred_q, pred_rank, ns):
    best = {n: [0.0] * len(gt) for n in ns}
    gts = []
    for (s, e), d in zip(gt.tolist(), dur.tolist(), strict=True):
        gts.append((min(max(s, 0.0), d), min(max(e, 0.0), d)))
    for (ps, pe), q, r in zip(pred.tolist(), pred_q.tolist(), pred_rank.tolist(), strict=True):
        d = dur[q]
        ps, pe = min(max(ps, 0.0), d), min(max(pe, 0.0), d)
        gs, ge = gts[q]
        inter = max(0.0, min(pe, ge) - max(ps, gs))
        union = max(pe, ge) - min(ps, gs)
        iou = inter / union if union > 0 else 0.0
        for n in ns:
            if r <= n and iou > best[n][q]:
                best[n][q] = iou
    recall = {n: [sum(1 for v in best[n] if v >= m) / len(gt) for m in IOU_THRESHOLDS]
              for n in ns}
    return recall, sum(best[1]) / len(gt)


def make(rng, per_query):
    dur = rng.uniform(20, 120, size=N)
    gt = np.sort(rng.uniform(0, 1.05, size=(N, 2)), axis=1) * dur[:, None]
    has = np.flatnonzero(rng.random(N) > 0.1)
    pred_q = np.repeat(has, per_query)
    jitter = rng.normal(0, 0.15, size=(pred_q.size, 2)) * dur[pred_q, None]
    pred = np.sort(gt[pred_q] + jitter, axis=1)
    pred_rank = np.tile(np.arange(1, per_query + 1), has.size)
    return gt, dur, pred, pred_q, pred_rank


def run(per_query: int) -> None:
    rng = np.random.default_rng(per_query)
    gt, dur, pred, pred_q, pred_rank = make(rng, per_query)
    ns = (1, 5) if per_query > 1 else (1,)
    t0 = time.perf_counter()
    res = grounding_metrics(gt, pred, pred_q, pred_rank, duration=dur, ns=ns)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref_recall, ref_miou = loop_reference(gt, dur, pred, pred_q, pred_rank, ns)
    t_ref = time.perf_counter() - t0
    same = all(list(res.recall[i]) == ref_recall[n] for i, n in enumerate(ns))
    same = same and abs(res.miou - ref_miou) < 1e-12
    print(f"\n{N:,} queries, {pred.shape[0]:,} predictions ({per_query} per query), "
          f"R@{'/'.join(map(str, ns))} at IoU>={list(IOU_THRESHOLDS)} + mIoU; identical: {same}")
    print(f"  R@1 {res.recall_at(1)}  mIoU {res.miou:.4f}")
    print(f"{'method':<40}{'seconds':>9}{'ratio':>9}")
    print(f"{'avtool grounding_metrics (numpy)':<40}{t_ours:>9.3f}{1.0:>9.1f}")
    print(f"{'plain Python loop':<40}{t_ref:>9.3f}{t_ref / t_ours:>9.1f}")
    if per_query == 1:
        read_path(gt, pred, pred_q)


def read_path(gt, pred, pred_q) -> None:
    queries = [MomentQuery(str(i), f"v{i // 4}", float(s), float(e), "", f"sta:{i + 1}")
               for i, (s, e) in enumerate(gt.tolist())]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pred.tsv")
        with open(path, "w") as fh:
            fh.write("query_id\tvideo_id\tstart\tend\n")
            for q, (s, e) in zip(pred_q.tolist(), pred.tolist(), strict=True):
                fh.write(f"{q}\tv{q // 4}\t{s:.3f}\t{e:.3f}\n")
        t0 = time.perf_counter()
        preds = read_moment_predictions(path)
        inputs = match_grounding(queries, preds)
        t_read = time.perf_counter() - t0
    print(f"{'(reading + matching the TSV, CLI path)':<40}{t_read:>9.3f}"
          f"   for {len(inputs.pred_query):,} rows")


if __name__ == "__main__":
    run(1)
    run(5)
