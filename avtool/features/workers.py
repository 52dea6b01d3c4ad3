"""The worker side of extraction: build extractors once per process, extract a chunk of jobs
and write its good items as one journal part. The local process pool (`pipeline`) and Dask
(`dask_runner`) both run these."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avtool.errors import AvtoolError, StoreError
from avtool.features.base import Extractor, MediaSource, build_extractor
from avtool.store import FeatureInfo, ItemInfo, check_item_arrays, write_journal_part


@dataclass(frozen=True)
class Job:
    """One item to extract."""

    id: str
    path: str
    start: float | None = None
    end: float | None = None
    labels: dict[str, Any] = field(default_factory=dict)


Result = tuple[Job, list[str], "str | None", float]  # job, features, error or None, duration


SOURCE_STAT = "source_stat"
"""Item meta key: the source file's size and modification time at extraction."""


def source_stat(path: str) -> dict[str, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return {"size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)}


def item_info(job: Job, duration: float) -> ItemInfo:
    meta = dict(job.labels)
    meta[SOURCE_STAT] = source_stat(job.path)
    return ItemInfo(job.id, job.path, float(duration), meta)


_WORKER: dict[str, Any] = {}


def init_worker(specs: dict[str, str], device: str, close_fd: int | None = None) -> None:
    # One core per worker (--workers N uses N cores): torch's intra-op threads on small
    # signal-processing ops cost more than they give (measured 4x slower with 2 threads).
    import torch

    if close_fd is not None:  # the store lock inherited through fork (StoreWriter.lock_fd)
        os.close(close_fd)
        _die_with_parent()
    torch.set_num_threads(1)
    extractors = {name: build_extractor(spec, device) for name, spec in specs.items()}
    _WORKER["extractors"] = extractors
    _WORKER["infos"] = {name: ex.info(name) for name, ex in extractors.items()}


def _die_with_parent() -> None:
    """Linux: a worker gets SIGKILL when the run that forked it dies (no orphan writes parts)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: orphans finish their chunk, then exit
        pass


def extract_one(job: Job, names: Sequence[str]) -> tuple[Job, Any, float]:
    """Worker body: (job, {feature: frames} or error text, duration).

    The frames are checked here as the store will check them (shape, finite values), so a
    bad item fails alone, named by its source file, instead of failing its journal part."""
    extractors: dict[str, Extractor] = _WORKER["extractors"]
    source = MediaSource(Path(job.path), job.start, job.end)
    try:
        arrays = {name: extractors[name](source) for name in names}
        checked = check_item_arrays(Path(job.path), _WORKER["infos"],
                                    ItemInfo(job.id, job.path), arrays)
        return job, checked, source.duration()
    except AvtoolError as err:
        return job, str(err), 0.0
    except Exception as err:  # a decoder crash on one file must not stop a batch
        return job, f"{job.path}: {type(err).__name__}: {err}", 0.0


def ensure_worker(specs: dict[str, str], device: str) -> None:
    """Build this process's extractors for `specs` once (tasks of a long-lived Dask worker)."""
    if _WORKER.get("specs") != (specs, device):
        init_worker(specs, device)
        _WORKER["specs"] = (specs, device)


def extract_part(chunk: Sequence[tuple[Job, list[str]]], infos: dict[str, FeatureInfo],
                  journal: Path) -> list[Result]:
    """Worker body: extract a chunk and write its good items as one journal part.

    Workers write their own parts so item arrays never cross a pipe and parts are written in
    parallel; the main process only counts what is done.
    """
    if not journal.is_dir():
        raise StoreError(f"{journal}: journal folder not found on this worker; Dask workers "
                         "must share the store's file system")
    results: list[Result] = []
    items: list[ItemInfo] = []
    arrays: list[dict] = []
    for job, names in chunk:
        job, result, duration = extract_one(job, names)
        if isinstance(result, str):
            results.append((job, names, result, 0.0))
            continue
        items.append(item_info(job, duration))
        arrays.append(result)
        results.append((job, names, None, duration))
    if items:
        write_journal_part(journal, items, infos, arrays, f"w{uuid.uuid4().hex}")
    return results


def chunk_jobs(todo: Sequence[tuple[Job, list[str]]], workers: int, checkpoint_every: int
            ) -> list[Sequence[tuple[Job, list[str]]]]:
    """At most `checkpoint_every` items each (the work a killed run can lose per worker), and
    small enough for about 16 per worker so the progress bar moves and loads balance."""
    size = max(1, min(checkpoint_every, -(-len(todo) // (max(1, workers) * 16))))
    return [todo[i: i + size] for i in range(0, len(todo), size)]
