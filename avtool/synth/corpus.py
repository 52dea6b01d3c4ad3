"""What every rendered synthetic corpus shares: ids, splits, its output folder, a worker pool.

* `youtube_like_id`: an 11-character id of YouTube's alphabet (letters, digits, ``-``, ``_``),
  never starting with ``-`` (so it is never read as a command-line option);
* `assign_splits`: train / val / test for n items, exact counts, shuffled;
* `check_corpus_dir` / `claim_corpus_dir`: start, resume or refuse an output folder, keyed
  by its ``config.json``;
* `map_in_workers`: run a picklable function over jobs in fresh (spawned) processes;
* `clip_rngs`: a clip's own audio and video random streams, from its planned seed;
* `render_videos`: render ``<video_id>.mp4`` of every plan still missing, from a frames and an
  audio function (the dialogs, captions and retrieval corpora).

`avtool.synth.avvp` and `avtool.synth.avspeech` are built on these.
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import ConfigError

YOUTUBE_ID_CHARS = string.ascii_letters + string.digits + "-_"
CONFIG_FILE = "config.json"


def youtube_like_id(rng: np.random.Generator) -> str:
    """11 characters of `YOUTUBE_ID_CHARS`, redrawn while the first one is ``-``."""
    while True:
        chars = rng.integers(0, len(YOUTUBE_ID_CHARS), size=11)
        vid = "".join(YOUTUBE_ID_CHARS[c] for c in chars)
        if vid[0] != "-":
            return vid


def clip_rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """(audio, video) generators of one clip, spawned from its planned `seed`, so a clip's
    bytes depend on its plan only, whatever order or worker renders it."""
    audio, video = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(audio), np.random.default_rng(video)


def assign_splits(rng: np.random.Generator, n: int, val: float, test: float) -> list[str]:
    """``"train"``/``"val"``/``"test"`` for n items: round(n * fraction) val and test items (at
    least one each when n >= 3 and the fraction is > 0), the rest train, in random order."""
    n_test = int(round(n * test))
    n_val = int(round(n * val))
    if n >= 3:
        n_test, n_val = max(n_test, 1 if test > 0 else 0), max(n_val, 1 if val > 0 else 0)
    n_train = n - n_test - n_val
    if n_train < 0:
        raise ConfigError(f"val_fraction + test_fraction leave no train clips out of {n}")
    order = rng.permutation(n)
    splits = [""] * n
    for rank, i in enumerate(order):
        splits[i] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    return splits


def check_corpus_dir(out: str | Path, config: dict[str, Any]) -> bool:
    """Whether `out` can take the corpus of `config` (JSON-able): True to resume the same
    corpus, False for a new one (missing or empty folder); ConfigError otherwise (another
    config, or files but no ``config.json``). Writes nothing."""
    out = Path(out)
    path = out / CONFIG_FILE
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a folder; choose another --out")
    if path.exists():
        try:
            have = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            have = None
        if have != json.loads(json.dumps(config)):
            raise ConfigError(f"{out}: holds a corpus made with another config ({path}); "
                              "use another --out or delete the folder")
        return True
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out}: exists, is not empty and holds no corpus ({CONFIG_FILE} is "
                          "missing); choose another --out")
    return False


def claim_corpus_dir(out: str | Path, config: dict[str, Any]) -> Path:
    """Make `out` the home of the corpus of `config`: `check_corpus_dir`, then create the
    folder and write ``config.json`` for a new corpus. A corpus never mixes configs and
    never lands among unrelated files."""
    from avtool.io import atomic_write

    out = Path(out)
    if not check_corpus_dir(out, config):
        out.mkdir(parents=True, exist_ok=True)
        with atomic_write(out / CONFIG_FILE) as fh:
            fh.write(json.dumps(config, indent=1) + "\n")
    return out


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)  # one process per core already


def _indexed_call(args: tuple[Callable, int, tuple]) -> tuple[int, Any]:
    fn, index, job = args
    return index, fn(*job)


def map_in_workers(fn: Callable, jobs: Sequence[tuple], workers: int = 1,
                   progress: Callable[[int, int], None] | None = None) -> list:
    """``[fn(*job) for job in jobs]``, in `workers` spawned processes when workers > 1.

    `fn` must be importable by name (a module-level function); results keep the job order.
    Spawned, not forked: torch and espeak-ng state does not survive a fork cleanly.
    `progress(done, total)` is called as jobs finish.
    """
    results: list = [None] * len(jobs)
    if workers <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            results[i] = fn(*job)
            if progress:
                progress(i + 1, len(jobs))
        return results
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    tasks = [(fn, i, job) for i, job in enumerate(jobs)]
    with ctx.Pool(min(workers, len(jobs)), initializer=_init_worker) as pool:
        for done, (i, result) in enumerate(pool.imap_unordered(_indexed_call, tasks), 1):
            results[i] = result
            if progress:
                progress(done, len(jobs))
    return results


def render_missing(render: Callable, plans: Sequence, out_dir: str | Path,
                   file_name: Callable[[Any], str], cfg, workers: int = 1,
                   progress: Callable[[int, int], None] | None = None) -> int:
    """``render(plan, out_dir, cfg)`` for every plan whose file (`file_name(plan)` in
    `out_dir`) is missing, so a killed run resumes; returns how many were rendered.
    `progress(done, total)` counts the files already there as done."""
    out_dir = Path(out_dir)
    todo = [p for p in plans if not (out_dir / file_name(p)).exists()]
    before = len(plans) - len(todo)
    if progress:
        progress(before, len(plans))
    map_in_workers(render, [(p, str(out_dir), cfg) for p in todo], workers,
                   progress and (lambda done, _: progress(before + done, len(plans))))
    return len(todo)


def render_video(plan, videos_dir: str | Path, cfg, *, frames: Callable,
                 audio: Callable) -> Path:
    """Render ``videos_dir/<plan.video_id>.mp4`` (atomically): ``frames(plan, cfg, rng)`` and
    ``audio(plan, cfg, rng)``, each with the plan's own stream (`clip_rngs`)."""
    from avtool.media.video import write_video

    audio_rng, video_rng = clip_rngs(plan.seed)
    path = Path(videos_dir) / f"{plan.video_id}.mp4"
    write_video(path, frames(plan, cfg, video_rng), cfg.fps,
                audio=audio(plan, cfg, audio_rng), sample_rate=cfg.sample_rate)
    return path


def render_videos(plans: Sequence, videos_dir: str | Path, cfg, frames: Callable,
                  audio: Callable, workers: int = 1,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """`render_video` for every plan whose mp4 is missing (`render_missing`); returns how
    many were rendered. `frames` and `audio` must be module-level (they go to workers)."""
    import functools

    return render_missing(functools.partial(render_video, frames=frames, audio=audio), plans,
                          videos_dir, lambda p: f"{p.video_id}.mp4", cfg, workers, progress)


def write_video_manifest(out: str | Path, plans: Sequence) -> Path:
    """``out/videos.csv`` (id,path,split: what extract-features reads) for plans with
    `video_id` and `split`, their mp4s under ``videos/``; written atomically."""
    import csv

    from avtool.io import atomic_write

    path = Path(out) / "videos.csv"
    with atomic_write(path, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "path", "split"])
        writer.writerows([p.video_id, f"videos/{p.video_id}.mp4", p.split] for p in plans)
    return path


def write_truth(out: str | Path, rows: Sequence[dict]) -> Path:
    """``out/truth.jsonl``: one JSON object per video (its plan), written atomically."""
    from avtool.io import atomic_write

    path = Path(out) / "truth.jsonl"
    with atomic_write(path) as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return path
