"""Temporal grounding metrics: IoU golden vectors, >= vs >, clipping, R@n, per-video."""

from __future__ import annotations

import numpy as np
import pytest

from avtool.metrics.temporal import (
    clip_moments,
    grounding_metrics,
    per_group,
    temporal_iou,
)


def _loop_iou(p, g):  # ABLR-style reference, one pair at a time
    inter = max(0.0, min(p[1], g[1]) - max(p[0], g[0]))
    union = max(p[1], g[1]) - min(p[0], g[0])
    return inter / union if union > 0 else 0.0


# ---- golden vectors (caption-alignment-000 §6.5) ----

@pytest.mark.parametrize(("p", "g", "iou"), [
    ([0, 1], [0, 1], 1.0),
    ([0, 0.5], [0.25, 0.75], 1 / 3),
    ([0, 0.2], [0.5, 1], 0.0),
    ([2, 2], [2, 2], 0.0),       # union 0 -> 0 (ABLR)
    ([0, 1], [1, 2], 0.0),       # touching
    ([0, 10], [2, 4], 0.2),      # containment
])
def test_iou_golden(p, g, iou):
    assert temporal_iou(np.array(p, float), np.array(g, float)) == pytest.approx(iou)


def test_iou_vectorised_matches_loop():
    rng = np.random.default_rng(0)
    a = np.sort(rng.uniform(-5, 40, size=(500, 2)), axis=1)
    b = np.sort(rng.uniform(0, 30, size=(500, 2)), axis=1)
    got = temporal_iou(a, b)
    want = [_loop_iou(p, g) for p, g in zip(a, b, strict=True)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    assert got.min() >= 0 and got.max() <= 1


def test_ge_vs_gt_on_exact_ties():
    # IoUs: 0.5 exactly, 0.3 exactly, 1.0, 0.1 exactly.
    gt = np.array([[0, 10], [0, 10], [5, 6], [0, 10]], float)
    pred = np.array([[0, 5], [0, 3], [5, 6], [9, 10]], float)
    q = np.arange(4)
    ge = grounding_metrics(gt, pred, q, rule="ge")
    gt_ = grounding_metrics(gt, pred, q, rule="gt")
    assert ge.recall_at(1) == {"0.1": 1.0, "0.3": 0.75, "0.5": 0.5, "0.7": 0.25}
    assert gt_.recall_at(1) == {"0.1": 0.75, "0.3": 0.5, "0.5": 0.25, "0.7": 0.25}
    assert ge.miou == pytest.approx((0.5 + 0.3 + 1.0 + 0.1) / 4)
    assert ge.to_dict()["params"]["iou_rule"] == ">=" and gt_.to_dict()["params"]["iou_rule"] == ">"


def test_missing_query_scores_zero_and_is_reported():
    gt = np.array([[0, 10], [0, 10], [0, 10]], float)
    r = grounding_metrics(gt, np.array([[0, 10.0]]), np.array([1]))
    assert r.n_missing == 2 and r.missing.tolist() == [0, 2]
    assert r.recall_at(1)["0.1"] == pytest.approx(1 / 3) and r.miou == pytest.approx(1 / 3)


def test_clipping_predictions_and_ground_truth_to_duration():
    gt = np.array([[5, 35], [0, 8]], float)     # first GT runs past a 30 s video
    pred = np.array([[-4, 30], [12, 20]], float)  # first starts before 0; second past 10 s
    r = grounding_metrics(gt, pred, np.arange(2), duration=np.array([30.0, 10.0]))
    # clipped: gt [5,30], pred [0,30] -> 25/30; gt [0,8], pred [10,10] -> 0
    np.testing.assert_allclose(r.best_iou[0], [25 / 30, 0.0])
    assert r.n_pred_clipped == 2 and r.n_gt_clipped == 1 and r.n_unknown_duration == 0
    clipped, changed = clip_moments(np.array([[-1.0, 3.0], [1, 2]]), np.array([np.nan, np.nan]))
    np.testing.assert_array_equal(clipped, [[0, 3], [1, 2]])
    assert changed.tolist() == [True, False]


def test_recall_at_5_uses_best_of_top_ranks():
    gt = np.array([[0, 10], [20, 30]], float)
    pred = np.array([[50, 60], [0, 10], [20, 30], [0, 1]], float)
    q = np.array([0, 0, 1, 1])
    rank = np.array([1, 3, 2, 1])
    r = grounding_metrics(gt, pred, q, rank, ns=(1, 5))
    assert r.recall_at(1)["0.5"] == 0.0 and r.recall_at(5)["0.5"] == 1.0
    assert r.miou == 0.0
    d = r.to_dict()
    assert set(d) >= {"recall", "recall@5", "miou"} and d["recall@5"]["0.7"] == 1.0


def test_matches_plain_loop_on_random_data():
    rng = np.random.default_rng(3)
    n = 300
    dur = rng.uniform(10, 60, size=n)
    gt = np.sort(rng.uniform(0, 1, size=(n, 2)), axis=1) * dur[:, None]
    keep = rng.random(n) > 0.1
    q = np.flatnonzero(keep)
    pred = np.sort(rng.uniform(-0.2, 1.2, size=(q.size, 2)), axis=1) * dur[q, None]
    r = grounding_metrics(gt, pred, q, duration=dur, thresholds=(0.3, 0.5), rule="gt")
    ious = np.zeros(n)
    for k, i in enumerate(q):
        p = [min(max(v, 0.0), dur[i]) for v in pred[k]]
        ious[i] = _loop_iou(p, gt[i])
    np.testing.assert_allclose(r.best_iou[0], ious, atol=1e-12)
    assert r.hits[0] == (int((ious > 0.3).sum()), int((ious > 0.5).sum()))


def test_per_group_rows_in_first_seen_order():
    gt = np.array([[0, 10], [0, 10], [0, 10]], float)
    pred = np.array([[0, 10], [0, 5], [0, 1]], float)
    r = grounding_metrics(gt, pred, np.arange(3), thresholds=(0.5,))
    rows = per_group(r, ["vb", "va", "vb"])
    assert [row["group"] for row in rows] == ["vb", "va"]
    assert rows[0]["queries"] == 2 and rows[0]["miou"] == pytest.approx(0.55)
    assert rows[0]["R@1,IoU=0.5"] == 0.5 and rows[1]["R@1,IoU=0.5"] == 1.0


def test_bad_arguments_raise_value_error():
    gt = np.array([[0, 1.0]])
    with pytest.raises(ValueError, match="thresholds"):
        grounding_metrics(gt, gt, [0], thresholds=(0.0,))
    with pytest.raises(ValueError, match="rule"):
        grounding_metrics(gt, gt, [0], rule="gte")
    with pytest.raises(ValueError, match="twice"):
        grounding_metrics(gt, np.vstack([gt, gt]), [0, 0])
    with pytest.raises(ValueError, match="starts after"):
        grounding_metrics(gt, np.array([[2, 1.0]]), [0])
