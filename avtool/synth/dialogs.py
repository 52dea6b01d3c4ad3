"""A synthetic AVSD corpus: short videos of sprites, sounds and speech with ten-turn dialogs.

Every video (`plan_videos`) holds one or two sprites (`avtool.synth.video`) with a colour, a
shape, a motion, a size and a starting side; the second one appears one or two seconds after
the first. Its sound track holds one of six library sounds (`avtool.synth.sounds`) at the
beginning, at the end or the whole time, or none, and sometimes a voice (espeak-ng, random
words). Its dialog (`make_dialog`) asks ten questions about it, each answered by one input
(`avtool.synth.dialogs_text` lists them): the frames, the motion, the audio, or the dialog
history ("what about the other one ?" repeats the previous turn's attribute for the second
object). Its caption and summary give away part of the answers, sizes above all.

Files written under the output folder, in the DSTC7-AVSD formats (`avtool.formats.avsd`)::

    videos/<id>.mp4                      the videos (H.264 + AAC, `seconds` long)
    videos.csv                           manifest for extract-features: id,path,split
    train_set4DSTC7-AVSD.json            train dialogs, ten turns each
    valid_set4DSTC7-AVSD.json            validation dialogs
    test_set.json                        test dialogs, all ten turns (the "trial" set: every
                                         turn scored against one reference)
    test_set4DSTC7-AVSD.json             the same dialogs cut after a random turn whose answer
                                         is "__UNDISCLOSED__" (the official test)
    lbl_test_set4DSTC7-AVSD.json         the cut dialogs with that answer filled in
    test_set4DSTC7-AVSD_multiref.json    2-6 references for each cut dialog's last turn
    truth.jsonl                          each video's plan and each turn's question type
    config.json                          the config (a rerun with the same one resumes)

Deterministic from the seed: the plans, the dialogs and the media bytes are a function of the
config only, whatever the number of workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from avtool.config import ranged
from avtool.errors import ConfigError
from avtool.formats.avsd import UNDISCLOSED, AvsdDialog, AvsdTurn
from avtool.synth import dialogs_text as text
from avtool.synth.corpus import assign_splits, write_truth, write_video_manifest, youtube_like_id

FILES = {"train": "train_set4DSTC7-AVSD.json", "val": "valid_set4DSTC7-AVSD.json",
         "trial": "test_set.json", "test": "test_set4DSTC7-AVSD.json",
         "test_labelled": "lbl_test_set4DSTC7-AVSD.json",
         "multiref": "test_set4DSTC7-AVSD_multiref.json"}


@dataclass(frozen=True)
class SynthDialogsConfig:
    videos: int = field(default=200, metadata=ranged(1, 1_000_000))
    seed: int = field(default=0, metadata=ranged(0, 2**32 - 1))
    val_fraction: float = field(default=0.15, metadata=ranged(0, 1, max_open=True))
    test_fraction: float = field(default=0.15, metadata=ranged(0, 1, max_open=True))
    turns: int = field(default=10, metadata=ranged(1, 10))
    seconds: int = field(default=4, metadata=ranged(3, 60))
    fps: int = field(default=8, metadata=ranged(1, 60))
    width: int = field(default=96, metadata=ranged(64, 1024))
    height: int = field(default=96, metadata=ranged(64, 1024))
    sample_rate: int = field(default=16_000, metadata=ranged(8000, 48_000))
    p_two_objects: float = field(default=0.5, metadata=ranged(0, 1))
    p_sound: float = field(default=0.75, metadata=ranged(0, 1))
    p_speech: float = field(default=0.35, metadata=ranged(0, 1))
    radius_big: float = field(default=0.15, metadata=ranged(0.02, 0.4))  # of the short side
    radius_small: float = field(default=0.11, metadata=ranged(0.02, 0.4))
    max_references: int = field(default=6, metadata=ranged(1, 6))

    def check(self) -> None:
        if self.val_fraction + self.test_fraction >= 1:
            raise ConfigError("val_fraction + test_fraction must leave training videos (< 1)")
        if self.width % 2 or self.height % 2:
            raise ConfigError(f"width and height must be even (got {self.width}x{self.height})")


@dataclass(frozen=True)
class ObjectPlan:
    color: str
    shape: str
    motion: str
    size: str  # big | small
    side: str  # left | right: where it is when it appears
    appear: int  # second it appears at
    phase: float  # motion phase (sets the starting point)


@dataclass(frozen=True)
class VideoPlan:
    video_id: str
    split: str
    seed: int
    objects: tuple[ObjectPlan, ...]
    sound: str | None  # a key of dialogs_text.SOUNDS
    sound_when: str  # beginning | end | whole
    speech: str  # words spoken ("" for none)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DialogTruth:
    """A video's dialog with, per turn, its question type, the object it is about and
    every paraphrase of the right answer."""

    dialog: AvsdDialog
    types: tuple[str, ...]
    references: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class SynthDialogsReport:
    out: str
    videos: int
    splits: dict[str, int]
    turns: int
    question_types: dict[str, int]
    wall_seconds: float
    files: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- planning


def _side(motion: str, phase: float, appear: int, cfg: SynthDialogsConfig, radius: float) -> str:
    from avtool.synth.video import sprite_pose

    x, _, _, _ = sprite_pose(motion, float(appear), phase, cfg.width, cfg.height, radius)
    return "left" if x < cfg.width / 2 else "right"


def _plan_object(rng: np.random.Generator, cfg: SynthDialogsConfig, appear: int,
                 avoid: ObjectPlan | None) -> ObjectPlan:
    from avtool.synth.dialogs_render import radius_px

    colors = [c for c in text.COLORS if avoid is None or c != avoid.color]
    color = str(rng.choice(colors))
    shape, motion = str(rng.choice(text.SHAPES)), str(rng.choice(text.MOTIONS))
    size = str(rng.choice(text.SIZES))
    phase = float(rng.uniform(0, 1))
    return ObjectPlan(color, shape, motion, size,
                      _side(motion, phase, appear, cfg, radius_px(cfg, size)), appear, phase)


def plan_videos(cfg: SynthDialogsConfig) -> list[VideoPlan]:
    """Every video's content, from the config alone (one random stream per video)."""
    root = np.random.default_rng(cfg.seed)
    ids: list[str] = []
    while len(ids) < cfg.videos:
        vid = youtube_like_id(root)
        if vid not in ids:
            ids.append(vid)
    splits = assign_splits(root, cfg.videos, cfg.val_fraction, cfg.test_fraction)
    seeds = root.integers(0, 2**63 - 1, size=cfg.videos)
    plans = []
    for vid, split, seed in zip(ids, splits, seeds, strict=True):
        rng = np.random.default_rng(int(seed))
        first = _plan_object(rng, cfg, 0, None)
        objects = [first]
        if rng.random() < cfg.p_two_objects:
            objects.append(_plan_object(rng, cfg, int(rng.integers(1, 3)), first))
        sound = str(rng.choice(sorted(text.SOUNDS))) if rng.random() < cfg.p_sound else None
        when = str(rng.choice(text.WHEN))
        speech = " ".join(rng.choice(text.SPOKEN_WORDS, size=4)) if rng.random() < cfg.p_speech else ""
        plans.append(VideoPlan(vid, split, int(seed), tuple(objects), sound, when, speech))
    return plans


# --------------------------------------------------------------------------- dialogs


def _attribute(obj: ObjectPlan, kind: str) -> str:
    return {"color": obj.color, "shape": obj.shape, "motion": obj.motion, "size": obj.size,
            "where": obj.side}[kind]


def _turn(plan: VideoPlan, kind: str, target: int | None, rng: np.random.Generator,
          previous: str | None = None) -> tuple[str, tuple[str, ...]]:
    """(question, answer paraphrases) of one question about `plan`."""
    objs = plan.objects
    template = str(rng.choice(text.QUESTIONS[kind]))
    if kind in text.ATTRIBUTES:
        question = template.format(ref=str(rng.choice(text.REFERENTS[target])))
        return question, text.attribute_answers(kind, _attribute(objs[target or 0], kind))
    if kind == "other":  # the previous turn's attribute, of the second object
        return template, text.attribute_answers(previous, _attribute(objs[1], previous))
    answers = {
        "count": lambda: text.count_answers(len(objs)),
        "order": lambda: text.order_answers(objs[0].color),
        "sound": lambda: text.sound_answers(plan.sound),
        "when": lambda: text.when_answers(plan.sound_when),
        "speech": lambda: text.speech_answers(bool(plan.speech)),
        "else": lambda: text.else_answers((objs[1].color, objs[1].shape) if len(objs) > 1
                                          else None),
    }[kind]
    return template, answers()


def _question_units(plan: VideoPlan, rng: np.random.Generator) -> list[list[tuple]]:
    """Questions to ask, grouped so an attribute question and its "what about the other
    one ?" follow-up stay adjacent: [[(type, object)], ...] in random order."""
    two = len(plan.objects) == 2
    units: list[list[tuple]] = [[("count", None)], [("sound", None)], [("speech", None)],
                                [("else", None)]]
    if plan.sound:
        units.append([("when", None)])
    if two:
        units.append([("order", None)])
        for kind in text.ATTRIBUTES:
            follow = ("other", 1) if rng.random() < 0.5 else (kind, 1)
            units.append([(kind, 0), follow])
    else:
        units += [[(kind, None)] for kind in text.ATTRIBUTES]
    return [units[i] for i in rng.permutation(len(units))]


def make_dialog(plan: VideoPlan, turns: int, rng: np.random.Generator) -> DialogTruth:
    """The video's dialog of `turns` questions (repeating question types when the video
    offers fewer), its caption and summary, and every turn's reference paraphrases."""
    asked: list[tuple] = []
    for unit in _question_units(plan, rng):
        if len(asked) + len(unit) <= turns:
            asked += unit
    while len(asked) < turns:  # a short video: ask about something again
        asked.append(asked[int(rng.integers(0, len(asked)))])
    dialog, types, refs = [], [], []
    previous = None
    for kind, target in asked:
        question, answers = _turn(plan, kind, target, rng, previous)
        dialog.append(AvsdTurn(question, str(rng.choice(answers))))
        types.append(kind)
        refs.append(answers)
        previous = kind if kind in text.ATTRIBUTES else previous
    described = [(o.size, o.color) for o in plan.objects]
    return DialogTruth(
        AvsdDialog(plan.video_id, text.caption_text(described, plan.sound),
                   text.summary_text([o.size for o in plan.objects], bool(plan.speech)),
                   tuple(dialog)),
        tuple(types), tuple(refs))


def make_dialogs(plans: Sequence[VideoPlan], cfg: SynthDialogsConfig) -> list[DialogTruth]:
    return [make_dialog(p, cfg.turns, np.random.default_rng([p.seed, 1])) for p in plans]


def official_test(truth: DialogTruth, rng: np.random.Generator, max_refs: int
                  ) -> tuple[AvsdDialog, AvsdDialog, list[str]]:
    """(cut dialog with the last answer withheld, the same labelled, the last turn's
    references: the dialog's own answer first, then other paraphrases, up to `max_refs`)."""
    n = int(rng.integers(1, len(truth.dialog.turns) + 1))
    turns = truth.dialog.turns[:n]
    last = turns[-1]
    others = [a for a in truth.references[n - 1] if a != last.answer]
    refs = [last.answer] + [others[i] for i in rng.permutation(len(others))][:max_refs - 1]
    hidden = AvsdDialog(truth.dialog.image_id, truth.dialog.caption, truth.dialog.summary,
                        (*turns[:-1], AvsdTurn(last.question, UNDISCLOSED)))
    labelled = AvsdDialog(truth.dialog.image_id, truth.dialog.caption, truth.dialog.summary,
                          turns)
    return hidden, labelled, refs


# --------------------------------------------------------------------------- files


def write_corpus_files(out: str | Path, plans: Sequence[VideoPlan],
                       truths: Sequence[DialogTruth], cfg: SynthDialogsConfig,
                       manifest: bool = True) -> list[Path]:
    """The dialog files, truth.jsonl and (`manifest`) videos.csv: all but the videos."""

    from avtool.formats.avsd import write_avsd_data, write_coco_references

    out = Path(out)
    by_split: dict[str, list[DialogTruth]] = {"train": [], "val": [], "test": []}
    for plan, truth in zip(plans, truths, strict=True):
        by_split[plan.split].append(truth)
    written = [write_avsd_data(out / FILES["train"], [t.dialog for t in by_split["train"]]),
               write_avsd_data(out / FILES["val"], [t.dialog for t in by_split["val"]])]
    if by_split["test"]:
        rng = np.random.default_rng([cfg.seed, 2])
        cut = [official_test(t, rng, cfg.max_references) for t in by_split["test"]]
        written += [
            write_avsd_data(out / FILES["trial"], [t.dialog for t in by_split["test"]]),
            write_avsd_data(out / FILES["test"], [c[0] for c in cut]),
            write_avsd_data(out / FILES["test_labelled"], [c[1] for c in cut]),
            write_coco_references(out / FILES["multiref"],
                                  {c[1].turn_id(len(c[1].turns) - 1): c[2] for c in cut}),
        ]
    if manifest:
        written.append(write_video_manifest(out, plans))
    return [*written, write_truth(out, [{**plan.to_dict(), "question_types": list(truth.types)}
                                        for plan, truth in zip(plans, truths, strict=True)])]


def synth_dialogs(out: str | Path, cfg: SynthDialogsConfig = SynthDialogsConfig(),
                  workers: int = 1, progress: Callable[[int, int], None] | None = None
                  ) -> SynthDialogsReport:
    """Plan, render and write the corpus into `out` (see the module docstring).

    Videos already rendered by an earlier run with the same config are kept (each mp4
    appears atomically), so an interrupted run resumes; another config in `out` is refused.
    """
    from avtool.config import check_config, config_to_dict
    from avtool.synth.corpus import claim_corpus_dir
    from avtool.synth.dialogs_render import render_all

    t0 = time.perf_counter()
    check_config(cfg, "synth dialogs")
    out = Path(out)
    plans = plan_videos(cfg)
    truths = make_dialogs(plans, cfg)
    claim_corpus_dir(out, config_to_dict(cfg, "synth_dialogs"))
    (out / "videos").mkdir(parents=True, exist_ok=True)
    render_all(plans, out / "videos", cfg, workers=workers, progress=progress)
    files = [*write_corpus_files(out, plans, truths, cfg), out / "config.json"]
    types: dict[str, int] = {}
    for truth in truths:
        for kind in truth.types:
            types[kind] = types.get(kind, 0) + 1
    splits = {s: sum(p.split == s for p in plans) for s in ("train", "val", "test")}
    return SynthDialogsReport(str(out), len(plans), splits, sum(len(t.types) for t in truths),
                              dict(sorted(types.items())), time.perf_counter() - t0,
                              [str(f) for f in files])
