"""A batch of `avtool transcribe`: items -> transcripts, past bad files, resumable, parallel.

Items are `avtool.features.pipeline.plan_jobs` jobs (files, folders, manifests with excerpts).
Each gets its own seed, derived from ``--seed`` and its id (`item_seed`), so noisy audio and
Whisper's sampling fallback do not depend on the order of the items or on the workers.

Parallelism: ``workers=1`` runs one model with every CPU core as CTranslate2 threads;
``workers=N`` runs N processes, each loading the model once with cores/N threads. Both are
measured in the README (Whisper tiny.en on 2 cores).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avtool.errors import AvtoolError, ConfigError
from avtool.features.workers import Job
from avtool.tasks.transcribe.noise import DEFAULT_SNR_DB, NOISE_KINDS
from avtool.tasks.transcribe.outputs import transcript_from_dict
from avtool.tasks.transcribe.transcribers import (
    DEFAULT_MODEL,
    model_settings,
    open_transcriber,
    optional_kwargs,
)
from avtool.tasks.transcribe.transcript import Transcriber, Transcript

Progress = Callable[[float, float], None]
"""Called with (seconds of audio done, seconds in all)."""


@dataclass(frozen=True)
class RecognitionOptions:
    """What every item is transcribed with, besides the model."""

    word_timestamps: bool = False
    noise: str = "clean"
    snr_db: float = DEFAULT_SNR_DB
    seed: int = 0

    def check(self) -> None:
        if self.noise not in NOISE_KINDS:
            raise ConfigError(f"--noise {self.noise!r}: choose one of {', '.join(NOISE_KINDS)}")
        if not math.isfinite(self.snr_db):
            raise ConfigError(f"--snr {self.snr_db}: must be a finite number of dB")

    def settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"word_timestamps": self.word_timestamps, "noise": self.noise,
                               "seed": self.seed}
        if self.noise in ("env", "mixed"):
            out["snr_db"] = self.snr_db
        return out


@dataclass(frozen=True)
class BadItem:
    id: str
    path: str
    message: str
    """Names the file, then the problem."""

    def __str__(self) -> str:
        return self.message


@dataclass
class TranscribeReport:
    model: str
    transcripts: list[Transcript] = field(default_factory=list)
    """The good items, in input order."""
    bad: list[BadItem] = field(default_factory=list)
    transcribed: int = 0
    resumed: int = 0
    audio_seconds: float = 0.0
    """Of the items transcribed by this run."""
    wall_seconds: float = 0.0

    @property
    def real_time_factor(self) -> float | None:
        return self.wall_seconds / self.audio_seconds if self.audio_seconds else None

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "items": len(self.transcripts) + len(self.bad),
                "transcribed": self.transcribed, "resumed": self.resumed,
                "failed": len(self.bad), "audio_seconds": round(self.audio_seconds, 3),
                "wall_seconds": round(self.wall_seconds, 3),
                "real_time_factor": (None if self.real_time_factor is None
                                     else round(self.real_time_factor, 4)),
                "bad_files": [str(b) for b in self.bad]}


def item_seed(seed: int, item_id: str) -> int:
    """A 63-bit seed of (``seed``, ``item_id``): the same whatever order or process."""
    digest = hashlib.sha256(f"{seed}\0{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def planned_seconds(job: Job) -> float:
    """The audio length of `job` from its header (0 when unreadable: it fails later)."""
    from avtool.media.audio import audio_info

    try:
        total = audio_info(job.path).duration
    except AvtoolError:
        return 0.0
    end = total if job.end is None else min(job.end, total)
    return max(0.0, end - (job.start or 0.0))


def transcribe_jobs(jobs: Sequence[Job], model: str | Path | Transcriber = DEFAULT_MODEL, *,
                    options: RecognitionOptions = RecognitionOptions(), device: str = "auto",
                    workers: int = 1, threads: int | None = None, vad: bool = True,
                    strict: bool = False, journal: str | Path | None = None,
                    progress: Progress | None = None) -> TranscribeReport:
    """Transcribe every job; bad items are collected (``strict``: the first one is raised).

    ``model``: ``whisper-tiny.en``, a checkpoint, or a loaded `Transcriber` (one process
    only: ``workers`` > 1 needs a name or path that each worker process opens). ``threads``:
    the model's CPU threads in each process (default: the cores shared among the workers).

    With ``journal`` (a path), items already in it with the same source and settings are
    taken from it and every new transcript is appended to it as soon as it is made
    (`avtool.tasks.transcribe.journal`).

    Raises:
        ConfigError: bad options, or a journal made with other settings. ModelError: the model
        cannot be opened or does not transcribe. MediaError (with ``strict``): the first bad item.
    """
    from avtool.tasks.transcribe.journal import Journal

    options.check()
    if workers > 1 and isinstance(model, Transcriber):
        raise ConfigError("workers > 1 need --model as a name or path (each worker process "
                          "loads its own model), not a loaded transcriber")
    started = time.perf_counter()
    settings = {**model_settings(model, vad), **options.settings()}
    report = TranscribeReport(str(settings["model"]))
    memory = None if journal is None else Journal(journal, settings)
    got: dict[str, Transcript] = {}
    todo = []
    for job in jobs:
        done = memory.done(job) if memory is not None else None
        if done is not None:
            got[job.id] = done
        else:
            todo.append(job)
    report.resumed = len(got)
    seconds = {job.id: planned_seconds(job) for job in todo}
    total, finished = sum(seconds.values()), [0.0]

    def within(position: float) -> None:  # inside the item in progress
        if progress is not None:
            progress(finished[0] + position, total)

    within(0.0)
    try:
        threads = threads or max(1, cpu_cores() // max(1, workers))
        for job, result in _results(todo, model, options, device, workers, threads, vad,
                                    within):
            finished[0] += seconds[job.id]
            if isinstance(result, Transcript):
                report.transcribed += 1
                report.audio_seconds += result.duration
                got[job.id] = (memory.add(job, result) if memory is not None
                               else transcript_from_dict(result.to_dict()))
            else:
                bad = BadItem(job.id, job.path, _naming(job, result))
                if strict:
                    raise type(result)(bad.message)
                report.bad.append(bad)
            within(0.0)
    finally:
        if memory is not None:
            memory.close()
    report.transcripts = [got[job.id] for job in jobs if job.id in got]
    report.wall_seconds = time.perf_counter() - started
    return report


def _naming(job: Job, err: AvtoolError) -> str:
    text = str(err)
    return text if text.startswith(str(job.path)) else f"{job.path}: {text}"


def _results(todo: Sequence[Job], model, options: RecognitionOptions, device: str, workers: int,
             threads: int, vad: bool, within: Callable[[float], Any]):
    """(job, Transcript or AvtoolError) as items finish; ``within`` gets the position inside
    the current item (one process only)."""
    if not todo:
        return
    if workers <= 1 or len(todo) == 1:
        transcriber = open_transcriber(model, device, threads=threads, vad=vad)
        extra = _check_extras(transcriber, options, within)
        for job in todo:
            yield job, _transcribe_one(transcriber, job, options, extra)
        return
    # fail here, once, on a bad --model or --snr, rather than in every worker
    _check_extras(open_transcriber(model, device, threads=1, vad=vad), options, None)
    yield from _pool_results(todo, model, options, device, workers, threads, vad)


def _check_extras(transcriber, options: RecognitionOptions,
                  within: Callable[[float], Any] | None) -> dict[str, Any]:
    extra = optional_kwargs(transcriber, snr_db=options.snr_db, progress=within)
    if "snr_db" not in extra and options.noise in ("env", "mixed") \
            and options.snr_db != DEFAULT_SNR_DB:
        raise ConfigError(f"--snr: {getattr(transcriber, 'name', 'this model')} mixes "
                          f"environment noise at its own {DEFAULT_SNR_DB:g} dB only")
    return extra


def _transcribe_one(transcriber, job: Job, options: RecognitionOptions,
                    extra: dict[str, Any]) -> Transcript | AvtoolError:
    try:
        return transcriber.transcribe_file(
            Path(job.path), job.id, start=job.start, end=job.end,
            word_timestamps=options.word_timestamps, noise=options.noise,
            seed=item_seed(options.seed, job.id), **extra)
    except AvtoolError as err:
        return err


# --------------------------------------------------------------------------- worker processes

_WORKER: dict[str, Any] = {}


def _init_worker(model, device: str, threads: int, vad: bool, options: RecognitionOptions
                 ) -> None:
    transcriber = open_transcriber(model, device, threads=threads, vad=vad)
    _WORKER["transcriber"] = transcriber
    _WORKER["extra"] = _check_extras(transcriber, options, None)


def _work(job: Job, options: RecognitionOptions) -> Transcript | AvtoolError:
    return _transcribe_one(_WORKER["transcriber"], job, options, _WORKER["extra"])


def _pool_results(todo: Sequence[Job], model, options: RecognitionOptions, device: str,
                  workers: int, threads: int, vad: bool):
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(min(workers, len(todo)), mp_context=mp.get_context("spawn"),
                               initializer=_init_worker,
                               initargs=(str(model), device, threads, vad, options))
    try:
        pending = {pool.submit(_work, job, options): job for job in todo}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield pending.pop(future), future.result()
    except BrokenProcessPool:
        raise AvtoolError("a transcription worker process died (out of memory?); what was "
                          "finished is in the journal: rerun to resume") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
