"""Temporal grounding metrics: IoU of moments, R@n at IoU=m, mean IoU (pure numpy).

Conventions (MALTA paper §4 following TALL/CTRL; ABLR's released evaluation code):

* ``IoU(p, g) = inter / union`` with ``inter = max(0, min(p_e, g_e) - max(p_s, g_s))`` and
  ``union = max(p_e, g_e) - min(p_s, g_s)`` (ABLR's hull, equal to the true union whenever the
  moments overlap; disjoint moments have IoU 0 either way). ``union == 0`` (two identical
  zero-length moments) gives 0, as in ABLR. IoU lies in [0, 1].
* Before IoU, predictions *and* ground truth are clipped to ``[0, duration]`` (to ``[0, inf)``
  where the duration is unknown, NaN); every moment changed by clipping is counted.
* ``R@n, IoU=m`` = fraction of queries whose best IoU among the predictions of rank <= n reaches
  ``m``. ``rule="ge"`` counts ``IoU >= m`` (ABLR's code; the default); ``rule="gt"`` counts
  ``IoU > m`` (the MALTA paper text, "larger than"). IoU is compared exactly as computed
  (no tolerance), like the reference code.
* ``mIoU`` = mean over all queries of the IoU of the rank-1 prediction (ABLR computes it; the
  MALTA paper does not report it).
* A query without a prediction (of the needed rank) has IoU 0: it counts in every denominator
  and is never a hit, since thresholds lie in (0, 1].
* Results are fractions in [0, 1], as the papers print them.

Edge cases (pinned by tests/metrics/test_temporal_metrics.py): IoU([0,1],[0,1]) = 1,
IoU([0,.5],[.25,.75]) = 1/3, IoU([0,.2],[.5,1]) = 0; an IoU exactly equal to a threshold is a hit
with ``ge`` and a miss with ``gt``; a prediction entirely past the duration clips to a
zero-length moment at the end (IoU 0). ``ValueError`` for a threshold outside (0, 1], an unknown
rule, ``start > end``, a prediction index out of range, ranks < 1 or a (query, rank) given twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "IOU_RULES",
    "IOU_THRESHOLDS",
    "GroundingResult",
    "clip_moments",
    "grounding_metrics",
    "per_group",
    "temporal_iou",
    "threshold_key",
]

IOU_THRESHOLDS = (0.1, 0.3, 0.5, 0.7)
IOU_RULES = {"ge": ">=", "gt": ">"}


def threshold_key(m: float) -> str:
    """How a threshold is keyed in results: 0.5 -> "0.5"."""
    return format(float(m), "g")


def temporal_iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """IoU of ``[..., 2]`` moment arrays (broadcast), hull union, 0 where the union is 0."""
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    inter = np.maximum(0.0, np.minimum(pred[..., 1], gt[..., 1])
                       - np.maximum(pred[..., 0], gt[..., 0]))
    union = np.maximum(pred[..., 1], gt[..., 1]) - np.minimum(pred[..., 0], gt[..., 0])
    out = np.zeros(np.broadcast(inter, union).shape)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def clip_moments(moments: np.ndarray, duration: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clip ``[n, 2]`` moments to ``[0, duration]`` (NaN duration: ``[0, inf)``).

    Returns the clipped moments and a boolean mask of the rows that changed.
    """
    moments = np.asarray(moments, dtype=np.float64).reshape(-1, 2)
    upper = np.where(np.isnan(duration), np.inf, duration)[:, None]
    clipped = np.clip(moments, 0.0, upper)
    return clipped, np.any(clipped != moments, axis=1)


@dataclass(frozen=True)
class GroundingResult:
    """R@n at each IoU threshold and mIoU, with every count and parameter."""

    thresholds: tuple[float, ...]
    rule: str
    ns: tuple[int, ...]
    n_queries: int
    n_predictions: int
    n_missing: int
    """Queries with no prediction at all (scored 0)."""
    n_pred_clipped: int
    n_gt_clipped: int
    n_unknown_duration: int
    """Queries whose video duration was unknown (clipped at 0 only)."""
    hits: tuple[tuple[int, ...], ...]
    """``hits[i][j]``: queries hit at rank <= ns[i] and IoU threshold thresholds[j]."""
    recall: tuple[tuple[float, ...], ...]
    miou: float
    best_iou: np.ndarray = field(repr=False, compare=False)
    """``[len(ns), n_queries]`` best IoU among predictions of rank <= n (0 if none)."""
    missing: np.ndarray = field(repr=False, compare=False)
    """Indices of the queries without any prediction."""

    def recall_at(self, n: int = 1) -> dict[str, float]:
        row = self.recall[self.ns.index(n)]
        return {threshold_key(m): r for m, r in zip(self.thresholds, row, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"recall": self.recall_at(1), "miou": self.miou}
        for n in self.ns:
            if n != 1:
                out[f"recall@{n}"] = self.recall_at(n)
        out["counts"] = {
            "queries": self.n_queries, "predictions": self.n_predictions,
            "missing": self.n_missing, "pred_clipped": self.n_pred_clipped,
            "gt_clipped": self.n_gt_clipped, "unknown_duration": self.n_unknown_duration,
        }
        out["params"] = {"iou_rule": IOU_RULES[self.rule], "thresholds": list(self.thresholds),
                         "ns": list(self.ns)}
        return out


def grounding_metrics(
    gt: np.ndarray, pred: np.ndarray, pred_query: np.ndarray, pred_rank: np.ndarray | None = None,
    *, duration: np.ndarray | None = None, thresholds: Sequence[float] = IOU_THRESHOLDS,
    rule: str = "ge", ns: Sequence[int] = (1,),
) -> GroundingResult:
    """Score predicted moments against ground truth.

    Args:
        gt: ``[n_queries, 2]`` ground-truth (start, end) in seconds.
        pred: ``[n_predictions, 2]`` predicted (start, end).
        pred_query: query index of each prediction.
        pred_rank: rank (>= 1) of each prediction; None = all rank 1 (one per query).
        duration: ``[n_queries]`` video duration per query, NaN where unknown; None = unknown.
        thresholds: IoU thresholds m, each in (0, 1].
        rule: ``"ge"`` (IoU >= m, default) or ``"gt"`` (IoU > m).
        ns: the n of each R@n (1 is always included).

    Example:
        >>> r = grounding_metrics(np.array([[0., 10.]]), np.array([[0., 5.]]), np.array([0]))
        >>> r.recall_at(1)["0.5"], r.miou
        (1.0, 0.5)
    """
    if rule not in IOU_RULES:
        raise ValueError(f"rule must be one of {', '.join(IOU_RULES)}, not {rule!r}")
    thresholds = tuple(float(m) for m in thresholds)
    if not thresholds or any(not 0.0 < m <= 1.0 for m in thresholds):
        raise ValueError(f"IoU thresholds must lie in (0, 1], got {list(thresholds)}")
    ns = tuple(sorted({1, *(int(n) for n in ns)}))
    if ns[0] < 1:
        raise ValueError(f"n of R@n must be >= 1, got {list(ns)}")
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 2)
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 2)
    pred_query = np.asarray(pred_query, dtype=np.int64).reshape(-1)
    n_q, n_p = gt.shape[0], pred.shape[0]
    if n_q == 0:
        raise ValueError("no query to score")
    if pred_query.size != n_p:
        raise ValueError(f"{n_p} predictions but {pred_query.size} query indices")
    if n_p and (pred_query.min() < 0 or pred_query.max() >= n_q):
        raise ValueError(f"prediction query index outside [0, {n_q})")
    rank = (np.ones(n_p, dtype=np.int64) if pred_rank is None
            else np.asarray(pred_rank, dtype=np.int64).reshape(-1))
    if rank.size != n_p or (n_p and rank.min() < 1):
        raise ValueError("need one rank >= 1 per prediction")
    if n_p:
        keys = np.sort(pred_query * (int(rank.max()) + 1) + rank)
        if np.any(keys[1:] == keys[:-1]):
            raise ValueError("a (query, rank) pair is given twice")
    if np.any(gt[:, 0] > gt[:, 1]) or np.any(pred[:, 0] > pred[:, 1]):
        raise ValueError("a moment starts after it ends")
    duration = (np.full(n_q, np.nan) if duration is None
                else np.asarray(duration, dtype=np.float64).reshape(-1))
    if duration.size != n_q:
        raise ValueError(f"{n_q} queries but {duration.size} durations")

    gt_c, gt_changed = clip_moments(gt, duration)
    pred_c, pred_changed = clip_moments(pred, duration[pred_query])
    iou = temporal_iou(pred_c, gt_c[pred_query])
    best = np.zeros((len(ns), n_q))
    for i, n in enumerate(ns):
        keep = rank <= n
        np.maximum.at(best[i], pred_query[keep], iou[keep])
    m = np.asarray(thresholds)
    hit = best[:, :, None] >= m if rule == "ge" else best[:, :, None] > m
    hits = hit.sum(axis=1)
    has_pred = np.zeros(n_q, dtype=bool)
    has_pred[pred_query] = True
    return GroundingResult(
        thresholds=thresholds, rule=rule, ns=ns, n_queries=n_q, n_predictions=n_p,
        n_missing=int(n_q - has_pred.sum()), n_pred_clipped=int(pred_changed.sum()),
        n_gt_clipped=int(gt_changed.sum()), n_unknown_duration=int(np.isnan(duration).sum()),
        hits=tuple(tuple(int(h) for h in row) for row in hits),
        recall=tuple(tuple(float(h) / n_q for h in row) for row in hits),
        miou=float(best[0].mean()), best_iou=best, missing=np.flatnonzero(~has_pred),
    )


def per_group(result: GroundingResult, groups: Sequence[str]) -> list[dict[str, Any]]:
    """Per-group (e.g. per-video) query count, mIoU and R@1 per threshold, in first-seen order."""
    keys, inverse = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    if len(groups) != result.n_queries:
        raise ValueError(f"{len(groups)} group labels for {result.n_queries} queries")
    counts = np.bincount(inverse, minlength=keys.size)
    iou_sum = np.bincount(inverse, weights=result.best_iou[0], minlength=keys.size)
    m = np.asarray(result.thresholds)
    top1 = result.best_iou[0][:, None]
    hit = top1 >= m if result.rule == "ge" else top1 > m
    hit_sum = np.stack([np.bincount(inverse, weights=hit[:, j], minlength=keys.size)
                        for j in range(m.size)], axis=1)
    _, first = np.unique(inverse, return_index=True)
    rows = []
    for g in np.argsort(first, kind="stable"):
        row: dict[str, Any] = {"group": str(keys[g]), "queries": int(counts[g]),
                               "miou": float(iou_sum[g] / counts[g])}
        for j, mj in enumerate(result.thresholds):
            row[f"R@1,IoU={threshold_key(mj)}"] = float(hit_sum[g, j] / counts[g])
        rows.append(row)
    return rows
