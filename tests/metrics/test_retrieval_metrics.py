"""Retrieval metrics: the digests' golden vectors, tie rules, multi-caption v2t, cross-checks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from avtool.errors import FormatError
from avtool.metrics.retrieval import (
    rank_metrics,
    retrieval_metrics,
    summarize_runs,
    tied_positions,
)


def _brute(sim: np.ndarray, qv: np.ndarray, ties: str) -> tuple[np.ndarray, np.ndarray]:
    """Full rank tables with scipy.rankdata: 1-based t2v ranks and v2t (min over captions)."""
    method = {"averaging": "average", "optimistic": "min", "pessimistic": "max"}[ties]
    t2v_table = rankdata(-sim, method=method, axis=1)
    t2v = t2v_table[np.arange(sim.shape[0]), qv]
    v2t_table = rankdata(-sim, method=method, axis=0)
    vids = np.unique(qv)
    v2t = np.array([v2t_table[qv == j, j].min() for j in vids])
    return t2v, v2t


# ---- golden vectors (retrieval-asr-002 §7.5, crossmodal-retrieval-fusion-003 §5.5 / §9) ----

def test_identity_n5_is_perfect_both_directions():
    r = retrieval_metrics(np.eye(5), np.arange(5))
    for d in (r.t2v, r.v2t):
        assert d.to_dict() == {"R@1": 100.0, "R@5": 100.0, "R@10": 100.0, "R@50": 100.0,
                               "MdR": 1.0, "MnR": 1.0}


def test_ground_truth_ranked_last_gives_rank_n():
    n = 5
    r = retrieval_metrics(1.0 - np.eye(n), np.arange(n))
    for d in (r.t2v, r.v2t):
        assert d.recall[0] == 0.0
        assert d.median_rank == n and d.mean_rank == n
        assert d.recall[1] == 100.0  # R@5 with N = 5: rank 5 counts


def test_reversed_distinct_scores_rank_last():
    n = 20
    sim = -np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float)
    sim[np.arange(n), np.arange(n)] = -1000.0  # ground truth strictly lowest
    r = retrieval_metrics(sim, np.arange(n))
    assert r.t2v.to_dict() == {"R@1": 0.0, "R@5": 0.0, "R@10": 0.0, "R@50": 100.0,
                               "MdR": 20.0, "MnR": 20.0}


def test_constant_matrix_n1000_tie_rules():
    sim = np.zeros((1000, 1000), dtype=np.float32)
    avg = retrieval_metrics(sim, np.arange(1000), ties="averaging")
    for d in (avg.t2v, avg.v2t):
        assert d.median_rank == 500.5 and d.mean_rank == 500.5 and d.recall[0] == 0.0
        assert d.recall[3] == 0.0
    opt = retrieval_metrics(sim, np.arange(1000), ties="optimistic")
    assert opt.t2v.recall == (100.0, 100.0, 100.0, 100.0) and opt.t2v.median_rank == 1.0
    pes = retrieval_metrics(sim, np.arange(1000), ties="pessimistic")
    assert pes.t2v.median_rank == 1000.0 and pes.t2v.recall[0] == 0.0


def test_fractional_ranks_r1_needs_col_zero_rk_uses_col_below_k():
    # Row 0: GT tied with one other at the top -> col 0.5 -> not R@1 (col == 0), but R@5.
    # Row 1: 4 strictly higher, GT tied with 1 -> col 4.5 < 5 -> counts for R@5 (cols2metrics).
    # Row 2: 5 strictly higher, GT alone -> col 5 -> not R@5.
    sim = np.array([
        [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [2.0, 0.5, 2.0, 2.0, 2.0, 0.5, 0.0],
        [2.0, 2.0, 0.5, 2.0, 2.0, 2.0, 0.0],
    ])
    r = retrieval_metrics(sim, np.array([0, 1, 2]))
    np.testing.assert_array_equal(r.t2v.ranks, [1.5, 5.5, 6.0])
    assert r.t2v.hits == (0, 2, 3, 3)
    assert r.t2v.median_rank == 5.5 and r.t2v.mean_rank == pytest.approx(13 / 3)


def test_multi_caption_v2t_takes_best_caption():
    # 2 videos, captions 0-2 of video 0, caption 3 of video 1 (a "19-caption" style gap).
    sim = np.array([
        [0.1, 0.9],   # caption 0 (video 0)
        [0.8, 0.2],   # caption 1 (video 0)
        [0.3, 0.0],   # caption 2 (video 0)
        [0.95, 0.4],  # caption 3 (video 1)
    ])
    qv = np.array([0, 0, 0, 1])
    r = retrieval_metrics(sim, qv)
    # video 0 column: 0.1 0.8 0.3 0.95 -> best own caption 0.8 is 2nd; video 1: 0.9 0.2 0.0 0.4
    # -> its caption (0.4) is 2nd.
    np.testing.assert_array_equal(r.v2t.ranks, [2.0, 2.0])
    np.testing.assert_array_equal(r.t2v.ranks, [2.0, 1.0, 1.0, 2.0])
    assert r.v2t.n_queries == 2 and r.v2t.n_candidates == 4


def test_v2t_tie_between_own_captions_is_averaged_like_any_tie():
    # CE/MMT v2t ranks each own caption among all captions; a tie with a sibling caption is
    # still a tie (position 0.5), so the video misses R@1 under averaging.
    sim = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    r = retrieval_metrics(sim, np.array([0, 0, 1]))
    assert r.v2t.ranks.tolist() == [1.5, 1.0] and r.v2t.hits[0] == 1
    assert retrieval_metrics(sim, np.array([0, 0, 1]), ties="optimistic").v2t.hits[0] == 2


def test_video_without_caption_is_a_t2v_distractor_only():
    sim = np.array([[0.9, 0.95], [0.1, 0.0]])
    r = retrieval_metrics(sim, np.array([0, 0]))
    assert r.n_videos_without_query == 1
    np.testing.assert_array_equal(r.t2v.ranks, [2.0, 1.0])
    assert r.v2t.n_queries == 1 and r.v2t.ranks.tolist() == [1.0]


def test_random_matrix_2990_is_near_chance():
    rng = np.random.default_rng(0)
    r = retrieval_metrics(rng.standard_normal((2990, 2990)).astype(np.float32), np.arange(2990))
    assert abs(r.t2v.median_rank - 1495.5) < 80 and abs(r.t2v.mean_rank - 1495.5) < 40


@pytest.mark.parametrize("ties", ["averaging", "optimistic", "pessimistic"])
def test_matches_full_rank_table_with_heavy_ties(ties):
    rng = np.random.default_rng(1)
    sim = rng.integers(0, 4, size=(60, 25)).astype(np.float32)  # many ties
    qv = rng.integers(0, 20, size=60)
    r = retrieval_metrics(sim, qv, ties=ties, chunk_bytes=7 * 25 * 4)  # 7-row chunks
    t2v, v2t = _brute(sim, qv, ties)
    np.testing.assert_array_equal(r.t2v.ranks, t2v)
    np.testing.assert_array_equal(r.v2t.ranks, v2t)
    assert r.t2v.mean_rank == pytest.approx(t2v.mean())


def test_row_sliceable_non_ndarray_source_gives_same_result():
    class Rows:  # stands in for an h5py dataset: shape, dtype, row slices only
        def __init__(self, a):
            self.a, self.shape, self.dtype = a, a.shape, a.dtype

        def __getitem__(self, item):
            assert isinstance(item, slice)
            return self.a[item].copy()

    rng = np.random.default_rng(2)
    sim = rng.standard_normal((40, 30))
    qv = rng.integers(0, 30, size=40)
    a = retrieval_metrics(sim, qv)
    b = retrieval_metrics(Rows(sim), qv, chunk_bytes=1)
    np.testing.assert_array_equal(a.t2v.ranks, b.t2v.ranks)
    np.testing.assert_array_equal(a.v2t.ranks, b.v2t.ranks)


def test_integer_and_inf_scores():
    sim = np.array([[np.inf, 1.0], [-np.inf, -np.inf]])
    r = retrieval_metrics(sim, np.array([0, 1]))
    np.testing.assert_array_equal(r.t2v.ranks, [1.0, 1.5])
    r = retrieval_metrics(np.array([[3, 1], [2, 2]], dtype=np.int32), np.array([0, 1]))
    np.testing.assert_array_equal(r.t2v.ranks, [1.0, 1.5])


def test_nan_is_a_format_error_naming_the_row():
    sim = np.eye(4)
    sim[2, 3] = np.nan
    with pytest.raises(FormatError, match=r"s\.npy: row 2 .*NaN"):
        retrieval_metrics(sim, np.arange(4), name="s.npy")


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="ties"):
        retrieval_metrics(np.eye(2), np.arange(2), ties="random")
    with pytest.raises(ValueError, match="outside"):
        retrieval_metrics(np.eye(2), np.array([0, 2]))
    with pytest.raises(ValueError, match="2-D"):
        retrieval_metrics(np.zeros(3), np.arange(3))
    with pytest.raises(ValueError, match="no query"):
        rank_metrics(np.array([]))


def test_tied_positions_formulas():
    g, e = np.array([0, 3]), np.array([1, 4])
    np.testing.assert_array_equal(tied_positions(g, e, "averaging"), [0, 4.5])
    np.testing.assert_array_equal(tied_positions(g, e, "optimistic"), [0, 3])
    np.testing.assert_array_equal(tied_positions(g, e, "pessimistic"), [0, 6])


def test_summary_mean_and_population_std():
    a = retrieval_metrics(np.eye(4), np.arange(4))
    b = retrieval_metrics(1.0 - np.eye(4), np.arange(4))
    s = summarize_runs([a, b])
    assert s.mean["t2v"]["R@1"] == 50.0 and s.std["t2v"]["R@1"] == 50.0
    assert s.mean["v2t"]["MdR"] == 2.5 and s.std["v2t"]["MdR"] == 1.5
    d = s.to_dict()
    assert d["n_runs"] == 2 and set(d["std"]) == {"t2v", "v2t"} and len(d["runs"]) == 2
    single = summarize_runs([a]).to_dict()
    assert "std" not in single and single["t2v"]["R@1"] == 100.0
    assert single["params"]["ties"] == "averaging"
