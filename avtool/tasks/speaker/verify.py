"""Speaker verification with an embedder: one pair, or a whole trial list with an embedding cache.

Scores are cosine similarities (higher = same speaker); in pair mode without TTA, an embedder
with a ``score(wav_a, wav_b)`` method gives its own pair score. Relation-loss checkpoints
(``relation_dim`` > 0) get the thesis score, the mean of the cosine and the relation module's
same-speaker probability, in both modes: the cache keeps their rows (speaker embedding, then
relation embedding) and batch mode scores them with the embedder's ``score_rows``, the function
behind ``score``. The thesis scores relation models on whole utterances only, so with them TTA
and s-norm (which needs dot-product scores against a cohort) are refused
(:func:`~avtool.tasks.speaker.tta.check_relation`).

Test-time augmentation (``--tta``, :mod:`avtool.tasks.speaker.tta`) decides what is embedded per
file; the embeddings go into a store (:mod:`avtool.tasks.speaker.cache`) so that each file is
embedded once.

Adaptive s-norm (Matejka et al., 2017): a trial score ``s`` of files ``a`` and ``b`` becomes
``((s - mu_a) / sd_a + (s - mu_b) / sd_b) / 2`` where ``mu_x``, ``sd_x`` are the mean and standard
deviation of the ``top`` highest scores of ``x`` against a cohort (cohort files with the same
source as ``x`` are left out).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import MediaError
from avtool.tasks.speaker.cache import Progress, cached_vectors, embed_to_cache
from avtool.tasks.speaker.embedders import open_embedder
from avtool.tasks.speaker.speech_input import read_speech
from avtool.tasks.speaker.tta import (
    check_relation,
    check_tta,
    embedding_rows,
    relation_dim,
    scoring_vector,
)

DEFAULT_THRESHOLD = 0.5
"""Decision threshold used when the model has none and --threshold is not given."""


def trial_scores(embedder, vectors: np.ndarray, a: np.ndarray, b: np.ndarray,
                 tta: str) -> np.ndarray:
    """Scores of the trials ``(a[i], b[i])`` (rows of ``vectors``, from ``cached_vectors``):
    cosine (``crops100``: the mean crop-pair cosine), or a relation model's ``score_rows``."""
    from avtool.tasks.speaker.scoring import score_trials

    if relation_dim(embedder):
        return np.asarray(embedder.score_rows(vectors, a, b), dtype=np.float64)
    scores = score_trials(a, b, vectors).astype(np.float64)
    if tta == "crops100":
        norms = np.linalg.norm(vectors, axis=1)
        scores = scores * norms[a] * norms[b]
    return scores


def resolve_threshold(embedder, threshold: float | None) -> tuple[float, str]:
    """(threshold, where it came from): --threshold, the model's calibrated one, or 0.5."""
    if threshold is not None:
        return float(threshold), "--threshold"
    calibrated = getattr(embedder, "threshold", None)
    if calibrated is not None:
        return float(calibrated), f"calibrated for {embedder.name}"
    return DEFAULT_THRESHOLD, "default 0.5: the model has no calibrated threshold"


# --------------------------------------------------------------------------- pair mode


@dataclass(frozen=True)
class PairResult:
    score: float
    threshold: float
    threshold_source: str
    model: str
    tta: str
    files: tuple[str, str]
    seconds: tuple[float, float]

    @property
    def same_speaker(self) -> bool:
        return self.score >= self.threshold

    def to_dict(self) -> dict:
        return {"score": self.score, "same_speaker": self.same_speaker,
                "threshold": self.threshold, "threshold_source": self.threshold_source,
                "model": self.model, "tta": self.tta, "files": list(self.files),
                "seconds": list(self.seconds)}


def verify_pair(path_a: str | Path, path_b: str | Path, model: str = "ge2e",
                threshold: float | None = None, device: Any = "cpu", tta: str = "whole",
                ge2e_options: dict | None = None) -> PairResult:
    """Score one trial. Raises MediaError (naming the file) for unreadable, too short or
    silent audio."""
    check_tta(tta)
    embedder = open_embedder(model, device, ge2e_options)
    check_relation(embedder, tta)
    vectors, seconds, wavs = [], [], []
    for path in (path_a, path_b):
        wav = read_speech(path, embedder.sample_rate)
        try:
            rows = embedding_rows(embedder, wav, tta)
        except MediaError as err:
            raise MediaError(f"{path}: {err}") from None
        vectors.append(scoring_vector(rows, tta))
        seconds.append(len(wav) / embedder.sample_rate)
        wavs.append(wav)
    pair_score = getattr(embedder, "score", None)
    if tta == "whole" and callable(pair_score):  # e.g. relation models: their validated score
        score = float(pair_score(wavs[0], wavs[1]))
    else:
        score = float(np.clip(vectors[0] @ vectors[1], -1.0, 1.0))
    value, source = resolve_threshold(embedder, threshold)
    return PairResult(score, value, source, embedder.name, tta, (str(path_a), str(path_b)),
                      (seconds[0], seconds[1]))


# --------------------------------------------------------------------------- batch mode


@dataclass(frozen=True)
class BatchResult:
    trials: str
    scores: str | None
    cache: str
    model: str
    tta: str
    n_trials: int
    n_scored: int
    n_files: int
    n_embedded: int
    n_cached: int
    bad: tuple = ()
    """BadFile records (avtool.tasks.speaker.cache)."""
    snorm: dict | None = None

    def to_dict(self) -> dict:
        return {"trials": self.trials, "scores": self.scores, "cache": self.cache,
                "model": self.model, "tta": self.tta, "n_trials": self.n_trials,
                "n_scored": self.n_scored, "n_files": self.n_files,
                "n_embedded": self.n_embedded, "n_cached": self.n_cached,
                "n_bad_files": len(self.bad), "bad_files": [str(b) for b in self.bad],
                "snorm": self.snorm}


ProgressFactory = Callable[[str, int], Progress]


def default_cache(out: str | Path) -> Path:
    """``scores.txt`` -> ``scores.emb.h5`` beside it."""
    out = Path(out)
    return out.with_name(f"{out.stem}.emb.h5")


def cohort_files(root: Path) -> list[tuple[str, Path]]:
    from avtool.media.audio import MEDIA_EXTENSIONS

    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in MEDIA_EXTENSIONS
                   and p.is_file())
    if not files:
        raise MediaError(f"{root}: no audio files for the s-norm cohort")
    return [(f"cohort/{p.relative_to(root).as_posix()}", p) for p in files]


def verify_trials(trials: str | Path, audio_root: str | Path, out: str | Path, *,
                  model: str = "ge2e", cache: str | Path | None = None, tta: str = "whole",
                  device: Any = "cpu", workers: int = 1, snorm_cohort: str | Path | None = None,
                  snorm_top: int = 200, strict: bool = False, ge2e_options: dict | None = None,
                  progress: ProgressFactory | None = None) -> BatchResult:
    """Score every trial of a VoxCeleb-style list; write ``path1 path2 score`` lines to ``out``.

    Each distinct file is embedded once into the ``cache`` store (reused by later runs).
    ``snorm_cohort`` is a directory of cohort audio (embedded into the same cache under ids
    ``cohort/<relative path>``) or a store written by an earlier run with the same model and
    TTA (all its items form the cohort).

    Returns:
        counts, the bad files (trials using them get no score) and the s-norm settings.

    Relation-loss checkpoints get the same thesis score as pair mode (``--tta whole`` only,
    no s-norm: ConfigError).

    Raises:
        FormatError: malformed trial list. MediaError: audio root missing, or the first bad file
        with ``strict``. StoreError: cache written by another model or from other audio.
        ConfigError: TTA or s-norm with a relation-loss model.
    """
    from avtool.formats.voxceleb import read_trials, write_scores
    from avtool.io import check_output
    from avtool.tasks.speaker.snorm import cohort_stats, snorm_scores

    check_tta(tta)
    cache = Path(cache) if cache is not None else default_cache(out)
    check_output(out)
    check_output(cache)
    trial_list = read_trials(trials)
    root = Path(audio_root).resolve()  # sources are absolute: comparable across runs
    if not root.is_dir():
        raise MediaError(f"{root}: audio root is not a directory")
    if snorm_cohort is not None and not Path(snorm_cohort).exists():
        raise MediaError(f"{snorm_cohort}: no such s-norm cohort (directory or store)")
    where: dict[str, str] = {}
    for p1, p2, line in zip(trial_list.path1, trial_list.path2, trial_list.lines, strict=True):
        where.setdefault(p1, f"{trial_list.path}:{line}")
        where.setdefault(p2, f"{trial_list.path}:{line}")
    keys = sorted(where)
    embedder = open_embedder(model, device, ge2e_options)
    check_relation(embedder, tta, snorm=snorm_cohort is not None)
    common = dict(model=model, device=str(device), ge2e_options=ge2e_options, workers=workers,
                  strict=strict)
    advance = progress("embedding", len(keys)) if progress else None
    report = embed_to_cache(embedder, [(k, root / k) for k in keys], cache, tta, where=where,
                            progress=advance, **common)
    bad_keys = {b.key for b in report.bad}
    good = [k for k in keys if k not in bad_keys]
    row = {k: i for i, k in enumerate(good)}
    use = np.array([a in row and b in row for a, b in
                    zip(trial_list.path1, trial_list.path2, strict=True)], dtype=bool)
    path1 = [p for p, u in zip(trial_list.path1, use, strict=True) if u]
    path2 = [p for p, u in zip(trial_list.path2, use, strict=True) if u]
    snorm = None
    scores_path = None
    if path1:
        _, sources, vectors = cached_vectors(cache, embedder, tta, good)
        a = np.array([row[p] for p in path1])
        b = np.array([row[p] for p in path2])
        scores = trial_scores(embedder, vectors, a, b, tta)
        if snorm_cohort is not None:
            cohort_path = Path(snorm_cohort)
            if cohort_path.is_dir():
                files = cohort_files(cohort_path.resolve())
                step = progress("cohort", len(files)) if progress else None
                cohort_report = embed_to_cache(embedder, files, cache, tta, progress=step,
                                               **common)
                if cohort_report.bad:
                    raise MediaError(f"s-norm cohort file {cohort_report.bad[0]}")
                _, cohort_sources, cohort = cached_vectors(cache, embedder, tta,
                                                           [k for k, _ in files])
            else:
                _, cohort_sources, cohort = cached_vectors(cohort_path, embedder, tta)
            stats = cohort_stats(vectors, cohort, snorm_top, sources, cohort_sources)
            scores = snorm_scores(scores, a, b, stats)
            snorm = {"cohort": str(cohort_path), "cohort_size": stats.cohort_size,
                     "top": stats.top, "requested_top": snorm_top}
        write_scores(out, path1, path2, scores)
        scores_path = str(out)
    return BatchResult(str(trial_list.path), scores_path, str(cache), embedder.name, tta,
                       len(trial_list), int(use.sum()), len(keys), report.n_embedded,
                       report.n_cached, tuple(report.bad), snorm)
