"""Extraction runs: inputs -> items -> features -> a store, resumable and parallel.

Inputs are files, directories (searched recursively by extension) or a manifest (CSV, TSV
or JSONL with `id` and `path`, optional `start`/`end`; other columns become item labels).
Item ids are paths relative to the input directory without the extension
(`id10001/1zcIwhmdeo4/00001`), so VoxCeleb-style trees keep their names.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avtool.errors import AvtoolError, FormatError, MediaError, StoreError
from avtool.features.base import Extractor, MediaSource, build_extractor
from avtool.media.audio import MEDIA_EXTENSIONS
from avtool.store import FeatureInfo, ItemInfo
from avtool.store_writer import StoreWriter, check_item_arrays, write_journal_part

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One item to extract."""

    id: str
    path: str
    start: float | None = None
    end: float | None = None
    labels: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExtractionReport:
    store: str
    features: list[str]
    total: int
    extracted: int
    skipped: int
    failed: list[tuple[str, str, str]]  # (id, path, reason)
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0


# --------------------------------------------------------------------------- planning


def plan_jobs(inputs: Sequence[str | Path], manifest: str | Path | None = None,
              extensions: Collection[str] = MEDIA_EXTENSIONS) -> list[Job]:
    """Items to extract from paths and/or a manifest; duplicate ids are an error.

    Directories are searched recursively for files with `extensions` (default: all media)."""
    jobs: list[Job] = []
    if manifest is not None:
        jobs += read_manifest(manifest)
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*")
                           if p.is_file() and p.suffix.lower() in extensions)
            if not files:
                raise MediaError(f"{path}: no media files found (looked for "
                                 f"{', '.join(sorted(extensions))})")
            jobs += [Job(p.relative_to(path).with_suffix("").as_posix(), str(p)) for p in files]
        elif path.exists():
            jobs.append(Job(path.stem, str(path)))
        else:
            raise MediaError(f"{path}: no such file or directory")
    seen: dict[str, str] = {}
    for job in jobs:
        if job.id in seen:
            raise FormatError(f"duplicate item id {job.id!r} ({seen[job.id]} and {job.path})")
        seen[job.id] = job.path
    if not jobs:
        raise FormatError("no inputs: give media files, directories or --manifest")
    return jobs


def select_shard(jobs: Sequence[Job], shard: str) -> list[Job]:
    """The I-th of N contiguous slices of `jobs` for `--shard I/N` (I counts from 0)."""
    try:
        index, count = (int(v) for v in shard.split("/"))
    except ValueError:
        raise FormatError(f"--shard {shard!r}: expected I/N, e.g. 0/8") from None
    if not 0 <= index < count:
        raise FormatError(f"--shard {shard!r}: I must be in 0..N-1")
    n = len(jobs)
    return list(jobs[index * n // count: (index + 1) * n // count])


def read_manifest(path: str | Path) -> list[Job]:
    """CSV/TSV (header with id,path[,start,end,...]) or JSONL objects with the same keys."""
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such manifest")
    base = path.parent
    rows: list[tuple[int, dict[str, Any]]] = []
    if path.suffix.lower() in (".jsonl", ".json"):
        with path.open() as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append((n, json.loads(line)))
                    except json.JSONDecodeError as err:
                        raise FormatError(f"{path}:{n}: not JSON ({err.msg})") from None
    else:
        delimiter = "," if path.suffix.lower() == ".csv" else "\t"
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh, delimiter=delimiter)
            rows = [(n + 2, row) for n, row in enumerate(reader)]
    jobs = []
    for line, row in rows:
        if not row.get("id") or not row.get("path"):
            raise FormatError(f"{path}:{line}: needs non-empty 'id' and 'path'")
        media = Path(row["path"])
        media = media if media.is_absolute() else base / media
        try:
            start = float(row["start"]) if row.get("start") not in (None, "") else None
            end = float(row["end"]) if row.get("end") not in (None, "") else None
        except ValueError:
            raise FormatError(f"{path}:{line}: start/end must be numbers") from None
        labels = {k: v for k, v in row.items() if k not in ("id", "path", "start", "end")}
        if start is not None or end is not None:
            labels.update({"start": start, "end": end})
        jobs.append(Job(str(row["id"]), str(media), start, end, labels))
    return jobs


# --------------------------------------------------------------------------- running

_WORKER: dict[str, Any] = {}


def _init_worker(specs: dict[str, str], device: str, close_fd: int | None = None) -> None:
    # One core per worker (--workers N uses N cores): torch's intra-op threads on small
    # signal-processing ops cost more than they give (measured 4x slower with 2 threads).
    import torch

    if close_fd is not None:  # the store lock inherited through fork (StoreWriter.lock_fd)
        os.close(close_fd)
        _die_with_parent()
    torch.set_num_threads(1)
    _WORKER["extractors"] = {name: build_extractor(spec, device) for name, spec in specs.items()}


def _die_with_parent() -> None:
    """Linux: a worker gets SIGKILL when the run that forked it dies (no orphan writes parts)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: orphans finish their chunk, then exit
        pass


def _extract_one(job: Job, names: Sequence[str]) -> tuple[Job, Any, float]:
    """Worker body: (job, {feature: frames} or error text, duration)."""
    extractors: dict[str, Extractor] = _WORKER["extractors"]
    source = MediaSource(Path(job.path), job.start, job.end)
    try:
        arrays = {name: extractors[name](source) for name in names}
        return job, arrays, source.duration()
    except AvtoolError as err:
        return job, str(err), 0.0
    except Exception as err:  # a decoder crash on one file must not stop a batch
        return job, f"{job.path}: {type(err).__name__}: {err}", 0.0


def extract_to_store(
    jobs: Sequence[Job],
    out: str | Path,
    feature_specs: Sequence[str],
    workers: int = 1,
    device: str = "cpu",
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
    checkpoint_every: int = 256,
    dask: str | None = None,
) -> ExtractionReport:
    """Extract every missing (item, feature) of `jobs` into the store `out`.

    Finished items are committed even when some items fail or the run is interrupted, so a
    rerun does only what is missing. With `strict`, the first bad item raises its error.
    At most `checkpoint_every` items go to the store's journal together: at most that much
    work per worker is lost when the process is killed. With several workers, each writes its
    own journal parts (arrays never cross a pipe; the main process only counts).

    `dask` runs the chunks on Dask distributed instead of a local process pool: ``"local"``
    starts a local cluster of `workers` single-threaded processes; otherwise it is a scheduler
    address (``tcp://host:8786``) whose workers see the store's folder (a shared file system).
    Each task writes a journal part; this process holds the lock and commits one store.
    """
    import time

    specs = _feature_specs(feature_specs)
    probe = {name: build_extractor(spec, device) for name, spec in specs.items()}
    infos = {name: ex.info(name) for name, ex in probe.items()}
    t0 = time.perf_counter()
    failed: list[tuple[str, str, str]] = []
    extracted = 0
    audio_seconds = 0.0
    # Connect first, so a bad --dask address leaves nothing behind.
    client = None
    if dask is not None:
        from avtool.features.dask_runner import dask_client, run_dask

        client = dask_client(dask, workers)
    with StoreWriter(out, infos, part_items=checkpoint_every) as writer, client or nullcontext():
        todo = [(job, _to_do(job, specs, writer)) for job in jobs]
        todo = [(job, names) for job, names in todo if names]
        skipped = len(jobs) - len(todo)
        done = 0
        if not todo:
            results = []
        elif client is not None:
            results = run_dask(client, todo, specs, infos, device, writer.journal_dir(),
                                checkpoint_every)
        elif workers <= 1 or len(todo) <= 1:
            results = _run_here(todo, specs, device, writer)
        else:
            results = _run_workers(todo, specs, infos, workers, device, writer.journal_dir(),
                                   checkpoint_every, writer.lock_fd())
        for job, names, error, duration in results:
            done += 1
            if error is not None:
                if strict:
                    raise MediaError(error)
                failed.append((job.id, job.path, error))
            else:
                writer.record(job.id, names)
                extracted += 1
                audio_seconds += duration
            if progress:
                progress(done, len(todo))
    return ExtractionReport(str(out), list(specs), len(jobs), extracted, skipped, failed,
                            audio_seconds, time.perf_counter() - t0)


def _feature_specs(feature_specs: Sequence[str]) -> dict[str, str]:
    specs: dict[str, str] = {}
    for spec in feature_specs:
        name = spec.partition(":")[0].strip()
        if name in specs:
            raise FormatError(f"feature {name!r} given twice")
        specs[name] = spec
    if not specs:
        raise FormatError("give at least one --feature")
    return specs


Result = tuple[Job, list[str], "str | None", float]  # job, features, error or None, duration


SOURCE_STAT = "source_stat"
"""Item meta key: the source file's size and modification time at extraction."""


def _source_stat(path: str) -> dict[str, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return {"size": int(st.st_size), "mtime_ns": int(st.st_mtime_ns)}


def _item_info(job: Job, duration: float) -> ItemInfo:
    meta = dict(job.labels)
    meta[SOURCE_STAT] = _source_stat(job.path)
    return ItemInfo(job.id, job.path, float(duration), meta)


def _to_do(job: Job, specs: dict[str, str], writer: StoreWriter) -> list[str]:
    """The features to (re)compute for a job: the missing ones, or all of them when the
    source file changed (size or mtime) since the item was extracted."""
    known = writer.item_info(job.id)
    recorded = known.meta.get(SOURCE_STAT) if known is not None else None
    if recorded is None or recorded == _source_stat(job.path):
        return [n for n in specs if not writer.has(job.id, n)]
    others = [n for n in writer.features_of(job.id) if n not in specs]
    if others:
        raise StoreError(f"{writer.path}: item {job.id!r}: {job.path} changed since it was "
                         f"extracted; re-extract all its features (also {', '.join(others)}) "
                         "or write to another store")
    log.info("%s changed since extraction: extracting %s again", job.path, job.id)
    return list(specs)


def _run_here(todo: Sequence[tuple[Job, list[str]]], specs: dict[str, str], device: str,
              writer: StoreWriter) -> Iterable[Result]:
    """One process: extract, and queue each item in the writer's journal."""
    _init_worker(specs, device)
    for job, names in todo:
        job, result, duration = _extract_one(job, names)
        if isinstance(result, str):
            yield job, names, result, 0.0
        else:
            writer.add(_item_info(job, duration), result)
            yield job, names, None, duration


def ensure_worker(specs: dict[str, str], device: str) -> None:
    """Build this process's extractors for `specs` once (tasks of a long-lived Dask worker)."""
    if _WORKER.get("specs") != (specs, device):
        _init_worker(specs, device)
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
        job, result, duration = _extract_one(job, names)
        if isinstance(result, str):
            results.append((job, names, result, 0.0))
            continue
        items.append(_item_info(job, duration))
        arrays.append(check_item_arrays(journal, infos, items[-1], result))
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


def _run_workers(todo: Sequence[tuple[Job, list[str]]], specs: dict[str, str],
                 infos: dict[str, FeatureInfo], workers: int, device: str, journal: Path,
                 checkpoint_every: int, lock_fd: int | None) -> Iterable[Result]:
    import multiprocessing as mp

    chunks = chunk_jobs(todo, workers, checkpoint_every)
    # fork starts workers at once (torch limits a forked child to one thread, as we want);
    # CUDA cannot be used after fork, so GPU extraction spawns fresh interpreters instead.
    spawn = device.startswith("cuda")
    ctx = mp.get_context("spawn" if spawn else "fork")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(specs, device, None if spawn else lock_fd)) as pool:
        pending = set()
        queue = iter(chunks)
        limit = workers * 2
        for chunk in queue:
            pending.add(pool.submit(extract_part, chunk, infos, journal))
            if len(pending) >= limit:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield from fut.result()
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                yield from fut.result()
