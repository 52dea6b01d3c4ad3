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
import math
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avtool.errors import FormatError, MediaError, StoreError
from avtool.features.base import build_extractor
from avtool.features.workers import (
    SOURCE_STAT,
    Job,
    Result,
    chunk_jobs,
    extract_one,
    extract_part,
    init_worker,
    item_info,
    source_stat,
)
from avtool.media.audio import MEDIA_EXTENSIONS
from avtool.store import FeatureInfo, StoreWriter

log = logging.getLogger(__name__)


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
    """CSV/TSV (header with id,path[,start,end,...]) or JSONL objects with the same keys.

    Raises:
        FormatError: naming the manifest (and line): missing, not UTF-8, no item, a row
            without id or path, a bad time, an id given twice (both lines).
    """
    from avtool.io import read_text

    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such manifest")
    text = read_text(path)
    rows = (_jsonl_rows(path, text) if path.suffix.lower() in (".jsonl", ".json")
            else _table_rows(path, text))
    jobs, lines = [], {}
    for line, row in rows:
        item, media = str(row.get("id") or "").strip(), str(row.get("path") or "").strip()
        if not item or not media:
            raise FormatError(f"{path}:{line}: needs non-empty 'id' and 'path'")
        if item in lines:
            raise FormatError(f"{path}:{line}: item id {item!r} repeats line {lines[item]}")
        lines[item] = line
        start, end = _time(row, "start", path, line), _time(row, "end", path, line)
        if start is not None and end is not None and end <= start:
            raise FormatError(f"{path}:{line}: end {end:g} is not after start {start:g}")
        labels = {k: v for k, v in row.items() if k not in ("id", "path", "start", "end")}
        if start is not None or end is not None:
            labels.update({"start": start, "end": end})
        media_path = Path(media) if Path(media).is_absolute() else path.parent / media
        jobs.append(Job(item, str(media_path), start, end, labels))
    if not jobs:
        raise FormatError(f"{path}: no items (expected a header with id and path, then one "
                          "row per item)")
    return jobs


def _jsonl_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise FormatError(f"{path}:{n}: not JSON ({err.msg})") from None
            if not isinstance(row, dict):
                raise FormatError(f"{path}:{n}: expected a JSON object with id and path")
            rows.append((n, row))
    return rows


def _table_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    import io

    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as err:
        raise FormatError(f"{path}:{reader.line_num}: malformed row ({err})") from None
    if reader.fieldnames is not None and not {"id", "path"} <= set(reader.fieldnames):
        raise FormatError(f"{path}:1: header {reader.fieldnames} lacks 'id' and 'path'")
    for line, row in rows:
        if None in row:  # DictReader keeps the fields past the header under the key None
            raise FormatError(f"{path}:{line}: more fields than the header's "
                              f"{len(reader.fieldnames)}")
    return rows


def _time(row: dict[str, Any], key: str, path: Path, line: int) -> float | None:
    """A start/end time in seconds: a finite number >= 0, or None when absent."""
    raw = row.get(key)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise FormatError(f"{path}:{line}: {key} must be a number of seconds >= 0, got {raw!r}")
    return value


# --------------------------------------------------------------------------- running

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


def _to_do(job: Job, specs: dict[str, str], writer: StoreWriter) -> list[str]:
    """The features to (re)compute for a job: the missing ones, or all of them when the
    source file changed (size or mtime) since the item was extracted."""
    known = writer.item_info(job.id)
    recorded = known.meta.get(SOURCE_STAT) if known is not None else None
    if recorded is None or recorded == source_stat(job.path):
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
    init_worker(specs, device)
    for job, names in todo:
        job, result, duration = extract_one(job, names)
        if isinstance(result, str):
            yield job, names, result, 0.0
        else:
            writer.add(item_info(job, duration), result)
            yield job, names, None, duration


def _run_workers(todo: Sequence[tuple[Job, list[str]]], specs: dict[str, str],
                 infos: dict[str, FeatureInfo], workers: int, device: str, journal: Path,
                 checkpoint_every: int, lock_fd: int | None) -> Iterable[Result]:
    import multiprocessing as mp

    chunks = chunk_jobs(todo, workers, checkpoint_every)
    # fork starts workers at once (torch limits a forked child to one thread, as we want);
    # CUDA cannot be used after fork, so GPU extraction spawns fresh interpreters instead.
    spawn = device.startswith("cuda")
    ctx = mp.get_context("spawn" if spawn else "fork")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=init_worker,
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
