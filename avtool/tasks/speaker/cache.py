"""The embedding cache of `avtool verify-speaker --trials`: each file embedded once into a store.

Items are the trial paths; the feature is ``<model>_whole`` or ``<model>_crops10`` (one row per
embedding, see :mod:`avtool.tasks.speaker.tta` for the TTA modes), and its config records the
model and preprocessing, so a cache made otherwise is refused rather than mixed. A relation-loss
model's rows are its speaker embedding then its relation embedding (config key ``relation_dim``,
frame shape ``dim + relation_dim``), so a speaker-only cache of the same model is refused too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import AvtoolError, MediaError, StoreError
from avtool.tasks.speaker.embedders import open_embedder
from avtool.tasks.speaker.speech_input import read_speech
from avtool.tasks.speaker.tta import (
    CROP_SECONDS,
    N_CROPS,
    crop_waveform,
    embed_waveforms,
    embedding_rows,
    relation_dim,
    scoring_vector,
    tta_feature,
)

CHUNK_FILES = 16

Progress = Callable[[int], None]
"""Called with how many more files are done."""


@dataclass(frozen=True)
class BadFile:
    """A file that could not be embedded; ``message`` starts with its path."""

    key: str
    message: str
    where: str = ""
    """``trials.txt:LINE`` of the first trial using the file ("" when not from a trial list)."""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


_WORKER: dict[str, Any] = {}


def _init_worker(model: str, device: str, ge2e_options: dict | None, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    _WORKER["embedder"] = open_embedder(model, device, ge2e_options)


def _embed_chunk(jobs: list[tuple[str, str]], tta: str, embedder=None):
    """[(key, rows or None, seconds, error message or None)] for [(key, path)]."""
    embedder = embedder or _WORKER["embedder"]
    wavs, out = {}, {}
    for key, path in jobs:
        try:
            wavs[key] = read_speech(path, embedder.sample_rate)
        except AvtoolError as err:
            out[key] = (None, 0.0, str(err))
    good = [k for k, _ in jobs if k in wavs]
    try:  # one batched call for the whole chunk; on a bad file, redo one by one
        pieces = [crop_waveform(wavs[k], embedder.sample_rate) if tta_feature(tta) != "whole"
                  else [wavs[k]] for k in good]
        flat = embed_waveforms(embedder, [w for p in pieces for w in p])
        start = 0
        for key, p in zip(good, pieces, strict=True):
            out[key] = (flat[start: start + len(p)], len(wavs[key]) / embedder.sample_rate, None)
            start += len(p)
    except AvtoolError:
        for key in good:
            try:
                out[key] = (embedding_rows(embedder, wavs[key], tta),
                            len(wavs[key]) / embedder.sample_rate, None)
            except AvtoolError as err:
                out[key] = (None, 0.0, f"{dict(jobs)[key]}: {err}")
    return [(key, *out[key]) for key, _ in jobs]


def feature_name(embedder, tta: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{embedder.name}_{tta_feature(tta)}")


def feature_info(embedder, tta: str):
    from avtool.store import FeatureInfo

    config = {**dict(getattr(embedder, "config", {}) or {}), "tta": tta_feature(tta)}
    if tta_feature(tta) != "whole":
        config.update(n_crops=N_CROPS, crop_seconds=CROP_SECONDS)
    if relation_dim(embedder):
        config["relation_dim"] = relation_dim(embedder)
    width = int(embedder.dim) + relation_dim(embedder)
    return FeatureInfo(name=feature_name(embedder, tta), extractor="speaker_embedding",
                       config=config, frame_rate=1.0, frame_shape=(width,),
                       dtype="float32", model_checksum=str(getattr(embedder, "checksum", "")))


@dataclass
class CacheReport:
    n_embedded: int = 0
    n_cached: int = 0
    bad: list[BadFile] = field(default_factory=list)


def embed_to_cache(embedder, files: Sequence[tuple[str, Path]], cache: Path, tta: str, *,
                   model: str, device: str, ge2e_options: dict | None, workers: int = 1,
                   strict: bool = False, where: dict[str, str] | None = None,
                   progress: Progress | None = None) -> CacheReport:
    """Embed every ``(key, path)`` not yet in the ``cache`` store; keys are item ids.

    A cached item whose source differs from ``path`` is a StoreError (use another cache).
    Bad files are collected (or raised at once with ``strict``) as MediaError naming them.
    """
    from avtool.store import ItemInfo, StoreWriter, open_store

    info = feature_info(embedder, tta)
    report = CacheReport()
    where = where or {}
    sources: dict[str, str] = {}
    if Path(cache).is_file():  # checked before the writer takes the lock
        with open_store(cache) as store:
            have = store.features.get(info.name)
            if have is not None and not have.same_recipe(info):
                raise StoreError(f"{cache}: feature {info.name!r} exists with other parameters "
                                 f"({have.config}); use another --cache")
            sources = {it.id: it.source for it in store.items()}
    with StoreWriter(cache, {info.name: info}) as writer:
        todo = []
        for key, path in files:
            if writer.has(key, info.name):
                known = sources.get(key)
                if known is not None and known != str(path):
                    raise StoreError(f"{cache}: item {key!r} was embedded from {known}, not "
                                     f"{path}; use another --cache for this audio")
                report.n_cached += 1
            else:
                todo.append((key, str(path)))
        if progress and report.n_cached:
            progress(report.n_cached)
        paths = dict(todo)
        chunks = [todo[i: i + CHUNK_FILES] for i in range(0, len(todo), CHUNK_FILES)]
        for results in _run_chunks(chunks, tta, embedder, model, device, ge2e_options, workers):
            for key, rows, seconds, error in results:
                if error is not None:
                    bad = BadFile(key, error, where.get(key, ""))
                    if strict:
                        raise MediaError(str(bad))
                    report.bad.append(bad)
                else:
                    writer.add(ItemInfo(key, paths[key], seconds, {}), {info.name: rows})
                    report.n_embedded += 1
            if progress:
                progress(len(results))
    return report


def _run_chunks(chunks, tta, embedder, model, device, ge2e_options, workers):
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield _embed_chunk(chunk, tta, embedder)
        return
    import multiprocessing as mp
    import os
    from concurrent.futures import ProcessPoolExecutor

    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                             initializer=_init_worker,
                             initargs=(model, device, ge2e_options, threads)) as pool:
        yield from pool.map(_embed_chunk, chunks, [tta] * len(chunks))


def cached_vectors(cache: Path, embedder, tta: str, keys: Sequence[str] | None = None
                   ) -> tuple[list[str], list[str], np.ndarray]:
    """(keys, sources, scoring vectors) of the cached items (all of them when keys is None).

    Relation models (``--tta whole`` only) get their stored rows as they are, for
    ``score_rows``."""
    from avtool.store import open_store

    name = feature_name(embedder, tta)
    with open_store(cache) as store:
        if name not in store.features:
            raise StoreError(f"{cache}: no feature {name!r} (have "
                             f"{', '.join(store.features) or 'none'}); embed with the same "
                             "--model and --tta first")
        if not store.feature_info(name).same_recipe(feature_info(embedder, tta)):
            raise StoreError(f"{cache}: feature {name!r} was made with other settings "
                             f"({store.feature_info(name).config})")
        keys = [k for k in store.ids if store.has(k, name)] if keys is None else list(keys)
        items = {it.id: it.source for it in store.items()}
        if relation_dim(embedder):
            vectors = np.concatenate([store.read(k, name)[:1] for k in keys]) if keys \
                else np.zeros((0, embedder.dim + relation_dim(embedder)), np.float32)
        else:
            vectors = np.stack([scoring_vector(store.read(k, name), tta) for k in keys]) \
                if keys else np.zeros((0, embedder.dim))
    return keys, [items[k] for k in keys], vectors
