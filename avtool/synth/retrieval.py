"""A synthetic text-video retrieval corpus (MSR-VTT layout): short videos of sprites, sound
events, espeak-ng speech and sometimes a face, each with several captions written from its
ground truth (`avtool.synth.retrieval_text`).

Every video (`plan_videos`) holds one or two sprites (colour, shape, motion), a library sound
(`avtool.synth.sounds`) with probability `p_sound`, a voice talking about one of a dozen topics
with probability `p_speech` (a man's or a woman's espeak-ng voice), and a face from the group
photo (`avtool.synth.video.face_crops`) pasted in a corner with probability `p_face`. Its
captions: two that only the picture answers, and where present two that only the sound
answers plus one mixing both, two that only the speech answers ("a man talks about
football": the picture and the sound say nothing of it) and one about the face. With
`text_share` > 0 that share of the videos also shows one shop-sign word written on screen
(HARBOUR, BAKERY, ...; drawn from its own random stream, so the rest of each plan is
unchanged) and two captions that only the written word answers. Each caption carries its kind (``visual``, ``audio``,
``mixed``, ``speech``, ``face``, ``ocr``).

With `long_videos` > 0, ActivityNet-style long videos are written under ``long/`` as well
(`avtool.synth.retrieval_long`).

Files written under the output folder::

    videos/<id>.mp4              the videos (H.264 + AAC, `seconds` long, `width` x `height`)
    videos.csv                   manifest for extract-features: id,path,split
    MSRVTT_data.json             videos and every caption (`avtool.formats.msrvtt`)
    MSRVTT_train.9k.csv          train + val video ids (the 1k-A protocol trains on both)
    MSRVTT_train.7k.csv          train video ids only
    MSRVTT_JSFUSION_test.csv     one caption per test video (1k-A style), drawn at random
    activitynet/train.json       ActivityNet Captions layout (train videos; each caption a
    activitynet/val_1.json       sentence over an even share of the video): paragraph retrieval
    truth.jsonl                  each video's plan and each caption's kind
    long/...                     the long videos and their paragraph split (long_videos > 0)
    config.json                  the config (a rerun with the same one resumes)

Deterministic from the seed: plans, captions and media bytes depend on the config only,
whatever the number of workers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from avtool.config import ADDED_LATER, ranged
from avtool.errors import ConfigError
from avtool.synth import retrieval_text as text
from avtool.synth.corpus import assign_splits, write_truth, write_video_manifest
from avtool.synth.retrieval_plan import ObjectPlan, draw_content, pick_sign

KINDS = ("visual", "audio", "mixed", "speech", "face", "ocr")
SIGN_STREAM = 1  # the written words' random stream: [seed, SIGN_STREAM]


@dataclass(frozen=True)
class SynthRetrievalConfig:
    videos: int = field(default=300, metadata=ranged(1, 1_000_000))
    seed: int = field(default=0, metadata=ranged(0, 2**32 - 1))
    val_fraction: float = field(default=0.1, metadata=ranged(0, 1, max_open=True))
    test_fraction: float = field(default=0.25, metadata=ranged(0, 1, max_open=True))
    seconds: int = field(default=4, metadata=ranged(2, 60))
    fps: int = field(default=8, metadata=ranged(1, 60))
    width: int = field(default=128, metadata=ranged(64, 1024))
    height: int = field(default=128, metadata=ranged(64, 1024))
    sample_rate: int = field(default=16_000, metadata=ranged(8000, 48_000))
    p_two_objects: float = field(default=0.4, metadata=ranged(0, 1))
    p_sound: float = field(default=0.7, metadata=ranged(0, 1))
    p_speech: float = field(default=0.5, metadata=ranged(0, 1))
    p_face: float = field(default=0.3, metadata=ranged(0, 1))
    # added later: left out of config.json at their defaults, so earlier corpora resume
    text_share: float = field(default=0.0, metadata={**ranged(0, 1), **ADDED_LATER})
    long_videos: int = field(default=0, metadata={**ranged(0, 100_000), **ADDED_LATER})
    long_seconds: int = field(default=24, metadata={**ranged(12, 300), **ADDED_LATER})

    def check(self) -> None:
        if self.val_fraction + self.test_fraction >= 1:
            raise ConfigError("val_fraction + test_fraction must leave training videos (< 1)")
        if self.width % 2 or self.height % 2:
            raise ConfigError(f"width and height must be even (got {self.width}x{self.height})")


@dataclass(frozen=True)
class Caption:
    text: str
    kind: str


@dataclass(frozen=True)
class VideoPlan:
    video_id: str
    split: str
    seed: int
    objects: tuple[ObjectPlan, ...]
    sound: str | None
    speaker: str | None  # "m" | "f" | None
    topic: str | None
    speech: str  # the words spoken ("" for none)
    face: int | None  # index into avtool.synth.video.face_crops()
    captions: tuple[Caption, ...]
    text: str | None = None  # the word written on screen (`text_share`)

    def to_dict(self) -> dict:
        data = asdict(self)
        if data["text"] is None:
            del data["text"]  # truth.jsonl of a corpus without signs keeps its earlier bytes
        return data


@dataclass(frozen=True)
class SynthRetrievalReport:
    out: str
    videos: int
    splits: dict[str, int]
    captions: dict[str, int]
    wall_seconds: float
    files: list[str]
    long_videos: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _captions(objects, sound, speaker, topic, face, word=None) -> tuple[Caption, ...]:
    out = [Caption(c, "visual") for c in text.visual_captions(objects, None)[:2]]
    if sound:
        out += [Caption(c, "audio") for c in text.audio_captions(sound)]
        out.append(Caption(text.mixed_caption(objects, sound), "mixed"))
    if topic:
        out += [Caption(c, "speech") for c in text.speech_captions(speaker, topic)]
    if face is not None:
        out.append(Caption(text.face_caption(objects), "face"))
    if word:
        out += [Caption(c, "ocr") for c in text.ocr_captions(word)]
    return tuple(out)


def plan_videos(cfg: SynthRetrievalConfig) -> list[VideoPlan]:
    """Every video's content and captions, a pure function of `cfg`."""
    cfg.check()
    rng = np.random.default_rng(cfg.seed)
    signs = np.random.default_rng([cfg.seed, SIGN_STREAM])
    splits = assign_splits(rng, cfg.videos, cfg.val_fraction, cfg.test_fraction)
    plans = []
    for i in range(cfg.videos):
        objects, sound, speaker, topic, speech, face = draw_content(rng, cfg)
        word = pick_sign(signs, cfg.text_share)
        plans.append(VideoPlan(f"video{i}", splits[i], int(rng.integers(2**31)), objects, sound,
                               speaker, topic, speech, face,
                               _captions(objects, sound, speaker, topic, face, word), word))
    return plans


def write_corpus_files(out: Path, plans: Sequence[VideoPlan], cfg: SynthRetrievalConfig
                       ) -> list[Path]:
    """Everything but the videos: manifest, MSR-VTT files, truth.jsonl."""

    from avtool.formats.msrvtt import (
        JsfusionQuery,
        MsrvttSentence,
        MsrvttVideo,
        write_jsfusion_test,
        write_msrvtt_data,
        write_msrvtt_split,
    )

    videos = [MsrvttVideo(p.video_id, "validate" if p.split == "val" else p.split, 0,
                          f"synthetic://{p.video_id}", 0.0, float(cfg.seconds)) for p in plans]
    sentences, sen = [], 0
    for p in plans:
        for c in p.captions:
            sentences.append(MsrvttSentence(sen, p.video_id, c.text))
            sen += 1
    written = [write_msrvtt_data(out / "MSRVTT_data.json", videos, sentences)]
    written.append(write_msrvtt_split(out / "MSRVTT_train.9k.csv",
                                      [p.video_id for p in plans if p.split != "test"]))
    written.append(write_msrvtt_split(out / "MSRVTT_train.7k.csv",
                                      [p.video_id for p in plans if p.split == "train"]))
    rng = np.random.default_rng(cfg.seed + 1)
    queries = []
    for p in plans:
        if p.split == "test":
            c = p.captions[int(rng.integers(len(p.captions)))]
            n = p.video_id.removeprefix("video")
            queries.append(JsfusionQuery(f"ret{len(queries)}", f"msr{n}", p.video_id, c.text))
    if queries:
        written.append(write_jsfusion_test(out / "MSRVTT_JSFUSION_test.csv", queries))
    from avtool.formats.activitynet_paragraphs import write_activitynet_captions

    for name, splits in (("train.json", ("train",)), ("val_1.json", ("test",))):
        # ActivityNet Captions layout: each caption a sentence over an even share of the video
        videos_an = {}
        for p in plans:
            if p.split in splits:
                n = len(p.captions)
                spans = [(round(k * cfg.seconds / n, 2), round((k + 1) * cfg.seconds / n, 2))
                         for k in range(n)]
                videos_an[p.video_id] = (float(cfg.seconds), spans,
                                         [c.text[0].upper() + c.text[1:] + "." for c in p.captions])
        if videos_an:
            written.append(write_activitynet_captions(out / "activitynet" / name, videos_an))
    return [*written, write_video_manifest(out, plans),
            write_truth(out, [p.to_dict() for p in plans])]


def read_truth(path: str | Path) -> list[dict]:
    """The plans of a corpus's truth.jsonl (captions as dicts with text and kind)."""
    from avtool.errors import FormatError

    path = Path(path)
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path}: not a retrieval corpus truth.jsonl ({exc})") from None


def synth_retrieval(out: str | Path, cfg: SynthRetrievalConfig = SynthRetrievalConfig(),
                    workers: int = 1, progress: Callable[[int, int], None] | None = None,
                    long_progress: Callable[[int, int], None] | None = None
                    ) -> SynthRetrievalReport:
    """Plan, render and write the corpus into `out` (see the module docstring).

    Videos already rendered by an earlier run with the same config are kept, so an
    interrupted run resumes; another config in `out` is refused.
    """
    from avtool.config import check_config, config_to_dict
    from avtool.synth.corpus import claim_corpus_dir
    from avtool.synth.retrieval_render import render_all

    t0 = time.perf_counter()
    check_config(cfg, "synth retrieval")
    out = Path(out)
    plans = plan_videos(cfg)
    claim_corpus_dir(out, config_to_dict(cfg, "synth_retrieval"))
    (out / "videos").mkdir(parents=True, exist_ok=True)
    render_all(plans, out / "videos", cfg, workers=workers, progress=progress)
    files = [*write_corpus_files(out, plans, cfg), out / "config.json"]
    if cfg.long_videos:
        from avtool.synth.retrieval_long import synth_long_videos

        files += synth_long_videos(out / "long", cfg, workers=workers, progress=long_progress)
    kinds = {k: sum(c.kind == k for p in plans for c in p.captions) for k in KINDS}
    splits = {s: sum(p.split == s for p in plans) for s in ("train", "val", "test")}
    return SynthRetrievalReport(str(out), len(plans), splits, kinds,
                                time.perf_counter() - t0, [str(f) for f in files],
                                cfg.long_videos)
