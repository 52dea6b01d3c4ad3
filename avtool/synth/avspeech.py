"""A synthetic audio-visual speech corpus in which seeing helps (`avtool synth avspeech`).

Each clip is an mp4 (`width` x `height` at `fps`, mono AAC at `sample_rate`) of 2 to about
4.5 s in which an espeak-ng voice speaks one sentence about a sprite: "the red circle
bounces", "a blue star spins with the siren" (vocabulary: `avtool.synth.avspeech_vocab`).

Why vision matters: the content words (colour, shape, motion) are drawn per clip from three
closed sets of 8, and in on-screen clips (`p_on_screen`, exactly that share of each split)
the frames show that very sprite (that colour and shape, moving that way) for the whole clip,
so the words are recoverable from the frames when noise masks them in the audio. Function
words are predictable from the few templates. Off-screen clips show either an empty scene or
a distractor sprite that differs in colour, shape and motion (`p_distractor`), so frames are
not always to be trusted, as in real video. A sentence names a sound (`p_sound`) that plays
quietly under the speech: a content word that is heard, never seen.

Audio varies: voice accent and variant (m1-m7, f1-f5), pitch 30-70, rate 130-190 words per
minute, speech level -23 to -17 dBFS after a 0.2-0.6 s lead, white noise at 15-30 dB SNR.
Sampling is per clip, from the clip's own random stream: the corpus is a pure function of
the config and the seed, whatever the worker count.

Files written under the output folder (formats: `avtool.synth.avspeech_truth`; rendering:
`avtool.synth.avspeech_render`)::

    clips/<id>.mp4          the clips; <id> = How2-style "<11-char video id>_<segment>"
    clips.csv               manifest for extract-features: id,path,split,text,on_screen
    words.tsv               id, index, word, start, end, content, on_screen, kind (a word a row)
    how2/<split>/           text.id.<lang>, text.<lang>, segments, id, utt2spk (How2 layout)
    visspeech.csv           key,yt_id,start_time,end_time,text (VisSpeech layout, ms)
    corpus.json             config, vocabulary, templates and counts
    config.json             the config (a rerun with the same config resumes; another errs)

A clip is a notional segment of a longer video: ``segments`` and ``visspeech.csv`` give its
place in that video, and the mp4 holds exactly that segment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError
from avtool.synth.avspeech_render import render_clip
from avtool.synth.avspeech_truth import describe_corpus, write_ground_truth
from avtool.synth.avspeech_vocab import (
    CONTENT_KINDS,
    FUNCTION,
    LOOK_ALIKE,
    VOCABULARIES,
    template_fields,
)
from avtool.synth.corpus import assign_splits, youtube_like_id

VARIANTS = tuple(f"m{i}" for i in range(1, 8)) + tuple(f"f{i}" for i in range(1, 6))


@dataclass(frozen=True)
class SynthAvspeechConfig:
    clips: int = 400
    seed: int = 0
    language: str = "en"
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    width: int = 96
    height: int = 96
    fps: int = 25
    sample_rate: int = 16_000
    p_on_screen: float = 0.7
    p_distractor: float = 0.5  # off-screen clips that show another sprite
    p_sound: float = 0.3  # sentences that name a sound playing under the speech
    min_seconds: float = 2.0
    snr_db: tuple[float, float] = (15.0, 30.0)


@dataclass(frozen=True)
class SpokenWord:
    word: str
    kind: str  # one of CONTENT_KINDS, or "function"
    on_screen: bool  # the frames show what the word names

    @property
    def content(self) -> bool:
        return self.kind != FUNCTION


Sprite = tuple[str, str, str]  # (colour, shape, motion) class names of avtool.synth.video


@dataclass(frozen=True)
class ClipPlan:
    """Everything needed to render one clip and write its ground truth."""

    id: str
    split: str
    seed: int
    source_start: float  # where the clip starts in its notional source video (s)
    voice: str
    variant: str
    pitch: int
    rate: int
    words: tuple[SpokenWord, ...]
    referent: Sprite  # the sprite the sentence describes
    shown: Sprite | None  # the sprite in the frames (the referent when on screen)
    sound: str | None  # sound recipe under the speech (named in the sentence)
    lead: float  # silence before the speech (s)
    tail: float  # silence after it (s)

    @property
    def video(self) -> str:
        return self.id[:11]

    @property
    def text(self) -> str:
        return " ".join(w.word for w in self.words)

    @property
    def on_screen(self) -> bool:
        return self.shown == self.referent


@dataclass
class SynthAvspeechReport:
    out: str
    clips: int
    language: str
    splits: dict[str, int]
    on_screen: int  # clips whose frames show the sentence's sprite
    words: int
    content_words: int
    seconds: float  # total clip duration
    wall_seconds: float = 0.0
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- planning


def check_config(cfg: SynthAvspeechConfig) -> None:
    """ConfigError naming the option for any value the generator cannot honour."""
    if cfg.clips < 1:
        raise ConfigError(f"--clips must be at least 1, got {cfg.clips}")
    if cfg.language not in VOCABULARIES:
        raise ConfigError(f"--language {cfg.language!r}: use one of "
                          f"{', '.join(VOCABULARIES)}")
    shares = {"val_fraction": "--val-fraction", "test_fraction": "--test-fraction",
              "p_on_screen": "--on-screen", "p_distractor": "p_distractor", "p_sound": "p_sound"}
    for name, option in shares.items():
        if not 0.0 <= getattr(cfg, name) <= 1.0:
            raise ConfigError(f"{option} must be in [0, 1], got {getattr(cfg, name)}")
    if cfg.val_fraction + cfg.test_fraction >= 1.0:
        raise ConfigError("--val-fraction + --test-fraction must leave some train clips (< 1)")
    if cfg.width < 32 or cfg.height < 32 or cfg.width % 2 or cfg.height % 2:
        raise ConfigError(f"--size {cfg.width}x{cfg.height}: width and height must be even "
                          "and >= 32")
    if not 1 <= cfg.fps <= 60 or cfg.sample_rate % cfg.fps:
        raise ConfigError(f"--fps {cfg.fps}: must be 1-60 and divide the sample rate "
                          f"{cfg.sample_rate}")


def _on_screen_flags(rng: np.random.Generator, splits: Sequence[str], p: float) -> list[bool]:
    """round(p * n) on-screen clips in each split, at random positions."""
    flags = [False] * len(splits)
    for split in ("train", "val", "test"):
        members = [i for i, s in enumerate(splits) if s == split]
        for i in rng.permutation(members)[: int(round(p * len(members)))]:
            flags[int(i)] = True
    return flags


def _draw_sprite(rng: np.random.Generator, vocab, unlike: Sprite | None = None) -> Sprite:
    """(colour, shape, motion), differing from `unlike` in all three; never a pair whose
    frames look alike (`LOOK_ALIKE`: a spinning square is a spinning diamond)."""
    while True:
        sprite = tuple(str(rng.choice([n for n in vocab.words(k)
                                       if unlike is None or n != unlike[i]]))
                       for i, k in enumerate(CONTENT_KINDS[:3]))
        if sprite[1:] not in LOOK_ALIKE:
            return sprite


def plan_clip(rng: np.random.Generator, cfg: SynthAvspeechConfig, clip_id: str, split: str,
              on_screen: bool, seed: int, source_start: float) -> ClipPlan:
    """Voice, sentence, scene and timing of one clip, drawn from `rng`."""
    vocab = VOCABULARIES[cfg.language]
    voice = str(rng.choice(vocab.voices))
    variant = str(rng.choice(VARIANTS))
    pitch, rate = int(rng.integers(30, 71)), int(rng.integers(130, 191))
    referent = _draw_sprite(rng, vocab)
    sound = str(rng.choice(list(vocab.sound))) if rng.random() < cfg.p_sound else None
    templates = vocab.sound_templates if sound else vocab.templates
    template = templates[int(rng.integers(len(templates)))]
    if on_screen:
        shown: Sprite | None = referent
    elif rng.random() < cfg.p_distractor:
        shown = _draw_sprite(rng, vocab, unlike=referent)
    else:
        shown = None
    names = dict(zip(CONTENT_KINDS, (*referent, sound), strict=True))
    words = []
    for token, kind in zip(template.split(), template_fields(template), strict=True):
        if kind is None:
            words.append(SpokenWord(token, FUNCTION, False))
        else:
            words.append(SpokenWord(vocab.words(kind)[names[kind]], kind,
                                    on_screen and kind != "sound"))
    lead, tail = round(float(rng.uniform(0.2, 0.6)), 3), round(float(rng.uniform(0.2, 0.5)), 3)
    return ClipPlan(clip_id, split, seed, source_start, voice, variant, pitch, rate,
                    tuple(words), referent, shown, sound, lead, tail)


def plan_corpus(cfg: SynthAvspeechConfig) -> list[ClipPlan]:
    """Every clip's plan (no rendering); a pure function of the config."""
    check_config(cfg)
    corpus_seq, *clip_seqs = np.random.SeedSequence(cfg.seed).spawn(cfg.clips + 1)
    rng = np.random.default_rng(corpus_seq)
    videos: dict[str, None] = {}  # unique ids, in drawing order
    while len(videos) < cfg.clips:
        videos.setdefault(youtube_like_id(rng))
    segments = rng.integers(0, 30, size=cfg.clips)
    splits = assign_splits(rng, cfg.clips, cfg.val_fraction, cfg.test_fraction)
    on_screen = _on_screen_flags(rng, splits, cfg.p_on_screen)
    plans = []
    for i, (video, seq) in enumerate(zip(videos, clip_seqs, strict=True)):
        clip_rng = np.random.default_rng(seq)
        start = round(6.0 * int(segments[i]) + float(clip_rng.uniform(0, 2)), 2)
        plans.append(plan_clip(clip_rng, cfg, f"{video}_{segments[i]}", splits[i],
                               on_screen[i], int(seq.generate_state(1)[0]), start))
    return plans


# --------------------------------------------------------------------------- the corpus


def check_synth_avspeech(out: str | Path, cfg: SynthAvspeechConfig) -> None:
    """ConfigError for a bad config or an `out` that cannot take this corpus; writes nothing."""
    from avtool.config import config_to_dict
    from avtool.synth.corpus import check_corpus_dir

    check_config(cfg)
    check_corpus_dir(out, config_to_dict(cfg, "synth_avspeech"))


def synth_avspeech(
    out: str | Path,
    cfg: SynthAvspeechConfig = SynthAvspeechConfig(),
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SynthAvspeechReport:
    """Plan, render and describe the corpus in `out` (see the module doc).

    Clips already rendered (by an earlier run with the same config) are kept; each mp4 and
    each ground-truth file appears atomically, so an interrupted run can be resumed.

    Raises:
        ConfigError: a bad config value, or `out` is not empty and holds another corpus
            (or none).
    """
    import time

    from avtool.config import config_to_dict
    from avtool.synth.corpus import claim_corpus_dir, map_in_workers

    t0 = time.perf_counter()
    plans = plan_corpus(cfg)
    out = claim_corpus_dir(out, config_to_dict(cfg, "synth_avspeech"))
    (out / "clips").mkdir(exist_ok=True)
    timings = map_in_workers(render_clip, [(p, str(out / "clips"), cfg) for p in plans],
                             workers, progress)
    files = write_ground_truth(out, cfg, plans, timings)
    counts = describe_corpus(cfg, plans, timings)["counts"]
    return SynthAvspeechReport(
        str(out), len(plans), cfg.language, counts["splits"], counts["on_screen_clips"],
        counts["words"], sum(counts["content_words"].values()), counts["seconds"],
        time.perf_counter() - t0, [str(f) for f in files])
