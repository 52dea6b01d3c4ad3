"""Feature-level synthetic LLP corpus: an LLP store without media, for fast tests and tables.

The labels are planned exactly as ``avtool synth avvp`` plans them
(`avtool.synth.avvp.plan_corpus`: audio-only, visual-only and asynchronous audio-visual
events on the 1-s grid) and the five LLP label files are written the same way; instead of
rendering media, the store's three features are drawn directly from the plan:

* every class has a fixed random prototype per stream (unit vectors times `strength`);
* snippet t of ``llp_audio`` = the sum of the prototypes of the classes audible at t plus
  Gaussian noise (std `noise`) plus a per-clip background vector;
* the `frame_rows` rows of second t of ``llp_frame``, and row t of ``llp_motion``: the same
  with the classes visible at t (frame rows get their own noise).

The store follows the LLP store contract (`avtool.tasks.avvp.llp_store`): item id = clip name, meta
``split`` and ``labels``; ``FeatureInfo.extractor`` is ``synthetic_llp`` (there is no media to
re-extract from). Deterministic from the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.formats.llp import LLP_CLASSES, N_SEGMENTS


@dataclass(frozen=True)
class SynthFeaturesConfig:
    clips: int = 60
    seed: int = 0
    dims: tuple[int, int, int] = (32, 48, 24)  # audio, frame, motion
    frame_rows: int = 8  # rows per second of llp_frame (8 like ResNet frames, or 1)
    strength: float = 1.0
    noise: float = 0.3
    val_fraction: float = 0.2
    test_fraction: float = 0.2


def _masks(plan, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    index = {c: i for i, c in enumerate(classes)}
    audio = np.zeros((len(classes), N_SEGMENTS), bool)
    visual = np.zeros_like(audio)
    for ev in plan.events:
        for on, off in ev.audio:
            audio[index[ev.label], on:off] = True
        for on, off in ev.visual:
            visual[index[ev.label], on:off] = True
    return audio, visual


def write_feature_corpus(out_dir: str | Path, cfg: SynthFeaturesConfig = SynthFeaturesConfig(),
                         store_name: str = "features.h5",
                         classes: Sequence[str] = LLP_CLASSES) -> Path:
    """Plan a corpus, write its LLP label files into `out_dir` and its store; -> store path."""
    from avtool.store import FeatureInfo, ItemInfo, StoreWriter
    from avtool.synth.avvp import SynthAvvpConfig, plan_corpus, write_label_files

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plans = plan_corpus(SynthAvvpConfig(clips=cfg.clips, seed=cfg.seed,
                                        val_fraction=cfg.val_fraction,
                                        test_fraction=cfg.test_fraction), classes)
    write_label_files(plans, out)
    rng = np.random.default_rng(cfg.seed + 7919)
    da, df, dm = cfg.dims

    def protos(dim: int) -> np.ndarray:
        x = rng.normal(size=(len(classes), dim))
        return cfg.strength * x / np.linalg.norm(x, axis=1, keepdims=True)

    pa, pf, pm = protos(da), protos(df), protos(dm)
    recipe = {"type": "synthetic_llp", "seed": cfg.seed, "strength": cfg.strength,
              "noise": cfg.noise}
    infos = {
        "llp_audio": FeatureInfo("llp_audio", "synthetic_llp", {**recipe, "stream": "audio"},
                                 1.0, (da,), "float32"),
        "llp_frame": FeatureInfo("llp_frame", "synthetic_llp", {**recipe, "stream": "frame"},
                                 float(cfg.frame_rows), (df,), "float32"),
        "llp_motion": FeatureInfo("llp_motion", "synthetic_llp", {**recipe, "stream": "motion"},
                                  1.0, (dm,), "float32"),
    }
    path = out / store_name
    with StoreWriter(path, infos) as writer:
        for plan in plans:
            if writer.has(plan.filename, "llp_audio"):
                continue
            crng = np.random.default_rng(plan.seed)
            am, vm = _masks(plan, classes)
            bg = [0.3 * crng.normal(size=d) / np.sqrt(d) for d in (da, df, dm)]
            audio = am.T.astype(float) @ pa + bg[0] + cfg.noise * crng.normal(
                size=(N_SEGMENTS, da)) / np.sqrt(da) * 3
            vis = vm.T.astype(float)
            frame = np.repeat(vis @ pf, cfg.frame_rows, axis=0) + bg[1] + cfg.noise * \
                crng.normal(size=(N_SEGMENTS * cfg.frame_rows, df)) / np.sqrt(df) * 3
            motion = vis @ pm + bg[2] + cfg.noise * crng.normal(size=(N_SEGMENTS, dm)) \
                / np.sqrt(dm) * 3
            meta = {"split": plan.split, "labels": list(plan.labels)}
            writer.add(ItemInfo(plan.filename, "synthetic", 10.0, meta),
                       {"llp_audio": audio.astype(np.float32),
                        "llp_frame": frame.astype(np.float32),
                        "llp_motion": motion.astype(np.float32)})
    return path
