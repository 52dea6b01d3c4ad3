"""Cross-modal retrieval metrics: R@K, median rank (MdR), mean rank (MnR), both directions.

Conventions (Gabeur thesis §3.3.1 and the CE/MMT released ``model/metric.py``; Nagrani thesis
Ch. 9 for the optimistic variant):

* ``S`` is a similarity matrix of shape ``[n_queries, n_videos]``: one row per text query
  (caption), one column per video, higher = more similar. Every caption has exactly one
  ground-truth video (``query_video[k]``); a video may have any number of captions, including
  none (such videos are distractors: candidates for text-to-video, never video-to-text queries).
* **Text-to-video (t2v)**: caption ``k`` ranks all ``n_videos`` columns of row ``k``.
* **Video-to-text (v2t)**: video ``j`` ranks all ``n_queries`` rows of column ``j``; its rank is
  the best (smallest) rank among its own captions (CE/MMT ``v2t_metrics``). Because a position
  falls strictly as the score rises, that is the rank of its highest-scoring caption.
* With ``greater`` candidates scoring strictly more than the ground truth and ``equal`` candidates
  scoring exactly the same (the ground truth included, so ``equal >= 1``), the 0-based position
  ``col`` of the ground truth is, per ``ties``:

  - ``"averaging"`` (default, the thesis's released code, ``break_ties="averaging"``): the mean of
    the tied positions, ``col = greater + (equal - 1) / 2``; it can be a half-integer;
  - ``"optimistic"`` (CE / older VSE code): the first tied position, ``col = greater``;
  - ``"pessimistic"``: the last tied position, ``col = greater + equal - 1``.

  Ranks are 1-based: ``rank = col + 1``.
* ``R@K`` (percent) = ``100 · #{col < K} / n`` for K > 1 and ``100 · #{col == 0} / n`` for K = 1,
  exactly as ``cols2metrics``. With averaging, a ground truth tied with anything never counts
  for R@1, and a tie across positions K-1 and K (0-based) counts for R@K. ``MdR = median(col) + 1``
  and ``MnR = mean(col) + 1``.
* Counting never sorts and never builds a rank table: rows are read in chunks (any array-like
  with ``shape``, ``dtype`` and row slicing works: ndarray, ``np.memmap``, ``h5py.Dataset``,
  ``avtool.formats.similarity.NpyMatrix``) and each ground-truth score is compared with its row
  (t2v) or column (v2t). Ground-truth scores are read as points when the source is an ndarray
  or has a ``points(rows, cols)`` method, else by one extra pass over the rows. Comparisons use the
  matrix's own dtype, so equal stored values tie exactly.

Edge cases (pinned by tests/metrics/test_retrieval_metrics.py):

* identity matrix: R@K 100, MdR = MnR = 1 in both directions; ground truth ranked last:
  R@K 0 for K < N, MdR = MnR = N;
* constant matrix (N x N): averaging gives MdR = MnR = (N + 1) / 2 and R@1 = 0; optimistic
  gives R@1 = 100; pessimistic MdR = MnR = N;
* a NaN anywhere in the matrix is a ``FormatError`` naming ``name`` and the row (a NaN compares
  false and would silently rank last); ±inf are ordinary scores;
* no query, a ``query_video`` entry outside ``[0, n_videos)``, or a matrix that is not 2-D with
  real numbers: ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from avtool.errors import FormatError

__all__ = [
    "RECALL_KS",
    "TIE_RULES",
    "RankMetrics",
    "RetrievalResult",
    "RetrievalSummary",
    "rank_metrics",
    "retrieval_metrics",
    "summarize_runs",
    "tied_positions",
]

TIE_RULES = ("averaging", "optimistic", "pessimistic")
RECALL_KS = (1, 5, 10, 50)
METRIC_KEYS = ("R@1", "R@5", "R@10", "R@50", "MdR", "MnR")
CHUNK_BYTES = 32 * 2**20
"""Rows are read in chunks of about this many bytes (at least one row)."""


def tied_positions(greater: np.ndarray, equal: np.ndarray, ties: str = "averaging") -> np.ndarray:
    """0-based positions of the ground truth from its counts of higher and equal scores.

    ``equal`` counts the ground truth itself, so it is at least 1.
    """
    greater = np.asarray(greater, dtype=np.float64)
    equal = np.asarray(equal, dtype=np.float64)
    if ties == "averaging":
        return greater + (equal - 1.0) / 2.0
    if ties == "optimistic":
        return greater
    if ties == "pessimistic":
        return greater + equal - 1.0
    raise ValueError(f"ties must be one of {', '.join(TIE_RULES)}, not {ties!r}")


@dataclass(frozen=True)
class RankMetrics:
    """Ranking metrics of one direction, with the counts they come from."""

    direction: str
    n_queries: int
    n_candidates: int
    ties: str
    ks: tuple[int, ...]
    hits: tuple[int, ...]
    """Queries counted for each R@K (same order as ``ks``)."""
    recall: tuple[float, ...]
    """R@K in percent."""
    median_rank: float
    mean_rank: float
    ranks: np.ndarray = field(repr=False, compare=False)
    """1-based rank of each query's ground truth (float: averaged ties can be x.5)."""

    def to_dict(self) -> dict[str, float]:
        out: dict[str, float] = {f"R@{k}": r for k, r in zip(self.ks, self.recall, strict=True)}
        out["MdR"] = self.median_rank
        out["MnR"] = self.mean_rank
        return out


def rank_metrics(
    cols: np.ndarray, *, direction: str = "t2v", n_candidates: int = 0,
    ties: str = "averaging", ks: Sequence[int] = RECALL_KS,
) -> RankMetrics:
    """R@K, MdR and MnR from 0-based ground-truth positions (``cols2metrics``)."""
    cols = np.asarray(cols, dtype=np.float64).reshape(-1)
    if cols.size == 0:
        raise ValueError(f"{direction}: no query to score")
    hits = tuple(int(np.count_nonzero(cols == 0 if k == 1 else cols < k)) for k in ks)
    n = cols.size
    return RankMetrics(
        direction=direction, n_queries=n, n_candidates=int(n_candidates), ties=ties,
        ks=tuple(int(k) for k in ks), hits=hits,
        recall=tuple(100.0 * h / n for h in hits),
        median_rank=float(np.median(cols) + 1.0), mean_rank=float(np.mean(cols) + 1.0),
        ranks=cols + 1.0,
    )


@dataclass(frozen=True)
class RetrievalResult:
    """Both directions for one similarity matrix, with every count and parameter."""

    t2v: RankMetrics
    v2t: RankMetrics
    n_queries: int
    n_videos: int
    n_videos_without_query: int
    """Videos with no caption: t2v distractors, not v2t queries."""
    ties: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "t2v": self.t2v.to_dict(),
            "v2t": self.v2t.to_dict(),
            "counts": {
                "queries": self.n_queries, "videos": self.n_videos,
                "t2v_queries": self.t2v.n_queries, "v2t_queries": self.v2t.n_queries,
                "videos_without_caption": self.n_videos_without_query,
            },
            "params": {"ties": self.ties, "ks": list(self.t2v.ks)},
        }


def _chunk_rows(n_cols: int, itemsize: int, chunk_bytes: int) -> int:
    return max(1, int(chunk_bytes) // max(1, n_cols * itemsize))


def _check_finite(block: np.ndarray, row0: int, name: str) -> None:
    if block.dtype.kind == "f" and block.size and np.isnan(block.max()):
        bad = row0 + int(np.flatnonzero(np.isnan(block).any(axis=1))[0])
        raise FormatError(f"{name}: row {bad} (0-based) holds NaN; similarities must be numbers")


def _gt_scores(sim: Any, rows: np.ndarray, cols: np.ndarray, step: int, name: str) -> np.ndarray:
    """``sim[rows[i], cols[i]]`` for all i: point reads where possible, row chunks otherwise."""
    if isinstance(sim, np.ndarray):
        return np.asarray(sim[rows, cols])
    if callable(getattr(sim, "points", None)):
        return np.asarray(sim.points(rows, cols))
    out = np.empty(len(rows), dtype=sim.dtype)
    order = np.argsort(rows, kind="stable")
    srows = rows[order]
    for a in range(0, sim.shape[0], step):
        lo, hi = np.searchsorted(srows, [a, a + step])
        if lo == hi:
            continue
        block = np.asarray(sim[a : a + step])
        idx = order[lo:hi]
        out[idx] = block[rows[idx] - a, cols[idx]]
    return out


def retrieval_metrics(
    sim: Any, query_video: np.ndarray, *, ties: str = "averaging",
    ks: Sequence[int] = RECALL_KS, chunk_bytes: int = CHUNK_BYTES, name: str = "similarity matrix",
) -> RetrievalResult:
    """Text-to-video and video-to-text ranking metrics of one similarity matrix.

    Args:
        sim: ``[n_queries, n_videos]`` array-like (ndarray, memmap, h5py dataset), rows read in
            chunks of about ``chunk_bytes``.
        query_video: ground-truth column of each row (int array, length ``n_queries``).
        ties: ``"averaging"`` (default), ``"optimistic"`` or ``"pessimistic"`` (module doc).
        ks: the K of each R@K.
        name: how errors name the matrix (its file).

    Returns:
        A ``RetrievalResult`` with both directions; recalls in percent, ranks 1-based.

    Raises:
        FormatError: the matrix holds NaN.
        ValueError: bad shapes, no query, ``query_video`` out of range, unknown ``ties``.

    Example:
        >>> r = retrieval_metrics(np.eye(3), np.arange(3))
        >>> r.t2v.to_dict()["R@1"], r.v2t.to_dict()["MdR"]
        (100.0, 1.0)
    """
    tied_positions(np.zeros(0), np.zeros(0), ties)  # validates `ties`
    shape = tuple(sim.shape)
    if len(shape) != 2:
        raise ValueError(f"{name}: expected a 2-D matrix, got shape {shape}")
    if np.dtype(sim.dtype).kind not in "fiu":
        raise ValueError(f"{name}: expected real numbers, got dtype {sim.dtype}")
    n_q, n_v = shape
    qv = np.asarray(query_video, dtype=np.int64).reshape(-1)
    if qv.size != n_q:
        raise ValueError(f"{name}: {n_q} rows but {qv.size} ground-truth entries")
    if n_q == 0 or n_v == 0:
        raise ValueError(f"{name}: no query to score (shape {shape})")
    if qv.min() < 0 or qv.max() >= n_v:
        raise ValueError(f"{name}: ground-truth column outside [0, {n_v})")
    step = _chunk_rows(n_v, np.dtype(sim.dtype).itemsize, chunk_bytes)

    # Pass 1: each caption's ground-truth score; each video's best caption score (v2t).
    t = _gt_scores(sim, np.arange(n_q), qv, step, name)
    if t.dtype.kind == "f" and np.isnan(t).any():
        raise FormatError(f"{name}: row {int(np.flatnonzero(np.isnan(t))[0])} (0-based) "
                          "holds NaN; similarities must be numbers")
    vids = np.unique(qv)
    best = np.full(vids.size, -np.inf if t.dtype.kind == "f" else np.iinfo(t.dtype).min,
                   dtype=t.dtype)
    np.maximum.at(best, np.searchsorted(vids, qv), t)

    # Pass 2: count higher and equal scores, row chunk by row chunk.
    g_t2v = np.empty(n_q, dtype=np.int64)
    e_t2v = np.empty(n_q, dtype=np.int64)
    g_v2t = np.zeros(vids.size, dtype=np.int64)
    e_v2t = np.zeros(vids.size, dtype=np.int64)
    for a in range(0, n_q, step):
        block = np.asarray(sim[a : a + step])
        _check_finite(block, a, name)
        b = a + block.shape[0]
        tk = t[a:b, None]
        g_t2v[a:b] = np.count_nonzero(block > tk, axis=1)
        e_t2v[a:b] = np.count_nonzero(block == tk, axis=1)
        sub = block[:, vids] if vids.size < n_v else block
        g_v2t += np.count_nonzero(sub > best, axis=0)
        e_v2t += np.count_nonzero(sub == best, axis=0)

    t2v = rank_metrics(tied_positions(g_t2v, e_t2v, ties), direction="t2v", n_candidates=n_v,
                       ties=ties, ks=ks)
    v2t = rank_metrics(tied_positions(g_v2t, e_v2t, ties), direction="v2t", n_candidates=n_q,
                       ties=ties, ks=ks)
    return RetrievalResult(t2v=t2v, v2t=v2t, n_queries=n_q, n_videos=n_v,
                           n_videos_without_query=n_v - vids.size, ties=ties, source=name)


@dataclass(frozen=True)
class RetrievalSummary:
    """Mean and standard deviation of each metric over several runs (e.g. 3 seeds).

    ``std`` is the population standard deviation (``ddof=0``, numpy's default); one run gives 0.
    """

    runs: tuple[RetrievalResult, ...]
    mean: dict[str, dict[str, float]]
    std: dict[str, dict[str, float]]

    def to_dict(self) -> dict[str, Any]:
        first = self.runs[0].to_dict()
        out: dict[str, Any] = {"t2v": self.mean["t2v"], "v2t": self.mean["v2t"]}
        if len(self.runs) > 1:
            out["std"] = self.std
            out["n_runs"] = len(self.runs)
            out["runs"] = [{"source": r.source, "t2v": r.t2v.to_dict(), "v2t": r.v2t.to_dict()}
                           for r in self.runs]
        out["counts"] = first["counts"]
        out["params"] = first["params"]
        return out


def summarize_runs(results: Sequence[RetrievalResult]) -> RetrievalSummary:
    """Mean and std over runs that scored the same queries and videos."""
    if not results:
        raise ValueError("no run to summarize")
    mean: dict[str, dict[str, float]] = {}
    std: dict[str, dict[str, float]] = {}
    for direction in ("t2v", "v2t"):
        rows = [getattr(r, direction).to_dict() for r in results]
        keys = list(rows[0])
        mean[direction] = {k: float(np.mean([row[k] for row in rows])) for k in keys}
        std[direction] = {k: float(np.std([row[k] for row in rows])) for k in keys}
    return RetrievalSummary(runs=tuple(results), mean=mean, std=std)
