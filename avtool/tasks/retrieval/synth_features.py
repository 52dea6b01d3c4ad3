"""A feature-level retrieval corpus for tests and the debug example: no media, seconds to make.

The plans of `avtool.synth.retrieval` (colour, shape, motion, sound, speech topic, face) are
turned straight into expert rows: ``frame`` (timed, 2 rows/s: one-hot colour and shape plus
noise), ``motion`` (timed, 1 row/s: one-hot motion), ``audio`` (timed, one-hot sound, absent
without a sound), ``speech`` (untimed tokens: one-hot topic, absent without speech) and
``face`` (untimed, absent without a face). The captions are the plans' own, in an
``MSRVTT_data.json``; the test videos' JSFusion CSV is the queries file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class FeatureCorpus:
    store: Path
    captions: Path
    test_queries: Path
    test_videos: Path


# (store feature name, extractor recorded, dim, frame rate); face_dlib and speech_minilm mark
# their rows untimed.
FEATURES = (("audio", "llp_audio", 16, 1.0), ("face", "face_dlib", 8, 1.0),
            ("frame", "llp_frame", 24, 2.0), ("motion", "llp_motion", 12, 1.0),
            ("speech", "speech_minilm", 16, 1.0))


def _rows(plan, seconds: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    from avtool.synth import retrieval_text as t

    def hot(n: int, k: int) -> np.ndarray:
        v = np.zeros(n, np.float32)
        v[k % n] = 1.0
        return v

    a = plan.objects[0]
    frame = np.concatenate([hot(8, t.COLORS.index(a.color)), hot(8, t.SHAPES.index(a.shape)),
                            np.zeros(8, np.float32)])
    rows = {"frame": np.tile(frame, (2 * seconds, 1)),
            "motion": np.tile(hot(12, t.MOTIONS.index(a.motion)), (seconds, 1))}
    sounds = list(t.SOUND_WORDS)
    rows["audio"] = (np.tile(hot(16, sounds.index(plan.sound)), (seconds, 1)) if plan.sound
                     else np.zeros((0, 16), np.float32))
    rows["speech"] = (np.tile(hot(16, t.TOPICS.index(plan.topic)), (3, 1)) if plan.topic
                      else np.zeros((0, 16), np.float32))
    rows["face"] = (np.tile(hot(8, plan.face), (2, 1)) if plan.face is not None
                    else np.zeros((0, 8), np.float32))
    return {k: (v + rng.normal(0, 0.05, v.shape)).astype(np.float32) for k, v in rows.items()}


def write_feature_corpus(workdir: str | Path, videos: int = 24, seed: int = 0,
                         seconds: int = 4) -> FeatureCorpus:
    from avtool.store import FeatureInfo, ItemInfo, StoreWriter
    from avtool.synth.retrieval import SynthRetrievalConfig, plan_videos, write_corpus_files

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = SynthRetrievalConfig(videos=videos, seed=seed, seconds=seconds, val_fraction=0.2,
                               test_fraction=0.25)
    plans = plan_videos(cfg)
    write_corpus_files(workdir, plans, cfg)
    infos = {n: FeatureInfo(n, ex, {"synthetic": True}, rate, (dim,), "float32")
             for n, ex, dim, rate in FEATURES}
    store = workdir / "experts.h5"
    rng = np.random.default_rng(seed)
    with StoreWriter(store, infos) as writer:
        for p in plans:
            writer.add(ItemInfo(p.video_id, "", float(seconds), {"split": p.split}),
                       _rows(p, seconds, rng))
    test_videos = workdir / "test_videos.txt"
    test_videos.write_text("".join(f"{p.video_id}\n" for p in plans if p.split == "test"))
    return FeatureCorpus(store, workdir / "MSRVTT_data.json",
                         workdir / "MSRVTT_JSFUSION_test.csv", test_videos)
