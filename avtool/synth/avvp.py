"""A synthetic LLP-like corpus: 10-s mp4 clips with sound and known per-modality event spans.

Every clip is a real video (H.264 + AAC via `avtool.media.video.write_video`) with one to three
events of distinct LLP classes (`avtool.formats.llp.LLP_CLASSES`). Each event is audible, visible
or both, with its own audio and visual spans in whole seconds, so audio-only ("off-screen"),
visual-only ("silent object") and asynchronous audio-visual events all occur:

* sound: the class's recipe from `avtool.synth.sounds` (speech-like classes through
  espeak-ng, see `avtool.synth.speech`) on each audio span, 20-ms raised-cosine ramps,
  over background noise near -35 dBFS;
* sight: the class's sprite from `avtool.synth.video` (its own shape, colour and motion
  pattern), drawn in frame k exactly when second ``k // fps`` lies in a visual span, over a
  per-clip background.

Label sampling (all per clip, from the clip's own random stream, so the corpus is a pure
function of the seed and the config, whatever the worker count):

* number of events 1 / 2 / 3 with `p_events`; distinct classes dealt from shuffled decks of
  all 25, so every class occurs about equally often;
* modality of each event: both / audio only / visual only with `p_modality`;
* runs per modality: 1, 2 or 3 (audio, `p_audio_runs`) or 1 or 2 (visual, `p_visual_runs`);
  a run covers all 10 s with `p_full_audio` / `p_full_visual`; runs of one class and modality
  never touch (gap >= 1 s), so the mask-derived LLP events equal the sampled ones;
* for "both" events the visual runs equal the audio runs with `p_sync`, otherwise they are
  drawn independently (asynchronous events).

Clip names look like LLP's: an 11-character YouTube-like id (letters, digits, ``-``, ``_``;
never starting with ``-``) plus ``_<start>_<start+10>``, unique per corpus.

Files written under the output folder (formats of `avtool.formats.llp`)::

    clips/<clip>.mp4        the clips (`width` x `height`, `fps`, mono AAC at `sample_rate`)
    clips.csv               manifest for extract-features: id,path,split,labels
    AVVP_train.csv          weak labels of the train clips
    AVVP_val_pd.csv         weak labels of the val clips
    AVVP_test_pd.csv        weak labels of the test clips
    AVVP_eval_audio.csv     dense audio events of the val + test clips
    AVVP_eval_visual.csv    dense visual events of the val + test clips
    truth.jsonl             every clip's full ground truth (train clips included)
    config.json             the config (a rerun with the same config resumes; another errs)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError
from avtool.formats.llp import LLP_CLASSES, N_SEGMENTS, DenseEvent, WeakLabel
from avtool.synth.corpus import assign_splits, youtube_like_id

Run = tuple[int, int]  # (onset s, offset s), offset exclusive


@dataclass(frozen=True)
class SynthAvvpConfig:
    clips: int = 200
    seed: int = 0
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    width: int = 160
    height: int = 120
    fps: int = 8
    sample_rate: int = 16_000
    p_events: tuple[float, ...] = (0.4, 0.45, 0.15)
    p_modality: tuple[float, float, float] = (0.6, 0.28, 0.12)  # both, audio only, visual only
    p_audio_runs: tuple[float, ...] = (0.75, 0.2, 0.05)
    p_visual_runs: tuple[float, ...] = (0.85, 0.15)
    p_full_audio: float = 0.25
    p_full_visual: float = 0.4
    p_sync: float = 0.5
    noise_dbfs: float = -35.0


@dataclass(frozen=True)
class EventPlan:
    """One class in one clip: its audio and visual runs (either may be empty, not both)."""

    label: str
    audio: tuple[Run, ...]
    visual: tuple[Run, ...]

    @property
    def kind(self) -> str:
        if self.audio and self.visual:
            return "audio-visual"
        return "audio" if self.audio else "visual"


@dataclass(frozen=True)
class ClipPlan:
    """Everything needed to render one clip and write its labels."""

    filename: str
    split: str
    seed: int
    events: tuple[EventPlan, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """Weak labels: the clip's classes in LLP index order."""
        return tuple(sorted((e.label for e in self.events), key=LLP_CLASSES.index))

    def to_dict(self) -> dict:
        return {"filename": self.filename, "split": self.split, "seed": self.seed,
                "labels": list(self.labels),
                "events": [{"label": e.label, "kind": e.kind,
                            "audio": [list(r) for r in e.audio],
                            "visual": [list(r) for r in e.visual]} for e in self.events]}


@dataclass
class SynthAvvpReport:
    out: str
    clips: int
    splits: dict[str, int]
    events: dict[str, int]  # by kind: audio-visual / audio / visual
    asynchronous: int  # audio-visual events whose audio and visual runs differ
    wall_seconds: float = 0.0
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- planning


def _choice(rng: np.random.Generator, probs: Sequence[float]) -> int:
    p = np.asarray(probs, float)
    return int(rng.choice(len(p), p=p / p.sum()))


def sample_runs(rng: np.random.Generator, p_runs: Sequence[float], p_full: float,
                segments: int = N_SEGMENTS) -> tuple[Run, ...]:
    """Disjoint, non-touching runs of whole seconds in [0, segments)."""
    if rng.random() < p_full:
        return ((0, segments),)
    n = 1 + _choice(rng, p_runs)
    while True:
        lengths = rng.integers(1, segments, size=n)  # 1..segments-1 s each
        free = segments - int(lengths.sum()) - (n - 1)
        if free >= 0:
            break
        n = max(1, n - 1) if rng.random() < 0.5 else n
    # spread the free seconds over the n + 1 gaps (before, between, after)
    gaps = rng.multinomial(free, np.ones(n + 1) / (n + 1))
    runs, t = [], int(gaps[0])
    for i, length in enumerate(lengths):
        runs.append((t, t + int(length)))
        t += int(length) + 1 + int(gaps[i + 1])
    return tuple(runs)


def _clip_ids(rng: np.random.Generator, n: int) -> list[str]:
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        vid = youtube_like_id(rng)
        if vid in seen:
            continue
        seen.add(vid)
        start = 10 * int(rng.integers(0, 30))
        ids.append(f"{vid}_{start}_{start + 10}")
    return ids


def _deal_classes(rng: np.random.Generator, sizes: Sequence[int], n_classes: int
                  ) -> list[list[int]]:
    """Distinct classes for each clip, dealt from shuffled decks of all classes, so every
    class occurs about equally often (counts differ by at most a few)."""
    deck: list[int] = []
    hands = []
    for k in sizes:
        hand: list[int] = []
        while len(hand) < k:
            if not deck:
                deck = [int(c) for c in rng.permutation(n_classes)]
            c = deck.pop()
            if c in hand:
                deck.insert(0, c)  # deal it to a later clip
                continue
            hand.append(c)
        hands.append(sorted(hand))
    return hands


def plan_events(rng: np.random.Generator, cfg: SynthAvvpConfig, labels: Sequence[str]
                ) -> tuple[EventPlan, ...]:
    """Modality and runs of each of a clip's classes."""
    events = []
    for label in labels:
        mode = _choice(rng, cfg.p_modality)  # 0 both, 1 audio only, 2 visual only
        audio = sample_runs(rng, cfg.p_audio_runs, cfg.p_full_audio) if mode in (0, 1) else ()
        if mode == 2 or (mode == 0 and rng.random() >= cfg.p_sync):
            visual = sample_runs(rng, cfg.p_visual_runs, cfg.p_full_visual)
        else:
            visual = audio if mode == 0 else ()
        events.append(EventPlan(label, audio, visual))
    return tuple(events)


def plan_corpus(cfg: SynthAvvpConfig, classes: Sequence[str] = LLP_CLASSES) -> list[ClipPlan]:
    """The labels and per-clip seeds of the whole corpus (no rendering)."""
    if cfg.clips < 1:
        raise ConfigError("clips must be >= 1")
    root = np.random.SeedSequence(cfg.seed)
    corpus_rng = np.random.default_rng(root.spawn(1)[0])
    names = _clip_ids(corpus_rng, cfg.clips)
    splits = assign_splits(corpus_rng, cfg.clips, cfg.val_fraction, cfg.test_fraction)
    sizes = [min(1 + _choice(corpus_rng, cfg.p_events), len(classes))
             for _ in range(cfg.clips)]
    hands = _deal_classes(corpus_rng, sizes, len(classes))
    plans = []
    for i, child in enumerate(root.spawn(cfg.clips + 1)[1:]):
        rng = np.random.default_rng(child)
        clip_seed = int(child.generate_state(1)[0])
        events = plan_events(rng, cfg, [classes[c] for c in hands[i]])
        plans.append(ClipPlan(names[i], splits[i], clip_seed, events))
    return plans


def dense_rows(plans: Sequence[ClipPlan], modality: str) -> list[DenseEvent]:
    """Dense event rows ('audio' or 'visual') of the clips, in clip then class order."""
    rows = []
    for plan in plans:
        for ev in sorted(plan.events, key=lambda e: LLP_CLASSES.index(e.label)):
            for on, off in getattr(ev, modality):
                rows.append(DenseEvent(plan.filename, float(on), float(off), ev.label))
    return rows


def write_label_files(plans: Sequence[ClipPlan], out: str | Path, media_dir: str = "clips"
                      ) -> list[Path]:
    """Write the five LLP files, clips.csv and truth.jsonl for `plans` into `out`."""
    import csv

    from avtool.formats.llp import write_llp_events, write_llp_weak
    from avtool.io import atomic_write

    out = Path(out)
    written = []
    for split, name in (("train", "AVVP_train.csv"), ("val", "AVVP_val_pd.csv"),
                        ("test", "AVVP_test_pd.csv")):
        write_llp_weak(out / name, [WeakLabel(p.filename, p.labels) for p in plans
                                    if p.split == split])
        written.append(out / name)
    scored = [p for p in plans if p.split in ("val", "test")]
    for modality in ("audio", "visual"):
        path = out / f"AVVP_eval_{modality}.csv"
        write_llp_events(path, dense_rows(scored, modality))
        written.append(path)
    with atomic_write(out / "clips.csv", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "path", "split", "labels"])
        for p in plans:
            writer.writerow([p.filename, f"{media_dir}/{p.filename}.mp4", p.split,
                             ",".join(p.labels)])
    with atomic_write(out / "truth.jsonl") as fh:
        for p in plans:
            fh.write(json.dumps(p.to_dict()) + "\n")
    return [*written, out / "clips.csv", out / "truth.jsonl", out / "config.json"]


# --------------------------------------------------------------------------- rendering


def synth_avvp(
    out: str | Path,
    cfg: SynthAvvpConfig = SynthAvvpConfig(),
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> SynthAvvpReport:
    """Plan, render and label a synthetic LLP-like corpus in `out` (see the module doc).

    Clips already present (a complete mp4 from an earlier run with the same config) are not
    rendered again; each mp4 appears atomically, so an interrupted run can be resumed.
    """
    import time

    from avtool.config import config_to_dict
    from avtool.synth.avvp_render import render_all
    from avtool.synth.corpus import claim_corpus_dir

    t0 = time.perf_counter()
    out = Path(out)
    plans = plan_corpus(cfg)
    claim_corpus_dir(out, config_to_dict(cfg, "synth_avvp"))
    (out / "clips").mkdir(parents=True, exist_ok=True)
    render_all(plans, out / "clips", cfg, workers=workers, progress=progress)
    files = write_label_files(plans, out)
    kinds = {"audio-visual": 0, "audio": 0, "visual": 0}
    asynchronous = 0
    for p in plans:
        for e in p.events:
            kinds[e.kind] += 1
            asynchronous += e.kind == "audio-visual" and e.audio != e.visual
    splits = {s: sum(p.split == s for p in plans) for s in ("train", "val", "test")}
    return SynthAvvpReport(str(out), len(plans), splits, kinds, asynchronous,
                           time.perf_counter() - t0, [str(f) for f in files])
