"""ActivityNet-style long videos for paragraph retrieval (`avtool synth retrieval --long-videos`).

Each long video lasts `long_seconds` and is cut into 3 to 5 consecutive segments of whole
seconds (at least `MIN_SEGMENT` each). A segment is planned like one short video of the
corpus (`avtool.synth.retrieval_plan`: its own sprites, sound, voice and face, and a word
written on screen with probability `text_share`) and rendered by the same functions
(`retrieval_render`) over its own span, so the picture and the sound change at every
boundary. Each segment has one
sentence naming what it shows, plays, says and has written on it
(`retrieval_text.segment_sentence`), with its true timestamps; a video's sentences in time
order are its paragraph, the query of ActivityNet Captions paragraph retrieval.

Files written under ``<corpus>/long/``::

    videos/long<i>.mp4       the long videos (same size, frame rate and audio as the corpus)
    videos.csv               manifest for extract-features: id,path,split
    activitynet/train.json   ActivityNet Captions layout, {id: {"duration", "timestamps",
    activitynet/val_1.json   "sentences"}}: train videos; test videos (the theses' val_1)
    MSRVTT_data.json         each video's paragraph as its one caption (`train retrieval`)
    truth.jsonl              each video's segments

Plans come from their own random stream ([seed, `LONG_STREAM`]), so adding long videos leaves
the short videos unchanged; bytes depend on the config only, and a rerun renders only the
missing videos.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError
from avtool.synth.corpus import assign_splits, render_videos, write_truth, write_video_manifest

MIN_SEGMENT = 4  # seconds: room for a spoken sentence (espeak-ng, about 3 s)
SEGMENTS = (3, 5)  # fewest and most segments per long video
LONG_STREAM = 2  # the long videos' random stream: [seed, LONG_STREAM]


@dataclass(frozen=True)
class SegmentPlan:
    start: int  # seconds
    end: int
    objects: tuple  # of avtool.synth.retrieval_plan.ObjectPlan
    sound: str | None
    speaker: str | None
    topic: str | None
    speech: str
    face: int | None
    text: str | None
    sentence: str


@dataclass(frozen=True)
class LongVideoPlan:
    video_id: str
    split: str
    seed: int
    duration: int
    segments: tuple[SegmentPlan, ...]

    @property
    def paragraph(self) -> str:
        return " ".join(s.sentence for s in self.segments)

    def to_dict(self) -> dict:
        return asdict(self)


def segment_lengths(rng: np.random.Generator, seconds: int) -> list[int]:
    """3 to 5 whole-second lengths of at least `MIN_SEGMENT`, summing to `seconds`."""
    most = min(SEGMENTS[1], seconds // MIN_SEGMENT)
    if most < SEGMENTS[0]:
        raise ConfigError(f"long_seconds {seconds} leaves no room for {SEGMENTS[0]} segments "
                          f"of {MIN_SEGMENT} s")
    n = int(rng.integers(SEGMENTS[0], most + 1))
    extra = rng.multinomial(seconds - n * MIN_SEGMENT, np.full(n, 1 / n))
    return [MIN_SEGMENT + int(e) for e in extra]


def plan_long_videos(cfg) -> list[LongVideoPlan]:
    """Every long video's segments and sentences, a pure function of `cfg`
    (`avtool.synth.retrieval.SynthRetrievalConfig`)."""
    from avtool.synth import retrieval_text as text
    from avtool.synth.retrieval_plan import draw_content, pick_sign

    rng = np.random.default_rng([cfg.seed, LONG_STREAM])
    splits = assign_splits(rng, cfg.long_videos, cfg.val_fraction, cfg.test_fraction)
    plans = []
    for i in range(cfg.long_videos):
        segments, start = [], 0
        for length in segment_lengths(rng, cfg.long_seconds):
            objects, sound, speaker, topic, speech, face = draw_content(rng, cfg)
            seg = SegmentPlan(start, start + length, objects, sound, speaker, topic, speech,
                              face, pick_sign(rng, cfg.text_share), "")
            segments.append(dataclasses.replace(seg, sentence=text.segment_sentence(seg)))
            start += length
        plans.append(LongVideoPlan(f"long{i}", splits[i], int(rng.integers(2**31)),
                                   cfg.long_seconds, tuple(segments)))
    return plans


def _segment_cfg(cfg, seg: SegmentPlan):
    return dataclasses.replace(cfg, seconds=seg.end - seg.start)


def long_frames(plan: LongVideoPlan, cfg, rng: np.random.Generator) -> np.ndarray:
    """The segments' frames (`retrieval_render.render_frames`), one after the other."""
    from avtool.synth.retrieval_render import render_frames

    return np.concatenate([render_frames(s, _segment_cfg(cfg, s), rng) for s in plan.segments])


def long_audio(plan: LongVideoPlan, cfg, rng: np.random.Generator) -> np.ndarray:
    """The segments' soundtracks (`retrieval_render.render_audio`), one after the other."""
    from avtool.synth.retrieval_render import render_audio

    return np.concatenate([render_audio(s, _segment_cfg(cfg, s), rng) for s in plan.segments])


def write_long_files(out: Path, plans: Sequence[LongVideoPlan]) -> list[Path]:
    """Everything but the videos: manifest, ActivityNet JSONs, MSR-VTT JSON, truth.jsonl."""

    from avtool.formats.activitynet_paragraphs import write_activitynet_captions
    from avtool.formats.msrvtt import MsrvttSentence, MsrvttVideo, write_msrvtt_data

    written = []
    for name, split in (("train.json", "train"), ("val_1.json", "test")):
        videos = {p.video_id: (float(p.duration),
                               [(float(s.start), float(s.end)) for s in p.segments],
                               [s.sentence for s in p.segments])
                  for p in plans if p.split == split}
        if videos:
            written.append(write_activitynet_captions(out / "activitynet" / name, videos))
    written.append(write_msrvtt_data(
        out / "MSRVTT_data.json",
        [MsrvttVideo(p.video_id, "validate" if p.split == "val" else p.split, 0,
                     f"synthetic://{p.video_id}", 0.0, float(p.duration)) for p in plans],
        [MsrvttSentence(k, p.video_id, p.paragraph) for k, p in enumerate(plans)]))
    return [*written, write_video_manifest(out, plans),
            write_truth(out, [p.to_dict() for p in plans])]


def synth_long_videos(out: str | Path, cfg, workers: int = 1,
                      progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Plan, render (only the missing videos) and describe the long videos in `out`."""
    out = Path(out)
    plans = plan_long_videos(cfg)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    render_videos(plans, out / "videos", cfg, long_frames, long_audio, workers, progress)
    return write_long_files(out, plans)
