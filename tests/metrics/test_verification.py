"""EER / minDCF / DET against the digest's golden vector, scikit-learn and brute force."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import roc_curve

from avtool.metrics.verification import (
    det_curve,
    eer,
    min_dcf,
    p_target_key,
    verification_metrics,
)

# voxceleb-003.md §5.2 worked vector: targets 0.9 0.8 0.4, non-targets 0.7 0.3 0.2 0.1.
TOY_SCORES = [0.9, 0.8, 0.4, 0.7, 0.3, 0.2, 0.1]
TOY_LABELS = [1, 1, 1, 0, 0, 0, 0]


@pytest.mark.parametrize(("mode", "expected"), [("roc", 25.0), ("max", 100 / 3),
                                                ("mean", 100 * 7 / 24)])
def test_golden_vector_eer_conventions(mode, expected):
    assert eer(TOY_SCORES, TOY_LABELS, mode) == pytest.approx(expected)
    assert round(eer(TOY_SCORES, TOY_LABELS, mode), 1) == {"roc": 25.0, "max": 33.3,
                                                           "mean": 29.2}[mode]


@pytest.mark.parametrize("p_target", [0.01, 0.05])
def test_golden_vector_min_dcf(p_target):
    r = verification_metrics(TOY_SCORES, TOY_LABELS, p_targets=(p_target,))
    d = r.min_dcf_at(p_target)
    assert d.min_dcf == pytest.approx(1 / 3)
    assert d.threshold == 0.8
    assert (d.p_miss, d.p_fa) == (pytest.approx(1 / 3), 0.0)
    assert min_dcf(TOY_SCORES, TOY_LABELS, p_target) == pytest.approx(1 / 3)


def test_golden_vector_det_points():
    det = det_curve(TOY_SCORES, TOY_LABELS)
    points = {float(t): (m, f) for t, m, f in zip(det.thresholds, det.p_miss, det.p_fa,
                                                  strict=True)}
    assert points[np.inf] == (1.0, 0.0)
    assert points[0.8] == (pytest.approx(1 / 3), 0.0)
    assert points[0.7] == (pytest.approx(1 / 3), 0.25)
    assert points[0.4] == (0.0, 0.25)
    assert points[0.1] == (0.0, 1.0)
    assert list(det.thresholds) == [np.inf, 0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.1]


def test_result_record_and_to_dict():
    r = verification_metrics(TOY_SCORES, TOY_LABELS, p_targets=(0.01, 0.05),
                             trial_list_sha256="abc")
    d = r.to_dict()
    assert d["eer"] == pytest.approx(25.0)
    assert d["min_dcf"] == {"0.01": pytest.approx(1 / 3), "0.05": pytest.approx(1 / 3)}
    assert d["min_dcf_threshold"] == {"0.01": 0.8, "0.05": 0.8}
    assert (d["n_target"], d["n_nontarget"]) == (3, 4)
    assert (d["c_miss"], d["c_fa"], d["eer_mode"]) == (1.0, 1.0, "roc")
    assert d["p_target"] == [0.01, 0.05]
    assert d["trial_list_sha256"] == "abc"
    # EER threshold: the operating point closest to P_miss = P_fa (theta 0.7: 1/3 vs 1/4).
    assert (r.eer_threshold, r.eer_p_fa) == (0.7, 0.25)
    with pytest.raises(AttributeError):
        r.eer = 0.0  # frozen
    assert p_target_key(0.001) == "0.001"


def test_perfect_separation_and_reversed():
    scores = [0.9, 0.8, 0.7, 0.1, 0.2]
    labels = [1, 1, 1, 0, 0]
    for mode in ("roc", "max", "mean"):
        assert eer(scores, labels, mode) == 0.0
        assert eer([-s for s in scores], labels, mode) == 100.0
    assert min_dcf(scores, labels, 0.01) == 0.0
    assert min_dcf([-s for s in scores], labels, 0.01) == 1.0


def test_all_scores_tied():
    labels = [1, 0, 1, 0, 0]
    scores = [0.5] * 5
    assert eer(scores, labels, "roc") == pytest.approx(50.0)
    assert eer(scores, labels, "max") == 100.0
    assert eer(scores, labels, "mean") == 50.0
    assert min_dcf(scores, labels, 0.01) == 1.0
    det = det_curve(scores, labels)
    assert list(det.thresholds) == [np.inf, 0.5]


def test_ties_are_one_operating_point_and_order_free():
    rng = np.random.default_rng(3)
    labels = rng.random(400) < 0.3
    scores = np.round(rng.normal(size=400) + labels, 1)  # many ties across classes
    ref = verification_metrics(scores, labels, p_targets=(0.01, 0.05))
    perm = rng.permutation(400)
    other = verification_metrics(scores[perm], labels[perm], p_targets=(0.01, 0.05))
    assert other == ref
    assert len(det_curve(scores, labels)) == len(np.unique(scores)) + 1


def test_errors_are_clear():
    with pytest.raises(ValueError, match="0 non-target"):
        eer([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="0 target"):
        min_dcf([0.1, 0.2], [0, 0])
    with pytest.raises(ValueError, match="labels must be 0"):
        eer([0.1, 0.2], [1, 2])
    with pytest.raises(ValueError, match="finite"):
        eer([0.1, np.nan], [1, 0])
    with pytest.raises(ValueError, match="equal length"):
        eer([0.1, 0.2, 0.3], [1, 0])
    with pytest.raises(ValueError, match="P_target"):
        min_dcf(TOY_SCORES, TOY_LABELS, 1.0)
    with pytest.raises(ValueError, match="costs"):
        min_dcf(TOY_SCORES, TOY_LABELS, 0.01, c_miss=0)
    with pytest.raises(ValueError, match="unknown EER mode"):
        eer(TOY_SCORES, TOY_LABELS, "rocch")


def _sklearn_interpolated_eer(labels, scores):
    fpr, tpr, _ = roc_curve(labels, scores, pos_label=1)
    return 100 * brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eer_matches_sklearn_roc_on_20000_trials(seed):
    rng = np.random.default_rng(seed)
    labels = rng.random(20_000) < 0.5
    scores = rng.normal(size=20_000) + 2.5 * labels
    ref = _sklearn_interpolated_eer(labels, scores)
    for mode in ("roc", "max", "mean"):
        assert abs(eer(scores, labels, mode) - ref) < 0.05
    assert eer(scores, labels, "roc") == pytest.approx(ref, abs=1e-6)


def test_max_mode_matches_voxceleb_trainer_style_on_ties():
    rng = np.random.default_rng(5)
    labels = rng.random(3000) < 0.2
    scores = np.round(rng.normal(size=3000) + labels, 2)
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    fnr = 1 - tpr
    k = np.nanargmin(np.abs(fnr - fpr))
    assert eer(scores, labels, "max") == pytest.approx(100 * max(fpr[k], fnr[k]))


def _brute_min_dcf(scores, labels, p_target, c_miss, c_fa):
    tar, non = scores[labels], scores[~labels]
    best = np.inf
    for theta in [np.inf, *np.unique(scores)]:
        p_miss = np.mean(tar < theta)
        p_fa = np.mean(non >= theta)
        best = min(best, c_miss * p_target * p_miss + c_fa * (1 - p_target) * p_fa)
    return best / min(c_miss * p_target, c_fa * (1 - p_target))


@pytest.mark.parametrize("seed", range(6))
def test_min_dcf_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    labels = rng.random(n) < 0.4
    labels[:2] = [True, False]
    scores = np.round(rng.normal(size=n) + labels, 1)
    c_miss, c_fa = (1.0, 1.0) if seed < 3 else (10.0, 1.0)
    for p in (0.01, 0.05, 0.5):
        expected = _brute_min_dcf(scores, labels, p, c_miss, c_fa)
        assert min_dcf(scores, labels, p, c_miss, c_fa) == pytest.approx(expected)
        assert expected <= 1.0 + 1e-12
