"""Where a grounding model's segment features come from, pooled on its M-segment grid.

A modality (video, audio) is one or more feature streams, each pooled on the grid
(`avtool.tasks.grounding.segments`) and concatenated. Sources (`open_source`):

* a feature store (``.h5``, shards): streams by name, placed in time by their frame rate;
  the video's duration is the item's (else its frames over their rate);
* a folder in the layouts of the released features: ``<stream>/<video_id>.npy`` (or
  ``<video_id>.npy`` directly for a single stream, as Charades-STA feature releases) or
  ``<stream>.h5`` / ``<stream>.hdf5`` holding a dataset per video (or a group with one
  dataset, as ActivityNet's ``c3d_features``); frames are spread evenly over the video's
  duration, which the annotations or ``--durations`` give;
* video files (a folder of ``<video_id>.mp4``..., or one file): streams computed on the fly
  with the extractor settings kept in the checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import AvtoolError, ConfigError, MediaError, ModelError, StoreError
from avtool.tasks.grounding.segments import pool_segments

H5_SUFFIXES = (".h5", ".hdf5")


class StoreSource:
    def __init__(self, path: str | Path) -> None:
        from avtool.store import open_store

        self.path = Path(path)
        self.store = open_store(path)
        self.available = {n: int(i.frame_shape[-1]) for n, i in self.store.features.items()}

    def infos(self, streams: Sequence[str]) -> dict[str, dict[str, Any]]:
        out = {}
        for name in streams:
            info = self.store.feature_info(name)
            out[name] = {"extractor": info.extractor, "config": dict(info.config),
                         "frame_rate": float(info.frame_rate),
                         "frame_shape": [int(x) for x in info.frame_shape],
                         "dtype": info.dtype, "model_checksum": info.model_checksum}
        return out

    def has(self, video_id: str, stream: str) -> bool:
        return self.store.has(video_id, stream)

    def duration(self, video_id: str, streams: Sequence[str]) -> float | None:
        if video_id in self.store:
            item = self.store.item(video_id)
            if item.duration > 0:
                return float(item.duration)
        return None

    def read(self, video_id: str, stream: str, duration: float) -> tuple[np.ndarray, float]:
        if not self.store.has(video_id, stream):
            raise StoreError(f"{self.path}: video {video_id!r} has no {stream} features")
        rate = float(self.store.feature_info(stream).frame_rate)
        return np.asarray(self.store.read(video_id, stream), np.float32), rate


class ReleasedSource:
    """``.npy`` folders or per-stream ``.h5`` files (module docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.path = Path(root)
        self.available: dict[str, int] = {}
        for sub in sorted(p for p in self.path.iterdir() if p.is_dir()):
            first = next(sub.glob("*.npy"), None)
            if first is not None:
                self.available[sub.name] = int(np.load(first, mmap_mode="r").shape[-1])
        for f in sorted(self.path.iterdir()):
            if f.suffix.lower() in H5_SUFFIXES and f.is_file():
                self.available.setdefault(f.stem, 0)
        first = next(self.path.glob("*.npy"), None)
        if first is not None:
            self.available.setdefault("npy", int(np.load(first, mmap_mode="r").shape[-1]))

    def infos(self, streams: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {n: {"extractor": "released", "config": {}, "frame_rate": 0.0,
                    "frame_shape": [self.available.get(n, 0)], "dtype": "float32",
                    "model_checksum": ""} for n in streams}

    def _npy(self, video_id: str, stream: str) -> Path | None:
        for path in (self.path / stream / f"{video_id}.npy",
                     self.path / f"{video_id}.npy" if stream == "npy" else None):
            if path is not None and path.is_file():
                return path
        return None

    def _h5(self, stream: str) -> Path | None:
        return next((self.path / f"{stream}{s}" for s in H5_SUFFIXES
                     if (self.path / f"{stream}{s}").is_file()), None)

    def has(self, video_id: str, stream: str) -> bool:
        if self._npy(video_id, stream):
            return True
        h5 = self._h5(stream)
        if h5 is None:
            return False
        import h5py

        with h5py.File(h5, "r") as f:
            return video_id in f

    def duration(self, video_id: str, streams: Sequence[str]) -> float | None:
        return None

    def read(self, video_id: str, stream: str, duration: float) -> tuple[np.ndarray, float]:
        path = self._npy(video_id, stream)
        try:
            if path is not None:
                a = np.load(path)
            else:
                h5 = self._h5(stream)
                if h5 is None:
                    raise StoreError(f"{self.path}: no {stream}/{video_id}.npy nor {stream}.h5")
                import h5py

                with h5py.File(h5, "r") as f:
                    if video_id not in f:
                        raise StoreError(f"{h5}: no features for video {video_id!r}")
                    node = f[video_id]
                    if isinstance(node, h5py.Group):
                        keys = list(node)
                        if len(keys) != 1:
                            raise StoreError(f"{h5}: group {video_id!r} holds {keys}; expected "
                                             "one dataset")
                        node = node[keys[0]]
                    a = node[()]
                    path = h5
        except (OSError, ValueError) as err:
            raise StoreError(f"{path or self.path}: cannot read {stream} features of "
                             f"{video_id!r} ({err})") from None
        a = np.asarray(a, np.float32)
        if a.ndim == 1:
            a = a[None]
        if not np.isfinite(a).all():
            raise StoreError(f"{path}: {stream} features of {video_id!r} hold NaN or inf")
        return a, len(a) / duration


class VideoSource:
    """Streams computed from video files with a checkpoint's extractor settings."""

    def __init__(self, path: str | Path | None, infos: Mapping[str, Mapping[str, Any]],
                 device: str = "cpu") -> None:
        from avtool.features import extractor_from_info
        from avtool.store import FeatureInfo

        self.path = None if path is None else Path(path)
        self.extractors = {}
        self.available = {n: int(d["frame_shape"][-1]) for n, d in infos.items()}
        for name, d in infos.items():
            info = FeatureInfo(name, d["extractor"], d["config"], d["frame_rate"],
                               tuple(d["frame_shape"]), d["dtype"],
                               model_checksum=d.get("model_checksum", ""))
            try:
                self.extractors[name] = extractor_from_info(info, device=device)
            except AvtoolError:
                raise ModelError(f"this model was trained on {name} features made by "
                                 f"{d['extractor']!r}, which avtool cannot compute from a "
                                 "video; give a feature store or released features") from None
        self._media: dict[str, Any] = {}

    def video_path(self, video_id: str) -> Path | None:
        from avtool.media.audio import VIDEO_EXTENSIONS

        if self.path is None:
            return None
        if self.path.is_file():
            return self.path
        for ext in sorted(VIDEO_EXTENSIONS):
            if (self.path / f"{video_id}{ext}").is_file():
                return self.path / f"{video_id}{ext}"
        return None

    def _source(self, video_id: str):
        from avtool.features import MediaSource

        path = self.video_path(video_id)
        if path is None:
            raise StoreError(f"{self.path}: no video file for {video_id!r} (<id>.mp4, .mkv...)")
        if video_id not in self._media:
            self._media = {video_id: MediaSource(path)}
        return self._media[video_id]

    def has(self, video_id: str, stream: str) -> bool:
        return self.video_path(video_id) is not None

    def duration(self, video_id: str, streams: Sequence[str]) -> float | None:
        return float(self._source(video_id).duration())

    def read(self, video_id: str, stream: str, duration: float) -> tuple[np.ndarray, float]:
        source = self._source(video_id)
        extractor = self.extractors[stream]
        if extractor.modality == "audio" and not has_audio(source.path):
            raise MediaError(f"{source.path}: no audio track ({stream} features need one)")
        return np.asarray(extractor(source), np.float32), float(extractor.frame_rate)


def has_audio(path: Path) -> bool:
    from avtool.media.audio import VIDEO_EXTENSIONS

    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        return True
    import av

    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except av.error.FFmpegError as err:
        raise MediaError(f"{path}: cannot open ({err})") from None


def open_source(path: str | Path):
    """A store or a released-features folder (video folders need a checkpoint's settings)."""
    from avtool.media.audio import VIDEO_EXTENSIONS

    path = Path(path)
    if path.is_dir() and not any(p.suffix.lower() in H5_SUFFIXES and _is_store(p)
                                 for p in path.iterdir()):
        if any(p.suffix.lower() in VIDEO_EXTENSIONS for p in path.iterdir()):
            raise ConfigError(f"{path}: a folder of videos; training reads features: extract "
                              "them first (avtool extract-features)")
        source = ReleasedSource(path)
        if not source.available:
            raise StoreError(f"{path}: neither a feature store nor released features "
                             "(<stream>/<id>.npy, <id>.npy or <stream>.h5)")
        return source
    if path.is_file() and path.suffix.lower() in H5_SUFFIXES and not _is_store(path):
        raise StoreError(f"{path}: not an avtool feature store; put released features in a "
                         "folder as <stream>.h5")
    return StoreSource(path)


def _is_store(path: Path) -> bool:
    try:
        import h5py

        with h5py.File(path, "r") as f:
            return "schema_version" in f.attrs and "format" in f.attrs
    except OSError:
        return False


def video_duration(source, video_id: str, streams: Sequence[str],
                   durations: Mapping[str, float] | None) -> float:
    """The duration the annotations give, else the source's; StoreError when none."""
    if durations and video_id in durations:
        return float(durations[video_id])
    d = source.duration(video_id, streams)
    if d:
        return d
    raise StoreError(f"{getattr(source, 'path', '')}: no duration for video {video_id!r}; give "
                     "--durations video_id<TAB>seconds")


def segment_features(source, video_id: str, streams: Mapping[str, Sequence[str]],
                     duration: float, m: int) -> dict[str, np.ndarray]:
    """{modality: (M, D)}: each stream pooled on the grid, a modality's concatenated."""
    out = {}
    for modality, names in streams.items():
        parts = []
        for name in names:
            frames, rate = source.read(video_id, name, duration)
            parts.append(pool_segments(frames, rate, duration, m, f"{video_id} {name}"))
        out[modality] = np.concatenate(parts, axis=1)
    return out
