"""Where a dialog model's audio-visual features come from: one reading interface over three
sources, picked by what the path is (`open_features`).

* a feature store (``.h5``, shards): the features named by the model's streams;
* a folder in the organisers' layout (``i3d_rgb/<id>.npy``, ``i3d_flow/``, ``vggish/``, and
  the ``*_testset/`` folders; `avtool.formats.avsd.read_avsd_features`);
* a folder of videos (``<id>.mp4`` ...), or single video files: the features are computed on
  the fly with the very extractor settings of the training store, kept in the checkpoint
  (only for features avtool can compute, e.g. ``llp_frame``, ``llp_motion``, ``llp_audio``).

Streams (`resolve_streams`): ``auto`` takes the released names when a source has all three
(``i3d_rgb``, ``i3d_flow``, ``vggish``), else avtool's CPU stand-ins computed from the
pixels and the sound track without learned weights: ``llp_frame`` (colour histogram and
spatial colour/edge layout, for I3D rgb), ``llp_motion`` (optical-flow direction histograms
and frame differences, for I3D flow) and ``llp_audio`` (VGGish's log-mel front end, mean and
deviation per second, for VGGish). The DSTC7 baseline's ``auto`` drops the audio stream, as
its released run (``run_i3d.sh``) did.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import AvtoolError, ConfigError, ModelError, StoreError
from avtool.formats.avsd import AVSD_FEATURE_TYPES, avsd_feature_path, read_avsd_features

STAND_INS = ("llp_frame", "llp_motion", "llp_audio")


def resolve_streams(available: dict[str, int], requested: str, architecture: str,
                    where: str) -> list[str]:
    """The stream names to use, in order (module docstring); ConfigError listing what
    `where` has otherwise."""
    have = ", ".join(available) or "none"
    if requested == "auto":
        for names in (AVSD_FEATURE_TYPES, STAND_INS):
            if all(n in available for n in names):
                return list(names[:2] if architecture == "dstc7-baseline" else names)
        raise ConfigError(f"{where}: has neither {', '.join(AVSD_FEATURE_TYPES)} nor "
                          f"{', '.join(STAND_INS)} (has: {have}); name the streams with "
                          "--features A,B,...")
    names = [n.strip() for n in requested.split(",") if n.strip()]
    missing = [n for n in names if n not in available]
    if not names or missing:
        raise ConfigError(f"--features {requested!r}: {where} lacks {', '.join(missing) or '?'}"
                          f" (has: {have})")
    return names


class StoreFeatures:
    """Features of a store, read per video id (the store opens lazily in each process)."""

    def __init__(self, path: str | Path) -> None:
        from avtool.store import open_store

        self.path = Path(path)
        self.store = open_store(path)
        self.available = {n: int(np.prod(i.frame_shape)) for n, i in
                          self.store.features.items() if len(i.frame_shape) == 1}
        self.streams: list[str] = []

    def use(self, streams: Sequence[str]) -> StoreFeatures:
        self.streams = list(streams)
        return self

    def infos(self) -> dict[str, dict[str, Any]]:
        out = {}
        for name in self.streams:
            info = self.store.feature_info(name)
            out[name] = {"extractor": info.extractor, "config": dict(info.config),
                         "frame_rate": float(info.frame_rate),
                         "frame_shape": [int(x) for x in info.frame_shape],
                         "dtype": info.dtype, "model_checksum": info.model_checksum}
        return out

    def has(self, video_id: str) -> bool:
        return all(self.store.has(video_id, n) for n in self.streams)

    def read(self, video_id: str) -> tuple[np.ndarray, ...]:
        missing = [n for n in self.streams if not self.store.has(video_id, n)]
        if missing:
            raise StoreError(f"{self.path}: video {video_id!r} has no {', '.join(missing)} "
                             "features")
        return tuple(np.asarray(self.store.read(video_id, n), np.float32) for n in self.streams)

    def close(self) -> None:
        self.store.close()


class NpyFeatures:
    """The organisers' ``<FeaType>/<ImageID>.npy`` folders."""

    def __init__(self, root: str | Path) -> None:
        self.path = Path(root)
        self.available = {}
        for folder in sorted(p for p in self.path.iterdir() if p.is_dir()):
            name = folder.name.removesuffix("_testset")
            first = next(folder.glob("*.npy"), None)
            if first is not None and name not in self.available:
                self.available[name] = int(np.load(first, mmap_mode="r").shape[-1])
        self.streams: list[str] = []

    def use(self, streams: Sequence[str]) -> NpyFeatures:
        self.streams = list(streams)
        return self

    def infos(self) -> dict[str, dict[str, Any]]:
        return {n: {"extractor": "avsd_npy", "config": {}, "frame_rate": 0.0,
                    "frame_shape": [self.available[n]], "dtype": "float32",
                    "model_checksum": ""} for n in self.streams}

    def has(self, video_id: str) -> bool:
        return all(avsd_feature_path(self.path, n, video_id) for n in self.streams)

    def read(self, video_id: str) -> tuple[np.ndarray, ...]:
        arrays = read_avsd_features(self.path, video_id, self.streams)
        return tuple(arrays[n] for n in self.streams)

    def close(self) -> None:
        pass


class VideoFeatures:
    """Features computed from video files with the extractor settings of a checkpoint."""

    def __init__(self, folder: str | Path | None, infos: dict[str, dict[str, Any]],
                 device: str = "cpu") -> None:
        from avtool.features import extractor_from_info
        from avtool.store import FeatureInfo

        self.path = None if folder is None else Path(folder)
        self.streams = list(infos)
        self.extractors = {}
        for name, d in infos.items():
            info = FeatureInfo(name, d["extractor"], d["config"], d["frame_rate"],
                               tuple(d["frame_shape"]), d["dtype"],
                               model_checksum=d.get("model_checksum", ""))
            try:
                self.extractors[name] = extractor_from_info(info, device=device)
            except AvtoolError:
                raise ModelError(
                    f"this model was trained on {name} features made by {d['extractor']!r}, "
                    "which avtool cannot compute from a video; give a feature store or the "
                    "released feature folders instead") from None

    def video_path(self, video_id: str) -> Path | None:
        from avtool.media.audio import VIDEO_EXTENSIONS

        if self.path is None:
            return None
        for ext in sorted(VIDEO_EXTENSIONS):
            path = self.path / f"{video_id}{ext}"
            if path.is_file():
                return path
        return None

    def has(self, video_id: str) -> bool:
        return self.video_path(video_id) is not None

    def read(self, video_id: str) -> tuple[np.ndarray, ...]:
        path = self.video_path(video_id)
        if path is None:
            raise StoreError(f"{self.path}: no video file for {video_id!r} (<id>.mp4, .mkv...)")
        return self.compute(path)

    def compute(self, path: str | Path) -> tuple[np.ndarray, ...]:
        """The streams of one video file (MediaError when it cannot be decoded)."""
        from avtool.features import MediaSource

        source = MediaSource(Path(path))
        out = []
        for name, extractor in self.extractors.items():
            arr = np.asarray(extractor(source), np.float32)
            out.append(arr.reshape(len(arr), -1))
            if len(arr) == 0:
                raise StoreError(f"{path}: no {name} frames")
        return tuple(out)

    def close(self) -> None:
        pass


class CachedFeatures:
    """Keeps what a source read in memory, up to `max_bytes` (training reads each video once
    per turn, ten times an epoch)."""

    def __init__(self, source, max_bytes: int = 2 << 30) -> None:
        self.source, self.max_bytes, self.bytes = source, max_bytes, 0
        self.cache: dict[str, tuple[np.ndarray, ...]] = {}

    @property
    def streams(self) -> list[str]:
        return self.source.streams

    def has(self, video_id: str) -> bool:
        return video_id in self.cache or self.source.has(video_id)

    def close(self) -> None:
        self.source.close()

    def read(self, video_id: str) -> tuple[np.ndarray, ...]:
        hit = self.cache.get(video_id)
        if hit is None:
            hit = self.source.read(video_id)
            size = sum(a.nbytes for a in hit)
            if self.bytes + size <= self.max_bytes:
                self.cache[video_id] = hit
                self.bytes += size
        return hit


def feature_statistics(features, video_ids: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per stream, the mean and standard deviation of every dimension over all frames of
    `video_ids` (float64 sums, so a large corpus does not lose precision)."""
    sums: list[np.ndarray] = []
    squares: list[np.ndarray] = []
    frames: list[int] = []
    for vid in video_ids:
        for k, a in enumerate(features.read(vid)):
            if k == len(sums):
                sums.append(np.zeros(a.shape[1]))
                squares.append(np.zeros(a.shape[1]))
                frames.append(0)
            sums[k] += a.sum(axis=0, dtype=np.float64)
            squares[k] += np.square(a, dtype=np.float64).sum(axis=0)
            frames[k] += len(a)
    if not sums:
        raise ConfigError("no training video to compute feature statistics on")
    out = []
    for total, square, n in zip(sums, squares, frames, strict=True):
        mean = total / n
        std = np.sqrt(np.maximum(square / n - mean ** 2, 0.0))
        out.append((mean.astype(np.float32), std.astype(np.float32)))
    return out


def has_video_files(folder: Path) -> bool:
    from avtool.media.audio import VIDEO_EXTENSIONS

    return any(p.suffix.lower() in VIDEO_EXTENSIONS for p in folder.iterdir() if p.is_file())


def open_features(path: str | Path):
    """A store or a released-layout folder (module docstring); video folders need a
    checkpoint's settings (`VideoFeatures`)."""
    path = Path(path)
    if path.is_dir() and any((path / n).is_dir() or (path / f"{n}_testset").is_dir()
                             for n in AVSD_FEATURE_TYPES):
        return NpyFeatures(path)
    if path.is_dir() and not any(path.glob("*.h5")) and not any(path.glob("*.hdf5")):
        if has_video_files(path):
            raise ConfigError(f"{path}: a folder of videos; training reads features: extract "
                              "them first (avtool extract-features)")
        raise StoreError(f"{path}: neither a feature store nor a folder of "
                         f"{'/'.join(AVSD_FEATURE_TYPES)} .npy files")
    return StoreFeatures(path)
