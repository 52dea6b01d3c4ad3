"""Test-time augmentation (TTA) of `avtool verify-speaker`: what is embedded per file and how
those embedding rows become the vector that trials are scored with.

Modes, as in the Nagrani thesis (§2.7.1.5), with crops evenly spaced (the thesis does not say
how it placed them):

* ``whole`` (default): one embedding of the whole utterance.
* ``crops10`` (TTA-2): the renormalised mean embedding of 10 evenly spaced 3-s crops.
* ``crops100`` (TTA-3): the mean cosine over the 10 x 10 crop pairs of the two files, computed
  as the dot product of the two (unnormalised) mean crop embeddings, which is the same number.

A file shorter than a crop is loop-padded to one crop. Both crop modes embed the same 10 crops
per file, so they share one cached feature (:func:`tta_feature`).

Relation-loss checkpoints (``relation_dim`` > 0) embed rows of speaker embedding then relation
embedding; the thesis scores them on whole utterances only, so TTA is refused for them
(:func:`check_relation`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from avtool.errors import ConfigError, MediaError

TTA_MODES = ("whole", "crops10", "crops100")
N_CROPS = 10
CROP_SECONDS = 3.0


def check_tta(tta: str) -> str:
    if tta not in TTA_MODES:
        raise ConfigError(f"--tta {tta!r}: choose one of {', '.join(TTA_MODES)}")
    return tta


def tta_feature(tta: str) -> str:
    """What a mode embeds per file: ``whole`` or ``crops10`` (both crop modes)."""
    return "whole" if tta == "whole" else f"crops{N_CROPS}"


def crop_waveform(wav: np.ndarray, sample_rate: int, n: int = N_CROPS,
                  seconds: float = CROP_SECONDS) -> list[np.ndarray]:
    """``n`` evenly spaced crops of ``seconds``; one loop-padded crop if ``wav`` is shorter."""
    size = int(round(seconds * sample_rate))
    if len(wav) <= size:
        reps = -(-size // max(1, len(wav)))
        return [np.tile(wav, reps)[:size]]
    starts = np.round(np.linspace(0, len(wav) - size, n)).astype(int)
    return [wav[s: s + size] for s in starts]


def relation_dim(embedder) -> int:
    """Width of the relation part of the embedder's rows (0: cosine-scored models)."""
    return int(getattr(embedder, "relation_dim", 0))


def check_relation(embedder, tta: str, snorm: bool = False) -> None:
    """Refuse what a relation-loss model cannot be scored with as in the thesis: TTA, and
    s-norm (which needs dot-product scores against a cohort)."""
    if not relation_dim(embedder):
        return
    reason = (f"{embedder.name} is a relation-loss model, scored by the mean of the cosine and "
              "the relation module's probability on whole utterances")
    if tta != "whole":
        raise ConfigError(f"--tta {tta}: {reason}; use --tta whole")
    if snorm:
        raise ConfigError(f"--snorm-cohort: s-norm needs dot-product scores, and {reason}; "
                          "drop --snorm-cohort")


def embed_waveforms(embedder, wavs: Sequence[np.ndarray]) -> np.ndarray:
    """(n, width) rows, batched: relation models' full rows (``embed_rows``), else embeddings
    through ``embed_many`` when the embedder has it."""
    if relation_dim(embedder):
        return np.asarray(embedder.embed_rows(list(wavs)), dtype=np.float32)
    many = getattr(embedder, "embed_many", None)
    if many is not None:
        return np.asarray(many(list(wavs)), dtype=np.float32)
    return np.stack([np.asarray(embedder.embed(w), dtype=np.float32) for w in wavs])


def embedding_rows(embedder, wav: np.ndarray, tta: str) -> np.ndarray:
    """What the cache stores for one file: (1, width) for ``whole``, (k <= 10, width) for crops.

    A crop the model rejects (e.g. nothing but silence) is left out; the file fails only when
    every crop does.
    """
    if tta_feature(tta) == "whole":
        return embed_waveforms(embedder, [wav])
    crops = crop_waveform(wav, embedder.sample_rate)
    try:
        return embed_waveforms(embedder, crops)
    except MediaError as first:
        kept = []
        for crop in crops:
            try:
                kept.append(embed_waveforms(embedder, [crop])[0])
            except MediaError:
                continue
        if not kept:
            raise first from None
        return np.stack(kept)


def scoring_vector(rows: np.ndarray, tta: str) -> np.ndarray:
    """The vector whose dot products are the scores (unit norm except for ``crops100``)."""
    mean = np.asarray(rows, dtype=np.float64).mean(axis=0)
    if tta == "crops100":
        return mean
    return mean / np.linalg.norm(mean)
