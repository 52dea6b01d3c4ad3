"""A feature-level caption corpus: the plans and annotation files of ``avtool synth captions``
with a store drawn from the same plans instead of rendered media (seconds, for tests and the
debug example).

Streams (extractor ``synthetic_captions``, `rows_per_second` rows a second): ``vis``, the
scene's colour plus shape prototypes; ``aud``, the playing sound's or spoken topic's
prototype; each plus Gaussian noise. A visual caption is then findable from ``vis`` only, a
sound or speech caption from ``aud`` only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DIM = 16


def write_feature_corpus(out_dir: str | Path, videos: int = 40, seed: int = 0,
                         rows_per_second: int = 4, noise: float = 0.3,
                         language: str = "en") -> dict[str, Path]:
    """Annotation files and ``features.h5`` in `out_dir`: {"store", "train", "val", "test",
    "malta_test", "durations", "transcripts"}."""
    from avtool.store import FeatureInfo, ItemInfo, StoreWriter
    from avtool.synth import captions_text as text
    from avtool.synth.captions import SynthCaptionsConfig, plan_videos, write_annotations
    from avtool.synth.video import COLORS, SHAPES

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = SynthCaptionsConfig(videos=videos, seed=seed, language=language,
                              val_fraction=0.15, test_fraction=0.25)
    plans = plan_videos(cfg)
    write_annotations(out, plans)
    rng = np.random.default_rng([seed, 7])
    proto = {n: v / np.linalg.norm(v) for n, v in zip(
        [*COLORS, *SHAPES, *text.SOUND_WORDS["en"], *text.TOPICS["en"]],
        rng.normal(size=(len(COLORS) + len(SHAPES) + len(text.SOUND_WORDS["en"])
                         + len(text.TOPICS["en"]), DIM)), strict=True)}
    infos = {n: FeatureInfo(n, "synthetic_captions", {"seed": seed, "noise": noise,
                                                      "stream": n},
                            float(rows_per_second), (DIM,), "float32") for n in ("vis", "aud")}
    path = out / "features.h5"
    with StoreWriter(path, infos) as writer:
        for plan in plans:
            if writer.has(plan.video_id, "aud"):
                continue
            n = plan.seconds * rows_per_second
            t = (np.arange(n) + 0.5) / rows_per_second
            vis, aud = np.zeros((n, DIM)), np.zeros((n, DIM))
            for s in plan.scenes:
                on = (t >= s.start) & (t < s.end)
                vis[on] += proto[s.color] + proto[s.shape]
            for e in plan.events:
                aud[(t >= e.start) & (t < e.end)] += 2 * proto[e.name]
            vrng = np.random.default_rng([plan.seed, 7])
            arrays = {k: (a + noise * vrng.normal(size=a.shape)).astype(np.float32)
                      for k, a in (("vis", vis), ("aud", aud))}
            writer.add(ItemInfo(plan.video_id, "synthetic", float(plan.seconds),
                                {"split": plan.split}), arrays)
    return {"store": path, "train": out / "charades_sta_train.txt",
            "val": out / "charades_sta_val.txt", "test": out / "charades_sta_test.txt",
            "malta_test": out / "MALTA" / "TFT_av" / "test.json",
            "durations": out / "durations.tsv", "transcripts": out / "transcripts.jsonl"}
