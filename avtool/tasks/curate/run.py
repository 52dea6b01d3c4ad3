"""`curate`: every video of every person of interest through the stages, in parallel
(``workers`` processes or a Dask cluster), resumable per video, then the VoxCeleb layout.

Output folder::

    OUT/wav/<id>/<video>/<nnnnn>.wav   16 kHz mono PCM16 speech segments
    OUT/txt/<id>/<video>/<nnnnn>.txt   VoxCeleb2 face-track header + per-frame boxes
    OUT/meta.csv                       vox1_meta format
    OUT/segments.csv                   every candidate segment: kept, or the stage and reason
    OUT/.curate/                       config.json and one staging folder per finished video

A video whose staging folder is complete is not processed again, so a run killed at any
point and started again finishes only what is missing and gives the same output. A bad
video (no audio, no frames, corrupt, truncated) does not stop the run: it is reported at
the end (`CurateSummary.bad`), unless ``strict``.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from avtool.errors import AvtoolError, ConfigError, FormatError
from avtool.tasks.curate.config import CurateConfig

log = logging.getLogger(__name__)
VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v")
STATE = ".curate"


@dataclass(frozen=True)
class VideoJob:
    poi: str
    video: str
    path: str
    seconds: float  # from the header, for the progress bar (0 if unreadable)


@dataclass
class CurateSummary:
    out: Path
    videos: int = 0
    processed: int = 0
    resumed: int = 0
    video_seconds: float = 0.0
    wall_seconds: float = 0.0
    bad: list[tuple[str, str]] = field(default_factory=list)  # (path, problem)
    rows: list[dict] = field(default_factory=list)  # one per candidate segment
    results: list[dict] = field(default_factory=list)  # each finished video's result.json

    def per_poi(self) -> list[dict]:
        table: dict[str, dict] = {}
        for row in self.rows:
            entry = table.setdefault(row["poi"], {"poi": row["poi"], "kept": 0})
            key = "kept" if row["decision"] == "kept" else row["stage"]
            entry[key] = entry.get(key, 0) + 1
        return list(table.values())

    def to_dict(self) -> dict:
        return {"out": str(self.out), "videos": self.videos, "processed": self.processed,
                "resumed": self.resumed, "video_seconds": round(self.video_seconds, 2),
                "wall_seconds": round(self.wall_seconds, 2),
                "kept": sum(r["decision"] == "kept" for r in self.rows),
                "per_poi": self.per_poi(),
                "bad": [{"path": p, "problem": m} for p, m in self.bad]}


def plan_videos(pois, videos: Path) -> list[VideoJob]:
    """Every video of every POI, sorted; a folder with no video is an error."""
    from avtool.features.pipeline import plan_jobs
    from avtool.media.video import video_info
    from avtool.tasks.curate.speakers import poi_folder

    if not videos.is_dir():
        raise FormatError(f"{videos}: not a folder (expected one folder of videos per POI)")
    jobs = []
    for poi in pois:
        folder = poi_folder(videos, poi)
        if folder is None:
            log.warning("%s: no folder %s/ or %s/ in %s", poi.id, poi.id, poi.name, videos)
            continue
        try:
            found = plan_jobs([folder], extensions=VIDEO_EXTENSIONS)
        except AvtoolError:
            log.warning("%s: no videos", folder)
            continue
        for job in found:
            try:
                seconds = video_info(job.path).duration
            except AvtoolError:
                seconds = 0.0  # reported as bad when processed
            jobs.append(VideoJob(poi.id, job.id.replace("/", "_"), job.path, seconds))
    if not jobs:
        raise FormatError(f"{videos}: no videos ({', '.join(VIDEO_EXTENSIONS)}) in the POIs' "
                          "folders (VIDEOS/<id>/ or VIDEOS/<name>/)")
    return sorted(jobs, key=lambda j: (j.poi, j.video))


def claim_output(out: Path, config: CurateConfig) -> Path:
    """OUT/.curate, created; an OUT curated with another config is refused."""
    from avtool.io import atomic_write

    state = out / STATE
    saved = state / "config.json"
    if saved.exists():
        if json.loads(saved.read_text()) != json.loads(json.dumps(config.to_dict())):
            raise ConfigError(f"{out}: was curated with other settings ({saved}); use another "
                              "--out or the same --config")
    else:
        state.mkdir(parents=True, exist_ok=True)
        with atomic_write(saved) as fh:
            json.dump(config.to_dict(), fh, indent=1)
    return state


def _run_one(job: VideoJob, references, config: CurateConfig, stage: str):
    """Worker body: ("ok", result) or ("bad", path, problem)."""
    from avtool.tasks.curate.video import curate_video

    try:
        return ("ok", curate_video(job.path, job.poi, job.video, references, config, stage))
    except AvtoolError as err:
        return ("bad", job.path, str(err))


def _init_worker() -> None:
    import cv2
    import torch

    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def curate(speakers: str | Path, videos: str | Path, out: str | Path,
           config: CurateConfig = CurateConfig(), workers: int = 1, dask: str | None = None,
           strict: bool = False,
           progress: Callable[[int, int, float], None] | None = None) -> CurateSummary:
    """Curate every POI's videos into the VoxCeleb layout under `out` (module docstring).

    `progress(done, total, video_seconds_done)` is called as videos finish.

    Raises:
        FormatError: a bad speakers.csv, reference photo (no face or several) or videos
            folder; MediaError: the first bad video when `strict`; ConfigError: `out` holds
            a run with other settings.
    """
    from avtool.io import check_output
    from avtool.tasks.curate.assemble import assemble
    from avtool.tasks.curate.speakers import read_speakers
    from avtool.tasks.curate.video import RESULT, models

    start = time.perf_counter()
    out = check_output(Path(out), "dir")
    pois = read_speakers(speakers)
    jobs = plan_videos(pois, Path(videos))
    verifier = models(config)["verifier"]
    references = {p.id: verifier.references(p.references) for p in pois}
    stage_root = claim_output(out, config) / "videos"
    for partial in stage_root.glob("*/*.part-*"):  # videos a killed run left unfinished
        shutil.rmtree(partial, ignore_errors=True)
    summary = CurateSummary(out, videos=len(jobs))
    results, todo = [], []
    for job in jobs:
        done = stage_root / job.poi / job.video / RESULT
        if done.exists():
            results.append(json.loads(done.read_text()))
            summary.resumed += 1
            summary.video_seconds += job.seconds
        else:
            todo.append(job)
    finished = len(jobs) - len(todo)
    if progress:
        progress(finished, len(jobs), summary.video_seconds)
    args = [(job, references[job.poi], config, str(stage_root / job.poi / job.video))
            for job in todo]
    for job, outcome in _execute(args, workers, dask):
        finished += 1
        summary.video_seconds += job.seconds
        if outcome[0] == "ok":
            results.append(outcome[1])
            summary.processed += 1
        else:
            if strict:
                from avtool.errors import MediaError

                raise MediaError(outcome[2])
            summary.bad.append((outcome[1], outcome[2]))
        if progress:
            progress(finished, len(jobs), summary.video_seconds)
    summary.rows = assemble(out, pois, results, stage_root, config)
    summary.results = results
    summary.wall_seconds = time.perf_counter() - start
    return summary


def _execute(args: list[tuple], workers: int, dask: str | None):
    """Yield (job, outcome) as videos finish: in this process, in spawned workers, or on
    Dask (each task writes its own staging folder, so the file system must be shared)."""
    if dask is not None:
        from distributed import as_completed

        from avtool.features.dask_runner import dask_client

        with dask_client(dask, workers) as client:
            futures = {client.client.submit(_run_one, *a, pure=False): a[0] for a in args}
            for future in as_completed(futures):
                yield futures[future], future.result()
        return
    if workers <= 1 or len(args) <= 1:
        for a in args:
            yield a[0], _run_one(*a)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(min(workers, len(args)), mp_context=mp.get_context("spawn"),
                             initializer=_init_worker) as pool:
        futures = {pool.submit(_run_one, *a): a[0] for a in args}
        for future in as_completed(futures):
            yield futures[future], future.result()
