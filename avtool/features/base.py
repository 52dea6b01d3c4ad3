"""Extractor base classes and the registry that names them.

An extractor turns one media item into frames (time first) at a fixed frame rate. Adding a
feature is one module in this package with a registered class and one import line in
`avtool/features/__init__.py`; a neural extractor sets `model_checksum` and uses `device`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from avtool.config import check_config, config_from_dict, config_to_dict, parse_overrides, ranged
from avtool.errors import ConfigError, MediaError
from avtool.registry import Registry
from avtool.store import FeatureInfo

extractors: Registry[type[Extractor]] = Registry("feature")

# Valid ranges shared by extractor configs (field metadata, checked by `check_config`).
SAMPLE_RATE = ranged(min=1000, max=384_000)
SECONDS = ranged(min=0, max=60, min_open=True)  # window, hop and example lengths
MILLISECONDS = ranged(min=0, max=60_000, min_open=True)
FPS = ranged(min=0, max=1000, min_open=True)
FRAME_SIZE = ranged(min=1, max=8192)  # width and height in pixels
SEGMENTS = ranged(min=1, max=100_000)


def check_frames(name: str, length_ms: float, shift_ms: float, sample_rate: int) -> None:
    """A frame and its shift each hold at least one sample (ConfigError naming `name`)."""
    if min(length_ms, shift_ms) * sample_rate / 1000 < 1:
        raise ConfigError(f"{name}: frame length {length_ms:g} ms and shift {shift_ms:g} ms "
                          f"must each hold at least one sample at {sample_rate} Hz")


@dataclass
class MediaSource:
    """One item to extract from: a file, optionally a time range of it.

    Decoded audio is cached per sample rate, so several audio features of one item decode
    the file once.
    """

    path: Path
    start: float | None = None
    end: float | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self._audio: dict[int, np.ndarray] = {}

    def audio(self, sample_rate: int) -> np.ndarray:
        if sample_rate not in self._audio:
            from avtool.media.audio import read_audio

            wav, _ = read_audio(self.path, sample_rate, start=self.start, end=self.end)
            self._audio[sample_rate] = wav
        return self._audio[sample_rate]

    def frames(self, fps: float, size: tuple[int, int]) -> Iterator[tuple[float, np.ndarray]]:
        from avtool.media.video import read_frames

        return read_frames(self.path, fps=fps, size=size, start=self.start, end=self.end)

    def duration(self) -> float:
        if self._audio:
            rate, wav = next(iter(self._audio.items()))
            return len(wav) / rate
        from avtool.media.audio import VIDEO_EXTENSIONS, audio_info

        if self.path.suffix.lower() in VIDEO_EXTENSIONS:
            from avtool.media.video import video_info

            total = video_info(self.path).duration
        else:
            total = audio_info(self.path).duration
        end = total if self.end is None else min(self.end, total)
        return max(0.0, end - (self.start or 0.0))


class Extractor(ABC):
    """Base class. Subclasses set `name`, `config_type`, `modality` and implement `__call__`."""

    name: ClassVar[str]
    config_type: ClassVar[type]
    modality: ClassVar[str]  # "audio" or "video"
    dtype: ClassVar[str] = "float32"

    def __init__(self, config: Any | None = None, device: str = "cpu") -> None:
        self.config = check_config(config if config is not None else self.config_type(),
                                   self.name)
        self.device = device

    @property
    @abstractmethod
    def frame_rate(self) -> float:
        """Frames per second of the output."""

    @property
    @abstractmethod
    def frame_shape(self) -> tuple[int, ...]:
        """Shape of one output frame (the store's per-frame shape)."""

    @property
    def model_checksum(self) -> str:
        """sha256 of the weights for neural extractors; empty for signal processing."""
        return ""

    def info(self, feature_name: str | None = None) -> FeatureInfo:
        return FeatureInfo(
            name=feature_name or self.name,
            extractor=self.name,
            config=config_to_dict(self.config, self.name),
            frame_rate=float(self.frame_rate),
            frame_shape=tuple(int(x) for x in self.frame_shape),
            dtype=self.dtype,
            model_checksum=self.model_checksum,
        )

    @abstractmethod
    def __call__(self, source: MediaSource) -> np.ndarray:
        """Frames of one item, time first: shape (frames, *frame_shape)."""


class AudioExtractor(Extractor):
    """Reads the item's audio at `config.sample_rate` and calls `compute(waveform)`."""

    modality = "audio"
    min_samples: int = 400

    def __call__(self, source: MediaSource) -> np.ndarray:
        wav = source.audio(self.config.sample_rate)
        if len(wav) < self.min_samples:
            raise MediaError(
                f"{source.path}: audio too short for {self.name} "
                f"({len(wav)} samples, needs at least {self.min_samples})"
            )
        return self.compute(wav)

    @abstractmethod
    def compute(self, wav: np.ndarray) -> np.ndarray:
        """Frames from a mono waveform at `config.sample_rate`."""


class VideoExtractor(Extractor):
    """Streams frames at `config.fps` and size `config.size` and calls `compute(frames)`."""

    modality = "video"

    @property
    def frame_rate(self) -> float:
        return float(self.config.fps)

    def __call__(self, source: MediaSource) -> np.ndarray:
        out = self.compute(source.frames(self.config.fps, tuple(self.config.size)))
        if len(out) == 0:
            raise MediaError(f"{source.path}: no video frames decoded")
        return out

    @abstractmethod
    def compute(self, frames: Iterator[tuple[float, np.ndarray]]) -> np.ndarray:
        """Frames from a stream of (timestamp, RGB uint8 image)."""


def build_extractor(spec: str, device: str = "cpu") -> Extractor:
    """Build from a command-line spec `NAME` or `NAME:key=value,key=value`."""
    name, _, overrides = spec.partition(":")
    cls = extractors.get(name.strip())
    config = parse_overrides(cls.config_type, overrides, cls.name)
    return cls(config, device=device)


def extractor_from_info(info: FeatureInfo, device: str = "cpu") -> Extractor:
    """Rebuild the extractor that produced a stored feature (same parameters)."""
    cls = extractors.get(info.extractor)
    return cls(config_from_dict(cls.config_type, info.config, cls.name), device=device)
