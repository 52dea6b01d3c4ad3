"""A trained grounding model ready to align captions (`avtool align-captions`).

`CaptionAligner` rebuilds the network of a checkpoint (`avtool train grounding`) with its
vocabulary, streams, extractor settings, standardisation and M. Features come from video
files (computed on the fly with the checkpoint's extractor settings), a store, or released
feature files (`avtool.tasks.grounding.features`).

Predictions: the regressor's normalised (start, end) is clamped to [0, 1], swapped when the
start passes the end, floored to the segment grid (ABLR's evaluation code; the checkpoint's
``grid_floor``) and multiplied by the duration. The confidence is the fused attention's mass
inside the predicted span. Written as the prediction TSV `avtool evaluate grounding` reads
(``query_id video_id start end score``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_from_dict
from avtool.errors import AvtoolError, ConfigError, MediaError
from avtool.formats.moments import MomentQuery
from avtool.tasks.grounding.config import MaltaNetConfig
from avtool.tasks.grounding.data import (
    Example,
    Standardizer,
    check_caption,
    read_queries,
    read_transcripts,
    transcript_ids,
)
from avtool.tasks.grounding.segments import segment_weights
from avtool.tasks.grounding.text import Vocabulary


def decode(raw: np.ndarray, duration: np.ndarray, m: int, grid_floor: bool) -> np.ndarray:
    """(n, 2) seconds from normalised (n, 2) regressor outputs (module docstring)."""
    p = np.clip(np.asarray(raw, np.float64), 0.0, 1.0)
    p = np.sort(p, axis=1)
    if grid_floor:
        p = np.floor(p * m) / m
    return p * np.asarray(duration, np.float64)[:, None]


def run_batches(model, examples: Sequence[Example], device: str, m: int, grid_floor: bool,
                leave_out: tuple[str, ...] = (), batch_size: int = 256):
    """(predicted seconds (n, 2), per example {"fused", "<modality>": attention, "score"})."""
    import torch

    from avtool.tasks.grounding.data import collate

    preds, extras = [], []
    model.eval()
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            chunk = list(examples[i:i + batch_size])
            tokens, feats, weights, _ = collate(chunk)
            feats = {k: v.to(device) for k, v in feats.items()}
            out, att, fused = model(tokens.to(device), feats, hard=weights.to(device),
                                    leave_out=leave_out)
            seconds = decode(out.cpu().numpy(), np.array([e.duration for e in chunk]), m,
                             grid_floor)
            fused = fused.cpu().numpy()
            for k, e in enumerate(chunk):
                lo = int(np.floor(seconds[k, 0] / e.duration * m))
                hi = max(int(np.ceil(seconds[k, 1] / e.duration * m)), lo + 1)
                extras.append({"fused": fused[k], "score": float(fused[k, lo:hi].sum()),
                               **{name: a[k].cpu().numpy() for name, a in att.items()}})
            preds.append(seconds)
    return (np.concatenate(preds) if preds else np.zeros((0, 2))), extras


@dataclass(frozen=True)
class AlignInputs:
    """A batch: queries (any supported format) over videos (folder, file, store)."""

    queries: Path
    videos: Path
    queries_format: str = "auto"
    durations: Path | None = None
    transcripts: Path | None = None
    video_only: bool = False
    strict: bool = False


@dataclass
class Alignment:
    query_id: str
    video_id: str
    start: float
    end: float
    score: float
    duration: float
    sentence: str
    attention: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    truth: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"query_id": self.query_id, "video_id": self.video_id,
               "start": round(self.start, 3), "end": round(self.end, 3),
               "confidence": round(self.score, 4), "duration": round(self.duration, 3),
               "caption": self.sentence}
        if self.truth is not None:
            out["true_start"], out["true_end"] = self.truth
        return out


@dataclass
class BatchAlignments:
    alignments: list[Alignment]
    failures: list[tuple[str, str]]  # (where, message)
    queries: int


class CaptionAligner:
    """`Predictor` of the grounding task (module docstring)."""

    def __init__(self, checkpoint: dict[str, Any], device: str = "cpu") -> None:
        from avtool.tasks.grounding.network import MaltaNet

        spec = checkpoint["spec"]
        self.spec = spec
        self.device = device
        self.net = config_from_dict(MaltaNetConfig, spec["net"], "malta_net")
        self.vocab = Vocabulary(spec["vocab"])
        self.streams = {k: list(v) for k, v in spec["streams"].items()}
        self.infos = spec["features"]
        self.standardizer = Standardizer(spec["standardizer"]) if spec["standardizer"] else None
        self.grid_floor = bool(spec["grid_floor"])
        self.model = MaltaNet(self.net).to(device)
        self.model.load_state_dict(checkpoint["model_state"])
        self.model.eval()

    @classmethod
    def from_checkpoint(cls, checkpoint: dict[str, Any], device: str = "cpu") -> CaptionAligner:
        return cls(checkpoint, device)

    @property
    def m(self) -> int:
        return self.net.segments

    def _source(self, videos: Path | None):
        from avtool.media.audio import VIDEO_EXTENSIONS
        from avtool.tasks.grounding.features import VideoSource, open_source

        videos = Path(videos)
        if videos.is_file() and videos.suffix.lower() in VIDEO_EXTENSIONS:
            return VideoSource(videos, self.infos, self.device)
        if videos.is_dir() and any(p.suffix.lower() in VIDEO_EXTENSIONS
                                   for p in videos.iterdir()):
            return VideoSource(videos, self.infos, self.device)
        source = open_source(videos)
        missing = [n for names in self.streams.values() for n in names
                   if n not in source.available]
        if missing:
            raise ConfigError(f"{videos}: has no {', '.join(missing)} features, which this "
                              "model reads")
        return source

    def _streams(self, video_only: bool) -> tuple[dict[str, list[str]], tuple[str, ...]]:
        if not video_only:
            return self.streams, ()
        if "video" not in self.streams:
            raise ConfigError("--video-only: this model reads no video")
        return {"video": self.streams["video"]}, tuple(m for m in self.net.modalities
                                                       if m != "video")

    def _features(self, source, video_id, streams, duration, transcripts):
        from avtool.tasks.grounding.features import segment_features

        feats = segment_features(source, video_id, streams, duration, self.m)
        if self.standardizer is not None:
            feats = self.standardizer(feats)
        for modality in self.net.modalities:
            if modality not in feats and modality != "transcript":
                dim = self.net.audio_dim if modality == "audio" else self.net.video_dim
                feats[modality] = np.zeros((self.m, dim), np.float32)
        if "transcript" in self.net.modalities:
            if transcripts is None:
                raise ConfigError("this model reads transcripts: give --transcripts "
                                  "transcripts.jsonl")
            feats["transcript"] = transcript_ids(transcripts.get(video_id, []), self.vocab,
                                                 duration, self.m)
        return feats

    def _check_audio(self, source, streams, video_id) -> None:
        from avtool.tasks.grounding.features import VideoSource, has_audio

        if "audio" in streams and isinstance(source, VideoSource):
            path = source.video_path(video_id)
            if path is not None and not has_audio(path):
                raise MediaError(f"{path}: the video has no audio track, which this "
                                 f"{self.spec.get('model', 'MALTA')} model needs (give "
                                 "--video-only to align with the video attention alone)")

    def align(self, video: Path, caption: str, *, truth: tuple[float, float] | None = None,
              video_only: bool = False, transcripts: Path | None = None) -> Alignment:
        """One caption in one video file (or a store/feature folder with one item)."""
        video = Path(video)
        check_caption(caption, self.vocab, "--caption")
        streams, leave_out = self._streams(video_only)
        source = self._source(video)
        video_id = video.stem
        self._check_audio(source, streams, video_id)
        from avtool.tasks.grounding.features import video_duration

        duration = video_duration(source, video_id, [n for v in streams.values() for n in v],
                                  None)
        if truth is not None and not (0 <= truth[0] < duration and truth[0] <= truth[1]):
            raise ConfigError(f"--true-span {truth[0]:g},{truth[1]:g}: outside the video "
                              f"({duration:g} s long) or start after end")
        feats = self._features(source, video_id, streams, duration,
                               read_transcripts(transcripts) if transcripts else None)
        q = MomentQuery("0", video_id, *(truth or (0.0, 0.0)), caption, "--caption")
        example = _example(q, self.vocab.encode(caption), feats, duration, self.m)
        seconds, extras = run_batches(self.model, [example], self.device, self.m,
                                      self.grid_floor, leave_out)
        return _alignment(q, seconds[0], extras[0], duration, truth)

    def predict(self, inputs: AlignInputs) -> BatchAlignments:
        """Every query of `inputs`; bad queries are collected (or raised with `strict`)."""
        from avtool.formats.moments import read_durations
        from avtool.tasks.grounding.features import video_duration

        qs = read_queries(inputs.queries, inputs.queries_format)
        durations = dict(qs.durations or {})
        if inputs.durations:
            durations.update(read_durations(inputs.durations))
        transcripts = read_transcripts(inputs.transcripts) if inputs.transcripts else None
        streams, leave_out = self._streams(inputs.video_only)
        source = self._source(inputs.videos)
        names = [n for v in streams.values() for n in v]
        cache: dict[str, Any] = {}
        examples, failures = [], []
        for q in qs.queries:
            try:
                tokens = check_caption(q.sentence, self.vocab, q.where)
                if q.video_id not in cache:
                    try:
                        self._check_audio(source, streams, q.video_id)
                        d = video_duration(source, q.video_id, names, durations)
                        cache[q.video_id] = (self._features(source, q.video_id, streams, d,
                                                            transcripts), d)
                    except AvtoolError as err:
                        cache[q.video_id] = err
                if isinstance(cache[q.video_id], AvtoolError):
                    raise cache[q.video_id]
                feats, d = cache[q.video_id]
                if q.start >= d and q.end > 0:
                    raise ConfigError(f"{q.where}: the moment {q.start:g}-{q.end:g} s lies "
                                      f"outside video {q.video_id!r} ({d:g} s long)")
                examples.append(_example(q, tokens, feats, d, self.m))
            except AvtoolError as err:
                if inputs.strict:
                    raise
                failures.append((q.where, str(err)))
        seconds, extras = run_batches(self.model, examples, self.device, self.m,
                                      self.grid_floor, leave_out)
        out = [_alignment(e.query, seconds[i], extras[i], e.duration,
                          (e.query.start, e.query.end)) for i, e in enumerate(examples)]
        return BatchAlignments(out, failures, len(qs.queries))

    def write(self, predictions: BatchAlignments, out: Path) -> Path:
        from avtool.formats.moments import write_tsv

        write_tsv(out, ["query_id", "video_id", "start", "end", "score"],
                  [[a.query_id, a.video_id, a.start, a.end, a.score]
                   for a in predictions.alignments])
        return Path(out)


def _example(q: MomentQuery, tokens, feats, duration: float, m: int) -> Example:
    s = min(max(q.start, 0.0), duration)
    e = min(max(q.end, s), duration)
    return Example(q, np.asarray(tokens, np.int64), feats, segment_weights(s, e, duration, m),
                   np.array([s / duration, e / duration], np.float32), duration)


def _alignment(q: MomentQuery, seconds, extra, duration: float, truth) -> Alignment:
    attention = {k: v for k, v in extra.items() if k != "score"}
    return Alignment(q.query_id, q.video_id, float(seconds[0]), float(seconds[1]),
                     float(extra["score"]), float(duration), q.sentence, attention, truth)
