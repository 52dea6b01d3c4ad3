"""Adaptive symmetric score normalisation (AS-norm) of speaker-verification scores (numpy only).

For a file x with scoring vector v_x and a cohort C (one vector per cohort utterance), let
``S_x`` be the ``top`` highest scores ``v_x . c`` over cohort vectors c (cohort items with the same
source file as x are left out). With ``mu_x``, ``sd_x`` the mean and (population) standard
deviation of ``S_x``, a trial score s of files a and b becomes::

    s' = ((s - mu_a) / sd_a + (s - mu_b) / sd_b) / 2

(Matejka et al., Interspeech 2017; ``top`` = 200 to 400 is usual; a ``top`` larger than the
cohort uses the whole cohort, i.e. plain s-norm.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from avtool.errors import ConfigError

MIN_COHORT = 2


@dataclass(frozen=True)
class CohortStats:
    mean: np.ndarray
    std: np.ndarray
    top: int
    cohort_size: int


def cohort_stats(vectors: np.ndarray, cohort: np.ndarray, top: int,
                 sources: Sequence[str] | None = None,
                 cohort_sources: Sequence[str] | None = None,
                 chunk_size: int = 1024) -> CohortStats:
    """Mean and std of each row's ``top`` highest scores against the cohort.

    Args:
        vectors: (n, dim) scoring vectors of the trial files.
        cohort: (m, dim) scoring vectors of the cohort.
        top: how many of the highest cohort scores to keep (capped by what is available).
        sources, cohort_sources: optional file names; a cohort entry with the same source as
            a trial file is excluded from that file's statistics.

    Raises:
        ConfigError: top < 1, fewer than 2 usable cohort entries, or mismatched dimensions.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    cohort = np.asarray(cohort, dtype=np.float64)
    if top < 1:
        raise ConfigError(f"--snorm-top must be at least 1, got {top}")
    if cohort.ndim != 2 or vectors.ndim != 2 or cohort.shape[1] != vectors.shape[1]:
        raise ConfigError(f"s-norm cohort has shape {cohort.shape}, trial vectors "
                          f"{vectors.shape}: dimensions differ")
    exclude = None
    if sources is not None and cohort_sources is not None:
        where: dict[str, list[int]] = {}
        for j, src in enumerate(cohort_sources):
            where.setdefault(str(src), []).append(j)
        exclude = [where.get(str(src), []) for src in sources]
    most_excluded = max((len(e) for e in exclude), default=0) if exclude else 0
    k = min(top, len(cohort) - most_excluded)
    if k < MIN_COHORT:
        raise ConfigError(f"s-norm cohort has {len(cohort)} usable entries "
                          f"({most_excluded} excluded as the trial file itself); need at least "
                          f"{MIN_COHORT}")
    mean = np.empty(len(vectors))
    std = np.empty(len(vectors))
    for start in range(0, len(vectors), chunk_size):
        block = vectors[start: start + chunk_size] @ cohort.T
        if exclude is not None:
            for row, cols in enumerate(exclude[start: start + chunk_size]):
                block[row, cols] = -np.inf
        best = np.partition(block, block.shape[1] - k, axis=1)[:, -k:]
        mean[start: start + len(block)] = best.mean(axis=1)
        std[start: start + len(block)] = best.std(axis=1)
    return CohortStats(mean, np.maximum(std, 1e-8), k, len(cohort))


def snorm_scores(scores: np.ndarray, a: np.ndarray, b: np.ndarray,
                 stats: CohortStats) -> np.ndarray:
    """Normalise each trial score with the statistics of its two files (rows ``a``, ``b``)."""
    scores = np.asarray(scores, dtype=np.float64)
    za = (scores - stats.mean[a]) / stats.std[a]
    zb = (scores - stats.mean[b]) / stats.std[b]
    return 0.5 * (za + zb)
