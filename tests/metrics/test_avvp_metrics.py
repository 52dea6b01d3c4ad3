"""The LLP/AVVP scorer: the digest's golden vectors, the naive reference, edge cases."""

from __future__ import annotations

import importlib.util
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from avtool.formats.llp import LLP_CLASSES
from avtool.metrics.avvp import (
    METRICS,
    clip_f1,
    event_counts,
    mask_runs,
    score_avvp,
    segment_counts,
)

_BENCH = Path(__file__).parent.parent / "benchmarks" / "bench_avvp_scorer.py"
_spec = importlib.util.spec_from_file_location("bench_avvp_scorer", _BENCH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

SPEECH, DOG = LLP_CLASSES.index("Speech"), LLP_CLASSES.index("Dog")


def _mask(*spans: tuple[int, int, int]) -> np.ndarray:
    x = np.zeros((1, 25, 10), dtype=bool)
    for c, a, b in spans:
        x[0, c, a:b] = True
    return x


S = SPEECH
# (gt audio, gt visual, pred audio, pred visual,
#  segment A/V/AV/Ev@AV, event A/V/AV/Ev@AV)  -- digest avvp-001 section 4.6
GOLDEN = [
    ([(S, 0, 4)], [(S, 2, 6)], [(S, 0, 4)], [(S, 2, 6)], (1, 1, 1, 1), (1, 1, 1, 1)),
    ([(S, 0, 4)], [], [(S, 0, 3)], [], (0.8571, 1, 1, 0.8571), (1, 1, 1, 1)),
    ([(S, 0, 4)], [], [(S, 0, 2)], [], (0.6667, 1, 1, 0.6667), (1, 1, 1, 1)),
    ([(S, 0, 3)], [], [(S, 0, 1)], [], (0.5, 1, 1, 0.5), (0, 1, 1, 0)),
    ([], [], [], [], (1, 1, 1, 1), (1, 1, 1, 1)),
    ([(DOG, 2, 5)], [], [], [], (0, 1, 1, 0), (0, 1, 1, 0)),
    ([(S, 0, 10)], [], [(S, 0, 10), (DOG, 0, 10)], [], (0.5, 1, 1, 0.5), (0.5, 1, 1, 0.5)),
    ([(S, 0, 10)], [], [(S, 0, 5), (S, 6, 10)], [], (0.9474, 1, 1, 0.9474),
     (0.6667, 1, 1, 0.6667)),
    ([(S, 0, 10)], [(S, 0, 3)], [(S, 0, 10)], [], (1, 0, 0, 0.8696), (1, 0, 0, 0.6667)),
]


@pytest.mark.parametrize(("case", "row"), list(enumerate(GOLDEN, start=1)))
def test_golden_vectors(case, row):
    ga, gv, pa, pv, seg, evt = row
    r = score_avvp(_mask(*pa), _mask(*pv), _mask(*ga), _mask(*gv))
    keys = ("audio", "visual", "av", "event_av")
    assert [round(r.segment[k] / 100, 4) for k in keys] == list(seg), f"case {case} segment"
    assert [round(r.event[k] / 100, 4) for k in keys] == list(evt), f"case {case} event"
    for level in ("segment", "event"):
        d = getattr(r, level)
        assert d["type_av"] == pytest.approx((d["audio"] + d["visual"] + d["av"]) / 3)


def test_golden_case_9_counts():
    r = score_avvp(_mask((S, 0, 10)), _mask(), _mask((S, 0, 10)), _mask((S, 0, 3)))
    a, v = r.counts["segment"]["audio"][0, S], r.counts["segment"]["visual"][0, S]
    assert a.tolist() == [10, 0, 0] and v.tolist() == [0, 0, 3]  # pooled TP 10, FN 3 -> 20/23
    assert r.clip_scores["segment"]["event_av"][0] == pytest.approx(20 / 23)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_naive_reference_on_random_masks(seed):
    rng = np.random.default_rng(seed)
    shape = (60, 25, 10)
    dens = rng.uniform(0.02, 0.5, size=(4, 60, 25, 1))
    pa, pv, ga, gv = (rng.random(shape) < d for d in dens)
    ga[:5] = False  # some clips with nothing annotated
    pa[:3] = False
    pv[::7] = False
    ref, ref_clip = bench.reference_scores(pa, pv, ga, gv)
    r = score_avvp(pa, pv, ga, gv)
    for k in METRICS:
        assert r.segment[k] == pytest.approx(ref["segment"][k], abs=1e-10)
        assert r.event[k] == pytest.approx(ref["event"][k], abs=1e-10)
    for level in ref_clip:
        for k, vals in ref_clip[level].items():
            np.testing.assert_allclose(r.clip_scores[level][k], vals, atol=1e-12)


def test_matches_naive_reference_on_llp_like_data():
    pa, pv, ga, gv = bench.random_clips(300, seed=3)
    ref, _ = bench.reference_scores(pa, pv, ga, gv)
    r = score_avvp(pa, pv, ga, gv)
    assert r.to_dict()["segment"] == pytest.approx(ref["segment"], abs=1e-10)
    assert r.to_dict()["event"] == pytest.approx(ref["event"], abs=1e-10)


def test_event_counts_all_pairs_of_short_sequences():
    seqs = np.array(list(itertools.product([False, True], repeat=6)))
    p = np.repeat(seqs, len(seqs), axis=0)
    g = np.tile(seqs, (len(seqs), 1))
    got = event_counts(p, g)
    want = [bench._event_tp_fp_fn(a.tolist(), b.tolist()) for a, b in zip(p, g, strict=True)]
    assert got.tolist() == [list(w) for w in want]


def test_mask_runs_on_all_1024_sequences():
    seqs = np.array(list(itertools.product([False, True], repeat=10)))
    starts, ends, count = mask_runs(seqs)
    assert starts.shape == (1024, 5)
    for i, seq in enumerate(seqs.tolist()):
        runs = bench._runs(seq)
        assert count[i] == len(runs)
        assert list(zip(starts[i, :count[i]].tolist(), ends[i, :count[i]].tolist(),
                        strict=True)) == runs


def test_perfect_prediction_is_100_and_class_permutation_invariant():
    pa, pv, ga, gv = bench.random_clips(50, seed=5)
    r = score_avvp(ga, gv, ga, gv)
    assert all(r.segment[k] == 100 and r.event[k] == 100 for k in METRICS)
    perm = np.random.default_rng(0).permutation(25)
    a = score_avvp(pa, pv, ga, gv)
    b = score_avvp(pa[:, perm], pv[:, perm], ga[:, perm], gv[:, perm])
    assert a.to_dict()["segment"] == pytest.approx(b.to_dict()["segment"], abs=1e-12)
    assert a.to_dict()["event"] == pytest.approx(b.to_dict()["event"], abs=1e-12)


def test_empty_clips_score_one_and_zero_clips_nan():
    empty = np.zeros((3, 25, 10), dtype=bool)
    r = score_avvp(empty, empty, empty, empty)
    assert all(r.segment[k] == 100.0 for k in METRICS)
    assert clip_f1(np.zeros((2, 25, 3), int)).tolist() == [1.0, 1.0]
    none = np.zeros((0, 25, 10), dtype=bool)
    r = score_avvp(none, none, none, none)
    assert math.isnan(r.segment["audio"]) and r.n_clips == 0


def test_predict_nothing_rewards_only_empty_modalities():
    ga = np.zeros((4, 25, 10), dtype=bool)
    gv = ga.copy()
    ga[:3, 0, :5] = True
    gv[:1, 0, 3:] = True
    none = np.zeros_like(ga)
    r = score_avvp(none, none, ga, gv)
    assert r.segment["audio"] == 25.0  # 1 of 4 clips has no audio event
    assert r.segment["visual"] == 75.0
    assert r.segment["av"] == 75.0  # only clip 0 has A and V overlapping
    assert r.segment["event_av"] == 25.0


def test_iou_threshold_is_inclusive_and_configurable():
    g, p = _mask((S, 0, 4)), _mask((S, 0, 2))  # IoU exactly 0.5
    assert event_counts(p, g)[0, S].tolist() == [1, 0, 0]
    assert event_counts(p, g, iou_threshold=0.51)[0, S].tolist() == [0, 1, 1]
    assert event_counts(p, g, iou_threshold=0.25)[0, S].tolist() == [1, 0, 0]


def test_segment_counts_shape():
    c = segment_counts(_mask((S, 0, 4)), _mask((S, 2, 6)))
    assert c.shape == (1, 25, 3) and c[0, S].tolist() == [2, 2, 2]


def test_result_to_dict_and_validation():
    pa, pv, ga, gv = bench.random_clips(7, seed=2)
    r = score_avvp(pa, pv, ga, gv, clips=[f"c{i}" for i in range(7)])
    d = r.to_dict()
    assert list(d["segment"]) == list(METRICS) and d["n_clips"] == 7
    assert d["parameters"]["iou_threshold"] == 0.5 and d["parameters"]["n_segments"] == 10
    assert d["totals"]["segment"]["audio"]["tp"] == int((pa & ga).sum())
    assert d["totals"]["segment"]["av"]["fn"] == int((~(pa & pv) & ga & gv).sum())
    assert "clip_scores" not in d
    full = r.to_dict(per_clip=True)
    assert full["clips"][0] == "c0" and len(full["clip_scores"]["event"]["av"]) == 7
    with pytest.raises(ValueError, match="arrays of one shape"):
        score_avvp(pa, pv, ga, gv[:, :, :5])
    with pytest.raises(ValueError, match="clip names"):
        score_avvp(pa, pv, ga, gv, clips=["a"])
