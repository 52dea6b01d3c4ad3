"""A synthetic caption-alignment corpus where audio matters (`avtool synth captions`).

Every video (`plan_videos`) runs two independent timelines:

* **seen**: 3-4 contiguous scenes cover the video; each shows one sprite
  (`avtool.synth.video`) of its own colour and shape, moving;
* **heard**: the video is cut into 2-4 equal slots; each slot holds one audio event at a
  random place inside it: a library sound (`avtool.synth.sounds`), or a voice (espeak-ng,
  English or Marathi) saying a sentence about a toy-from-trash topic.

Each scene gets a ``visual`` caption (its sprite), each audio event a ``sound`` or ``speech``
caption (`avtool.synth.captions_text`): a speech caption paraphrases what is said while the
frames show something unrelated. Spans are known exactly: a scene's bounds, a sound's bounds,
the voice's first word onset to last word offset. Each video also gets the annotation a
video-only annotator would make (the paper's MALTA_v): visual captions the same, an audio
caption the scene playing at the audio event's midpoint.

Files under the output folder (`write_annotations`), query ids in brackets::

    videos/<id>.mp4                      H.264 + AAC videos
    videos.csv                           manifest for extract-features: id,path,split,duration
    durations.tsv                        video_id<TAB>duration
    charades_sta_{train,val,test}.txt    Charades-STA 'vid start end##sentence' [line number]
    activitynet_{train,val,test}.json    ActivityNet Captions JSON [vid#k]
    MALTA/TFT_av/{train,val,test}.json   MALTA layout, audio-visual annotation (`avtool.formats.malta`)
    MALTA/TFT_v/test.json                video-only annotation of the test videos
    queries.jsonl                        every query: ids, video, kind, span, sentence, language
    transcripts.jsonl                    per video, the spoken words with their times
    config.json                          the config (a rerun with the same one resumes)

Deterministic from the seed, whatever the number of workers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from avtool.config import ranged
from avtool.errors import ConfigError
from avtool.synth import captions_text as text
from avtool.synth.corpus import assign_splits, claim_corpus_dir, youtube_like_id

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SynthCaptionsConfig:
    videos: int = field(default=120, metadata=ranged(1, 1_000_000))
    seed: int = field(default=0, metadata=ranged(0, 2**32 - 1))
    language: str = "en"
    val_fraction: float = field(default=0.1, metadata=ranged(0, 1, max_open=True))
    test_fraction: float = field(default=0.25, metadata=ranged(0, 1, max_open=True))
    min_seconds: int = field(default=16, metadata=ranged(6, 120))
    max_seconds: int = field(default=24, metadata=ranged(6, 120))
    fps: int = field(default=8, metadata=ranged(1, 60))
    width: int = field(default=64, metadata=ranged(32, 1024))
    height: int = field(default=64, metadata=ranged(32, 1024))
    sample_rate: int = field(default=16_000, metadata=ranged(8000, 48_000))
    p_speech: float = field(default=0.5, metadata=ranged(0, 1))

    def check(self) -> None:
        if self.language not in text.LANGUAGES:
            raise ConfigError(f"language {self.language!r}: choose one of "
                              f"{', '.join(text.LANGUAGES)}")
        if self.val_fraction + self.test_fraction >= 1:
            raise ConfigError("val_fraction + test_fraction must leave training videos (< 1)")
        if self.min_seconds > self.max_seconds:
            raise ConfigError(f"min_seconds {self.min_seconds} > max_seconds {self.max_seconds}")
        if self.width % 2 or self.height % 2:
            raise ConfigError(f"width and height must be even (got {self.width}x{self.height})")


@dataclass(frozen=True)
class Scene:
    start: float
    end: float
    color: str
    shape: str
    motion: str
    phase: float


@dataclass(frozen=True)
class AudioEvent:
    start: float
    end: float
    kind: str  # "sound" | "speech"
    name: str  # sound name or topic
    said: str = ""  # the spoken sentence (speech)
    voice: str = ""
    pitch: int = 50
    rate: int = 170
    words: tuple[tuple[str, float, float], ...] = ()  # (word, onset, offset), video time
    audio_at: float = 0.0  # where the synthesized audio starts (speech), video time
    audio_seconds: float = 0.0  # how much of it is kept


@dataclass(frozen=True)
class Caption:
    kind: str
    start: float
    end: float
    sentence: str
    v_start: float  # the video-only annotation
    v_end: float


@dataclass(frozen=True)
class CaptionVideoPlan:
    video_id: str
    split: str
    seconds: int
    seed: int
    language: str
    scenes: tuple[Scene, ...]
    events: tuple[AudioEvent, ...]
    captions: tuple[Caption, ...]


def _scenes(rng: np.random.Generator, seconds: int) -> list[Scene]:
    from avtool.synth.video import COLORS, MOTIONS, SHAPES

    k = int(rng.integers(3, 5))
    while True:  # scene lengths of at least 3 s
        cuts = np.sort(rng.uniform(0, seconds, size=k - 1))
        bounds = np.round(np.concatenate([[0.0], cuts, [float(seconds)]]), 2)
        if np.diff(bounds).min() >= min(3.0, 0.5 * seconds / k):
            break
    colors = rng.choice(list(COLORS), size=k, replace=False)
    shapes = rng.choice(SHAPES, size=k, replace=False)
    return [Scene(float(bounds[i]), float(bounds[i + 1]), str(colors[i]), str(shapes[i]),
                  str(rng.choice(MOTIONS)), float(rng.uniform(0, 6.283)))
            for i in range(k)]


def _events(rng: np.random.Generator, seconds: int, cfg: SynthCaptionsConfig
            ) -> list[AudioEvent]:
    from avtool.synth.speech import synthesize

    k = int(rng.integers(2, 5))
    slot = seconds / k
    sounds = list(rng.permutation(list(text.SOUND_WORDS[cfg.language])))
    topics = list(rng.permutation(list(text.TOPICS[cfg.language])))
    out = []
    for i in range(k):
        lo = i * slot
        if rng.random() < cfg.p_speech:
            topic = str(topics.pop())
            said, _ = text.speech_lines(cfg.language, topic, rng)
            variant = f"{rng.choice(['m', 'f'])}{int(rng.integers(1, 4))}"
            voice = f"{text.SPEECH_VOICE[cfg.language]}+{variant}"
            pitch, rate = int(rng.integers(35, 65)), int(rng.integers(160, 200))
            speech = synthesize(said, voice=text.SPEECH_VOICE[cfg.language], variant=variant,
                                pitch=pitch, rate=rate, sample_rate=cfg.sample_rate)
            length = min(len(speech.audio) / cfg.sample_rate, slot - 0.2)
            at = round(lo + float(rng.uniform(0.1, max(slot - length - 0.1, 0.1))), 2)
            words = tuple((w, round(at + a, 3), round(at + min(b, length), 3))
                          for w, a, b in speech.words if a < length)
            start = words[0][1] if words else at
            end = words[-1][2] if words else at + length
            out.append(AudioEvent(round(start, 2), round(end, 2), "speech", topic, said, voice,
                                  pitch, rate, words, at, round(length, 3)))
        else:
            length = float(rng.uniform(0.5, 0.9)) * slot
            at = lo + float(rng.uniform(0, slot - length))
            out.append(AudioEvent(round(at, 2), round(at + length, 2), "sound",
                                  str(sounds.pop())))
    return out


def _captions(rng, language: str, scenes: list[Scene], events: list[AudioEvent]
              ) -> list[Caption]:
    out = [Caption("visual", s.start, s.end, text.visual_caption(language, s.color, s.shape, rng),
                   s.start, s.end) for s in scenes]
    for e in events:
        mid = (e.start + e.end) / 2
        seen = next((s for s in scenes if s.start <= mid < s.end), scenes[-1])
        sentence = (text.sound_caption(language, e.name, rng) if e.kind == "sound"
                    else text.speech_lines(language, e.name, rng)[1])
        out.append(Caption(e.kind, e.start, e.end, sentence, seen.start, seen.end))
    return out


def plan_videos(cfg: SynthCaptionsConfig) -> list[CaptionVideoPlan]:
    """Every video's scenes, audio events and captions (deterministic from `cfg`)."""
    cfg.check()
    rng = np.random.default_rng(cfg.seed)
    splits = assign_splits(rng, cfg.videos, cfg.val_fraction, cfg.test_fraction)
    seeds = np.random.SeedSequence(cfg.seed).spawn(cfg.videos)
    plans, ids = [], set()
    for i in range(cfg.videos):
        vrng = np.random.default_rng(seeds[i])
        vid = youtube_like_id(vrng)
        while vid in ids:
            vid = youtube_like_id(vrng)
        ids.add(vid)
        seconds = int(vrng.integers(cfg.min_seconds, cfg.max_seconds + 1))
        scenes = _scenes(vrng, seconds)
        events = _events(vrng, seconds, cfg)
        captions = _captions(vrng, cfg.language, scenes, events)
        plans.append(CaptionVideoPlan(vid, splits[i], seconds, int(vrng.integers(2**31)),
                                      cfg.language, tuple(scenes), tuple(events),
                                      tuple(captions)))
    return plans


@dataclass(frozen=True)
class SynthCaptionsReport:
    out: str
    videos: int
    rendered: int
    splits: dict[str, int]
    queries: dict[str, int]  # per caption kind
    wall_seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def write_annotations(out: Path, plans: list[CaptionVideoPlan]) -> None:
    """Every annotation file of the module docstring (atomically each)."""
    from avtool.formats.malta import write_malta_json
    from avtool.io import atomic_write

    with atomic_write(out / "videos.csv") as fh:
        fh.write("id,path,split,duration\n")
        for p in plans:
            fh.write(f"{p.video_id},videos/{p.video_id}.mp4,{p.split},{p.seconds}\n")
    with atomic_write(out / "durations.tsv") as fh:
        fh.write("video_id\tduration\n")
        for p in plans:
            fh.write(f"{p.video_id}\t{p.seconds}\n")
    queries = []
    for split in SPLITS:
        chosen = [p for p in plans if p.split == split]
        with atomic_write(out / f"charades_sta_{split}.txt") as fh:
            line = 0
            for p in chosen:
                for k, c in enumerate(p.captions):
                    fh.write(f"{p.video_id} {c.start:.2f} {c.end:.2f}##{c.sentence}\n")
                    queries.append({"charades_id": str(line), "activitynet_id": f"{p.video_id}#{k}",
                                    "video_id": p.video_id, "split": split, "kind": c.kind,
                                    "start": c.start, "end": c.end, "v_start": c.v_start,
                                    "v_end": c.v_end, "sentence": c.sentence,
                                    "language": p.language})
                    line += 1
        anet = {p.video_id: {"duration": float(p.seconds),
                             "timestamps": [[c.start, c.end] for c in p.captions],
                             "sentences": [c.sentence for c in p.captions]} for p in chosen}
        with atomic_write(out / f"activitynet_{split}.json") as fh:
            json.dump(anet, fh, ensure_ascii=False, indent=1)
        write_malta_json(out / "MALTA" / "TFT_av" / f"{split}.json",
                         {p.video_id: (float(p.seconds), [(c.start, c.end, c.sentence, c.kind)
                                                          for c in p.captions]) for p in chosen},
                         language=plans[0].language if plans else "en")
        if split == "test":
            write_malta_json(out / "MALTA" / "TFT_v" / "test.json",
                             {p.video_id: (float(p.seconds),
                                           [(c.v_start, c.v_end, c.sentence, c.kind)
                                            for c in p.captions]) for p in chosen},
                             language=plans[0].language if plans else "en")
    with atomic_write(out / "queries.jsonl") as fh:
        for q in queries:
            fh.write(json.dumps(q, ensure_ascii=False) + "\n")
    with atomic_write(out / "transcripts.jsonl") as fh:
        for p in plans:
            words = [[w, a, b] for e in p.events for (w, a, b) in e.words]
            fh.write(json.dumps({"video_id": p.video_id, "words": words},
                                ensure_ascii=False) + "\n")


def synth_captions(out: str | Path, cfg: SynthCaptionsConfig, workers: int = 1,
                   progress: Callable[[int, int], None] | None = None) -> SynthCaptionsReport:
    """Plan, render the missing videos and write the annotations (module docstring)."""
    from avtool.synth.captions_render import render_all

    t0 = time.perf_counter()
    cfg.check()
    out = claim_corpus_dir(out, asdict(cfg))
    plans = plan_videos(cfg)
    (out / "videos").mkdir(exist_ok=True)
    rendered = render_all(plans, out / "videos", cfg, workers, progress)
    write_annotations(out, plans)
    splits = {s: sum(p.split == s for p in plans) for s in SPLITS}
    kinds = {k: sum(c.kind == k for p in plans for c in p.captions) for k in text.CAPTION_KINDS}
    return SynthCaptionsReport(str(out), len(plans), rendered, splits, kinds,
                               time.perf_counter() - t0)
