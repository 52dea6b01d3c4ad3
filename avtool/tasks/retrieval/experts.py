"""The video side's input: frozen expert features read from a store, with their times.

An expert is one store feature (an extractor's output). Its rows are **timed** (row k covers
``[k / rate, (k + 1) / rate)``, the window centre placing it in time) unless the extractor class
says ``untimed = True`` (face descriptors, speech tokens) or the feature's recorded config does
(``"untimed": true``: imported features such as CE's): the MMT gives those the reserved
"unknown time" embedding. A video lacking an expert (zero rows: no face, no speech) has it
**missing**: zero [AGG] input, masked tokens, and no share of the mixture weights.

Sub-sampling follows MMT's released code (``choose_or_pad_to_len``): more than `max_tokens`
rows keep a random subset at training time and a fixed subset (seed 0) at evaluation, sorted
in time; the [AGG] max-pool is taken over **all** rows before sub-sampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import StoreError

UNKNOWN_TIME = float("nan")


@dataclass(frozen=True)
class ExpertSpec:
    """One expert as a model needs it: the store feature, its size and whether it is timed."""

    name: str  # the store's feature name
    extractor: str
    dim: int
    frame_rate: float
    timed: bool
    config: dict

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExpertSpec:
        return cls(**d)


def is_timed(extractor: str, config: dict | None = None) -> bool:
    """False for extractors marked ``untimed``, and for features whose recorded config says
    ``"untimed": true`` (imported ones, which no extractor class describes)."""
    from avtool.features import extractors

    if config and config.get("untimed") is True:
        return False

    try:
        return not getattr(extractors.get(extractor), "untimed", False)
    except Exception:  # an extractor this avtool does not know: its rate is all there is
        return True


def expert_specs(store, names: Sequence[str] | None = None, where: str = "") -> list[ExpertSpec]:
    """The experts `names` (default: every feature of the store), sorted by name.

    Raises:
        StoreError: a named expert the store lacks (naming it and the store).
    """
    available = store.features
    names = sorted(available) if not names else sorted(dict.fromkeys(names))
    missing = [n for n in names if n not in available]
    if missing:
        raise StoreError(f"{where or store.path}: lacks the expert(s) {', '.join(missing)} the "
                         f"model needs (store features: {', '.join(sorted(available)) or 'none'})")
    out = []
    for n in names:
        info = available[n]
        out.append(ExpertSpec(n, info.extractor, int(info.dim), float(info.frame_rate),
                              is_timed(info.extractor, info.config), dict(info.config)))
    return out


def check_store_experts(store, specs: Sequence[ExpertSpec], where: str | Path) -> None:
    """The store holds every expert of `specs` with the same dimension and recipe."""
    available = store.features
    for spec in specs:
        info = available.get(spec.name)
        if info is None:
            raise StoreError(f"{where}: lacks the expert {spec.name!r} ({spec.extractor}) the "
                             f"model needs (store features: {', '.join(sorted(available))})")
        if int(info.dim) != spec.dim or info.extractor != spec.extractor:
            raise StoreError(f"{where}: expert {spec.name!r} is {info.extractor} with "
                             f"{info.dim} dims; the model was trained on {spec.extractor} with "
                             f"{spec.dim}")


@dataclass
class VideoExperts:
    """One video's expert rows and their times (NaN for untimed rows)."""

    video_id: str
    feats: dict[str, np.ndarray]  # expert -> (K, d) float32 (K = 0: missing)
    times: dict[str, np.ndarray]  # expert -> (K,) seconds, window centres


def read_video(store, video_id: str, specs: Sequence[ExpertSpec]) -> VideoExperts:
    feats, times = {}, {}
    for spec in specs:
        rows = np.asarray(store.read(video_id, spec.name), np.float32).reshape(-1, spec.dim) \
            if store.has(video_id, spec.name) else np.zeros((0, spec.dim), np.float32)
        feats[spec.name] = rows
        if spec.timed:
            times[spec.name] = (np.arange(len(rows), dtype=np.float32) + 0.5) / spec.frame_rate
        else:
            times[spec.name] = np.full(len(rows), UNKNOWN_TIME, np.float32)
    return VideoExperts(video_id, feats, times)


def read_videos(store, ids: Sequence[str], specs: Sequence[ExpertSpec], where: str = ""
                ) -> list[VideoExperts]:
    """Every video of `ids` (`StoreError` naming the first id the store lacks)."""
    lacking = [i for i in ids if i not in store]
    if lacking:
        raise StoreError(f"{where or store.path}: {len(lacking)} video(s) are not in the store "
                         f"(first: {lacking[0]!r})")
    return [read_video(store, i, specs) for i in ids]


def position_ids(times: np.ndarray, max_positions: int) -> np.ndarray:
    """MMT's temporal ids (released code): 0 = [AGG]/[CLS], 1 = unknown time, and a row whose
    window centre is t seconds from the start gets ``int(t) + 2``, clamped at max - 1 (so a
    feature at 7.4 s, the thesis's T_8, has id 9)."""
    out = np.ones(len(times), np.int64)
    known = ~np.isnan(times)
    out[known] = np.minimum(times[known].astype(np.int64) + 2, max_positions - 1)
    return out


def subsample(n: int, keep: int, rng: np.random.Generator | None) -> np.ndarray:
    """Indices of at most `keep` of n rows, sorted: random with `rng`, else seed 0."""
    if n <= keep:
        return np.arange(n)
    rng = rng if rng is not None else np.random.default_rng(0)
    return np.sort(rng.choice(n, keep, replace=False))


def collate_experts(videos: Sequence[VideoExperts], specs: Sequence[ExpertSpec],
                    max_tokens: int, max_positions: int,
                    rng: np.random.Generator | None = None) -> dict[str, dict[str, Any]]:
    """Padded tensors per expert: ``feats`` (B, K, d), ``pos`` (B, K), ``valid`` (B, K),
    ``pooled`` (B, d) (max over all rows), ``present`` (B,)."""
    import torch

    out = {}
    for spec in specs:
        b = len(videos)
        kept = [subsample(len(v.feats[spec.name]), max_tokens, rng) for v in videos]
        k = max(1, max(len(i) for i in kept))
        feats = np.zeros((b, k, spec.dim), np.float32)
        pos = np.zeros((b, k), np.int64)
        valid = np.zeros((b, k), bool)
        pooled = np.zeros((b, spec.dim), np.float32)
        for j, (v, idx) in enumerate(zip(videos, kept, strict=True)):
            rows = v.feats[spec.name]
            if len(rows):
                pooled[j] = rows.max(axis=0)
            feats[j, :len(idx)] = rows[idx]
            pos[j, :len(idx)] = position_ids(v.times[spec.name][idx], max_positions)
            valid[j, :len(idx)] = True
        out[spec.name] = {"feats": torch.from_numpy(feats), "pos": torch.from_numpy(pos),
                          "valid": torch.from_numpy(valid), "pooled": torch.from_numpy(pooled),
                          "present": torch.from_numpy(valid.any(axis=1))}
    return out


def experts_to(batch: dict[str, dict[str, Any]], device: str) -> dict[str, dict[str, Any]]:
    return {e: {k: v.to(device) for k, v in t.items()} for e, t in batch.items()}
