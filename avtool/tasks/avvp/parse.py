"""`avtool parse-events`: run a trained AVVP parser on videos or an LLP store, list the events.

Inputs are one feature store (the LLP store contract, `avtool.tasks.avvp.llp_store`) or any number
of video files and folders of videos. Videos are turned into ``llp_audio`` / ``llp_frame`` /
``llp_motion`` on the fly with the very extractor settings of the training store (kept in the
checkpoint spec, rebuilt with `avtool.features.extractor_from_info`); a model trained on
imported or synthetic features cannot do that and says so.

The parser itself, the inference rule and the output files are in `avtool.tasks.avvp.predictor`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import AvtoolError, ConfigError, ModelError, StoreError
from avtool.tasks.avvp.data import ClipSet
from avtool.tasks.avvp.predictor import ParseResult

log = logging.getLogger(__name__)

STORE_SUFFIXES = (".h5", ".hdf5")


def video_jobs(inputs: Sequence[str | Path]) -> list[Any]:
    """Jobs for video files and folders (searched recursively; id = path relative to the
    folder without extension, or the file's stem), as `avtool extract-features` names them."""
    from avtool.features.pipeline import plan_jobs
    from avtool.media.audio import VIDEO_EXTENSIONS

    return plan_jobs(inputs, extensions=VIDEO_EXTENSIONS)


def _video_clipset(inputs: Sequence[str | Path], spec: dict[str, Any], device: str,
                   strict: bool, progress: Callable[[int, int], None] | None
                   ) -> tuple[ClipSet, list[tuple[str, str]]]:
    from avtool.features import MediaSource, extractor_from_info
    from avtool.store import FeatureInfo
    from avtool.tasks.avvp.llp_store import FEATURE_NAMES

    segments = int(spec.get("segments", 10))
    extractors = {}
    for name in FEATURE_NAMES:
        d = spec["features"][name]
        info = FeatureInfo(name, d["extractor"], d["config"], d["frame_rate"],
                           tuple(d["frame_shape"]), d["dtype"], model_checksum=d.get(
                               "model_checksum", ""))
        try:
            extractors[name] = extractor_from_info(info, device=device)
        except AvtoolError:
            raise ModelError(
                f"this model was trained on {name} features made by {d['extractor']!r}, "
                "which avtool cannot compute from a video; give a feature store made the "
                "same way instead") from None
    jobs = video_jobs(inputs)
    ids, rows, failed = [], {n: [] for n in FEATURE_NAMES}, []
    for done, job in enumerate(jobs, 1):
        try:
            source = MediaSource(job.path, job.start, job.end)
            arrays = {}
            for name, ext in extractors.items():
                arr = np.asarray(ext(source), dtype=np.float32)
                per_s = int(round(spec["features"][name]["frame_rate"]))
                if arr.shape[0] != per_s * segments:
                    raise StoreError(f"{job.path}: {name} gave {arr.shape[0]} rows, expected "
                                     f"{per_s * segments}")
                arrays[name] = arr.reshape(segments, per_s, -1).mean(axis=1)
        except AvtoolError as err:
            if strict:
                raise
            failed.append((str(job.path), str(err)))
        else:
            ids.append(job.id)
            for name in FEATURE_NAMES:
                rows[name].append(arrays[name])
        if progress:
            progress(done, len(jobs))
    if not ids:
        raise ModelError(f"no input could be parsed ({len(failed)} failed; first: "
                         f"{failed[0][0]}: {failed[0][1]})")
    stacked = [np.stack(rows[n]) for n in FEATURE_NAMES]
    classes = spec["classes"]
    return ClipSet(ids, *stacked, np.zeros((len(ids), len(classes)), np.float32)), failed


def _store_clipset(store: Path, spec: dict[str, Any], split: str,
                   clips_file: str | Path | None) -> ClipSet:
    from avtool.tasks.avvp.data import load_clips, read_clip_list

    ids = read_clip_list(clips_file) if clips_file is not None else None
    clips, infos = load_clips(store, split=split, ids=ids, classes=spec["classes"],
                              segments=int(spec.get("segments", 10)), ids_from=clips_file)
    for name, have in infos.items():
        want = spec["features"][name]
        if have["frame_shape"] != list(want["frame_shape"]):
            raise StoreError(f"{store}: feature {name} has {have['frame_shape'][0]} dims, the "
                             f"model expects {want['frame_shape'][0]}")
        if (have["extractor"], have["config"]) != (want["extractor"], want["config"]):
            log.warning("%s: feature %s was made differently from the training store's "
                        "(%s vs %s)", store, name, have["extractor"], want["extractor"])
    return clips


def parse_events(
    inputs: Sequence[str | Path],
    model_path: str | Path,
    device: str = "auto",
    split: str = "",
    clips_file: str | Path | None = None,
    clip_threshold: float | None = None,
    segment_threshold: float | None = None,
    batch_size: int = 64,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ParseResult:
    """Parse the events of `inputs` (a store, or videos) with the `avtool train avvp` model.

    Args:
        split: with a store input, only its items of this split (e.g. ``test``).
        clips_file: with a store input, the clips (and order) of this weak-label file
            (e.g. ``AVVP_test_pd.csv``, so the output scores with `avtool evaluate avvp`).
        clip_threshold, segment_threshold: default: the checkpoint's (0.5, 0.5).
        strict: stop at the first video that fails instead of collecting failures.

    Raises:
        ModelError, StoreError, MediaError, ConfigError, FormatError (see the messages).
    """
    from avtool.runtime import resolve_device
    from avtool.tasks.avvp.predictor import load_parser

    inputs = [Path(p) for p in inputs]
    if not inputs:
        raise ConfigError("give a feature store or video files / folders to parse")
    missing = [p for p in inputs if not p.exists()]
    if missing:
        raise ConfigError(f"{missing[0]}: no such file or folder")
    device = resolve_device(device)
    parser = load_parser(model_path, device)
    spec = parser.spec
    stores = [p for p in inputs if p.is_file() and p.suffix.lower() in STORE_SUFFIXES]
    failed: list[tuple[str, str]] = []
    if stores:
        if len(inputs) > 1:
            raise ConfigError("give one feature store, or only videos (not both, not several "
                              "stores)")
        clips = _store_clipset(stores[0], spec, split, clips_file)
    else:
        if split or clips_file is not None:
            raise ConfigError("--split and --clips select clips of a feature store input")
        clips, failed = _video_clipset(inputs, spec, device, strict, progress)
    result = parser.predict(clips, clip_threshold, segment_threshold, batch_size,
                            str(model_path))
    result.failed = failed
    return result


