"""Scoring and evaluating speaker-verification trials (numpy only).

* ``score_trials``: cosine scores for a million trials from cached embeddings, in chunks.
* ``trial_index``: map a trial list's paths to embedding rows (one embedding per file).
* ``evaluate_trials``: a score file plus a trial list -> EER / minDCF (what
  ``avtool evaluate speaker`` runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError, FormatError
from avtool.formats.voxceleb import read_scores, read_trials, scores_in_trial_order
from avtool.metrics.verification import (
    EER_MODES,
    THESIS_P_TARGET,
    VerificationResult,
    verification_metrics,
)

DEFAULT_CHUNK = 16_384


def score_trials(emb_a_index, emb_b_index, embeddings, chunk_size: int = DEFAULT_CHUNK):
    """Cosine similarity of ``embeddings[a]`` and ``embeddings[b]`` for every trial.

    Rows are L2-normalised once; then row-wise dot products run over chunks of trials so
    memory stays at ``2 * chunk_size * dim`` floats whatever the number of trials.

    Args:
        emb_a_index, emb_b_index: integer row indices, one pair per trial.
        embeddings: (n_items, dim) array; float32 is kept as float32.
        chunk_size: trials scored per block.

    Returns:
        float array (n_trials,), in [-1, 1], higher = same speaker.

    Raises:
        ValueError: index arrays of different lengths or out of range, embeddings not 2-D or
            not finite, or an embedding of norm zero that a trial uses.

    Example:
        >>> score_trials([0], [1], np.array([[1.0, 0.0], [1.0, 1.0]])).round(4)
        array([0.7071])
    """
    a = np.asarray(emb_a_index)
    b = np.asarray(emb_b_index)
    emb = np.asarray(embeddings)
    if emb.ndim != 2:
        raise ValueError(f"embeddings must be 2-D (items, dim), got shape {emb.shape}")
    if not np.issubdtype(emb.dtype, np.floating):
        emb = emb.astype(np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"index arrays must be 1-D of equal length, got {a.shape}, {b.shape}")
    if a.size and not (np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)):
        raise ValueError("trial indices must be integers")
    n = len(emb)
    for name, idx in (("emb_a_index", a), ("emb_b_index", b)):
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"{name} out of range for {n} embeddings")
    if not np.isfinite(emb).all():
        raise ValueError("embeddings contain NaN or inf")
    norms = np.linalg.norm(emb, axis=1)
    zero = norms == 0
    if zero.any():
        used = np.zeros(n, dtype=bool)
        used[a] = True
        used[b] = True
        bad = np.flatnonzero(zero & used)
        if bad.size:
            raise ValueError(f"embedding {int(bad[0])} has norm 0: cosine is undefined")
    unit = emb / np.where(zero, 1, norms)[:, None].astype(emb.dtype)
    out = np.empty(a.size, dtype=emb.dtype)
    for start in range(0, a.size, chunk_size):
        stop = start + chunk_size
        out[start:stop] = np.einsum("ij,ij->i", unit[a[start:stop]], unit[b[start:stop]])
    return np.clip(out, -1.0, 1.0, out=out)


def trial_index(path1: Sequence[str], path2: Sequence[str]):
    """``(keys, a, b)``: the distinct paths (sorted) and each trial's two rows into them."""
    if len(path1) != len(path2):
        raise ValueError("path1 and path2 must have equal lengths")
    keys = sorted(set(path1).union(path2))
    row = {key: i for i, key in enumerate(keys)}
    a = np.fromiter((row[p] for p in path1), dtype=np.int64, count=len(path1))
    b = np.fromiter((row[p] for p in path2), dtype=np.int64, count=len(path2))
    return keys, a, b


@dataclass(frozen=True)
class SpeakerEvaluation:
    """Metrics of one score file on one trial list, with the paired arrays for plots."""

    result: VerificationResult
    scores: np.ndarray
    labels: np.ndarray
    scores_path: Path
    trials_path: Path
    n_unused_scores: int

    def to_dict(self) -> dict:
        return {
            **self.result.to_dict(),
            "scores": str(self.scores_path),
            "trials": str(self.trials_path),
            "n_unused_scores": self.n_unused_scores,
        }


def evaluate_trials(
    scores_path: str | Path,
    trials_path: str | Path,
    *,
    p_targets: Sequence[float] = (THESIS_P_TARGET,),
    c_miss: float = 1.0,
    c_fa: float = 1.0,
    eer_mode: str = "roc",
) -> SpeakerEvaluation:
    """Read a score file and a trial list, pair them by (path1, path2), compute EER and minDCF.

    Raises:
        FormatError: either file is malformed, a trial has no score, or the trial list has no
            target or no non-target trial.
        ConfigError: a P_target outside (0, 1), a non-positive cost or an unknown EER mode.
    """
    p_targets = tuple(float(p) for p in p_targets) or (THESIS_P_TARGET,)
    for p in p_targets:
        if not 0.0 < p < 1.0:
            raise ConfigError(f"--p-target must be strictly between 0 and 1, got {p:g}")
    if len(set(p_targets)) != len(p_targets):
        raise ConfigError(f"--p-target given twice: {', '.join(f'{p:g}' for p in p_targets)}")
    if c_miss <= 0 or c_fa <= 0:
        raise ConfigError(f"--c-miss and --c-fa must be positive, got {c_miss:g} and {c_fa:g}")
    if eer_mode not in EER_MODES:
        raise ConfigError(f"--eer-mode {eer_mode!r}: choose one of {', '.join(EER_MODES)}")
    trials = read_trials(trials_path)
    if trials.n_target == 0 or trials.n_nontarget == 0:
        raise FormatError(
            f"{trials.path}: EER and minDCF need target (1) and non-target (0) trials; this list "
            f"has {trials.n_target} target and {trials.n_nontarget} non-target trials"
        )
    score_file = read_scores(scores_path)
    scores = scores_in_trial_order(trials, score_file)
    result = verification_metrics(
        scores, trials.labels, p_targets=p_targets, c_miss=c_miss, c_fa=c_fa,
        eer_mode=eer_mode, trial_list_sha256=trials.sha256,
    )
    used = len(set(zip(trials.path1, trials.path2, strict=True)))
    return SpeakerEvaluation(result, scores, trials.labels, score_file.path, trials.path,
                             len(score_file) - used)
