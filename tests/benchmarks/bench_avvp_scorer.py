"""Benchmark: avtool's vectorised LLP/AVVP scorer vs a naive per-clip, per-class Python loop.

The reference below is written from the description of the official LLP scorer (per clip: a
Python loop over the 25 classes, run extraction by scanning, event matching by pairwise IoU, the
same per-clip F1 with 1.0 for empty clips) and is checked to agree with avtool before timing.
Tests import `reference_scores` from this file too.

Run: .venv/bin/python tests/benchmarks/bench_avvp_scorer.py [--clips 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from avtool.testing.timing import best_of

KEYS = ("audio", "visual", "av", "type_av", "event_av")


# ---------------------------------------------------------------- naive reference (loops)
def _runs(row) -> list[tuple[int, int]]:
    """Maximal runs of 1s in a 0/1 sequence: [(start, end_exclusive)] by scanning."""
    runs, start = [], None
    for t, v in enumerate(row):
        if v and start is None:
            start = t
        elif not v and start is not None:
            runs.append((start, t))
            start = None
    if start is not None:
        runs.append((start, len(row)))
    return runs


def _iou_hit(a: tuple[int, int], b: tuple[int, int]) -> bool:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter >= 0.5 * union


def _event_tp_fp_fn(pred_row, gt_row) -> tuple[int, int, int]:
    p_runs, g_runs = _runs(pred_row), _runs(gt_row)
    tp = fp = fn = 0
    for e in p_runs:
        if any(_iou_hit(e, g) for g in g_runs):
            tp += 1
        else:
            fp += 1
    for g in g_runs:
        if not any(_iou_hit(g, e) for e in p_runs):
            fn += 1
    return tp, fp, fn


def _clip_score(tp, fp, fn) -> float:
    scores = []
    for c in range(len(tp)):
        if tp[c] + fp[c] != 0 or tp[c] + fn[c] != 0:
            scores.append(2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]))
    return 1.0 if not scores else sum(scores) / len(scores)


def _one_clip(pa, pv, ga, gv) -> dict[str, dict[str, float]]:
    pav, gav = pa * pv, ga * gv
    out: dict[str, dict[str, float]] = {"segment": {}, "event": {}}
    counts = {"segment": {}, "event": {}}
    for name, p, g in (("audio", pa, ga), ("visual", pv, gv), ("av", pav, gav)):
        n_cls = p.shape[0]
        # segment level: the per-class sums over time
        tp = np.sum(p * g, axis=1)
        fp = np.sum(p * (1 - g), axis=1)
        fn = np.sum((1 - p) * g, axis=1)
        counts["segment"][name] = (tp, fp, fn)
        # event level: one class at a time
        etp, efp, efn = np.zeros(n_cls), np.zeros(n_cls), np.zeros(n_cls)
        for c in range(n_cls):
            etp[c], efp[c], efn[c] = _event_tp_fp_fn(p[c].tolist(), g[c].tolist())
        counts["event"][name] = (etp, efp, efn)
    for level in ("segment", "event"):
        for name in ("audio", "visual", "av"):
            out[level][name] = _clip_score(*counts[level][name])
        a, v = counts[level]["audio"], counts[level]["visual"]
        out[level]["event_av"] = _clip_score(a[0] + v[0], a[1] + v[1], a[2] + v[2])
    return out


def reference_scores(pa, pv, ga, gv) -> tuple[dict[str, dict[str, float]], dict]:
    """Naive scorer on (clips, classes, T) 0/1 arrays: (ten numbers in percent, per-clip lists)."""
    pa, pv, ga, gv = (np.asarray(x, dtype=np.int64) for x in (pa, pv, ga, gv))
    per_clip = {level: {k: [] for k in ("audio", "visual", "av", "event_av")}
                for level in ("segment", "event")}
    for i in range(pa.shape[0]):
        s = _one_clip(pa[i], pv[i], ga[i], gv[i])
        for level in per_clip:
            for k in per_clip[level]:
                per_clip[level][k].append(s[level][k])
    summary = {}
    for level, d in per_clip.items():
        m = {k: 100 * float(np.mean(v)) for k, v in d.items()}
        m["type_av"] = (m["audio"] + m["visual"] + m["av"]) / 3
        summary[level] = {k: m[k] for k in KEYS}
    return summary, per_clip


# ---------------------------------------------------------------- random LLP-like data
def random_clips(n: int, seed: int = 0, n_classes: int = 25, t: int = 10):
    """LLP-like masks: 1-3 classes per clip, audio/visual/both, 1-2 runs, noisy predictions."""
    rng = np.random.default_rng(seed)
    shape = (n, n_classes, t)
    ga, gv = np.zeros(shape, bool), np.zeros(shape, bool)

    def spans(row) -> None:
        for _ in range(rng.integers(1, 3)):
            s = rng.integers(0, t)
            row[s:rng.integers(s + 1, t + 1)] = True

    k = rng.integers(1, 4, size=n)
    for i in range(n):
        for c in rng.choice(n_classes, size=k[i], replace=False):
            u = rng.random()  # both 0.61, audio-only 0.34, visual-only 0.05
            if u < 0.95:
                spans(ga[i, c])
            if u < 0.61 and rng.random() < 0.5:
                gv[i, c] = ga[i, c]
            elif u < 0.61 or u >= 0.95:
                spans(gv[i, c])
    flip = rng.random(shape) < 0.08
    spurious = rng.random((n, n_classes, 1)) < 0.03
    pa = (ga ^ flip) & (ga.any(axis=2, keepdims=True) | spurious)
    pv = (gv ^ np.roll(flip, 1, axis=2)) & (gv.any(axis=2, keepdims=True) | spurious)
    drop = rng.random(n) < 0.05  # some clips predict nothing
    pa[drop] = False
    pv[drop] = False
    return pa, pv, ga, gv


def main() -> None:
    from avtool.formats.llp import LLP_CLASSES
    from avtool.metrics.avvp import score_avvp

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    pa, pv, ga, gv = random_clips(args.clips, args.seed)
    t0 = time.perf_counter()
    ref, ref_clip = reference_scores(pa, pv, ga, gv)
    t_ref = time.perf_counter() - t0

    best, res = best_of(lambda: score_avvp(pa, pv, ga, gv, classes=LLP_CLASSES), args.repeats)

    diff = max(abs(res.segment[k] - ref["segment"][k]) for k in KEYS)
    diff = max(diff, max(abs(res.event[k] - ref["event"][k]) for k in KEYS))
    clip_diff = max(
        float(np.max(np.abs(res.clip_scores[lv][k] - np.asarray(ref_clip[lv][k]))))
        for lv in ref_clip for k in ref_clip[lv]
    )
    agree = diff < 1e-9 and clip_diff < 1e-12
    print(f"AVVP scorer on {args.clips} random LLP-like clips (25 classes x 10 s), seed {args.seed}")
    print(f"{'level':<8} " + " ".join(f"{k:>9}" for k in KEYS))
    for level in ("segment", "event"):
        vals = res.segment if level == "segment" else res.event
        print(f"{level:<8} " + " ".join(f"{vals[k]:9.3f}" for k in KEYS))
    print(f"agreement with naive reference: max |diff| ten numbers {diff:.2e}, "
          f"per-clip {clip_diff:.2e} -> {'OK' if agree else 'MISMATCH'}")
    print(f"{'implementation':<34} {'seconds':>9} {'ratio':>8}")
    print(f"{'naive per-class loop (reference)':<34} {t_ref:9.3f} {1.0:8.2f}")
    print(f"{'avtool score_avvp (vectorised)':<34} {best:9.3f} {t_ref / best:8.1f}x")
    if not agree:
        raise SystemExit("avtool and the naive reference disagree")


if __name__ == "__main__":
    main()
