"""A feature-level synthetic AVSD corpus: the dialog files of ``avtool synth dialogs`` with a
store drawn from the same plans instead of rendered media (seconds, for tests and debugging).

The dialogs and their files are exactly those of `avtool.synth.dialogs` (same plans, same
questions); the store's three streams, named as the released features (``i3d_rgb``,
``i3d_flow``, ``vggish``, extractor ``synthetic_dialog``), are sums of fixed random
prototypes plus Gaussian noise:

* ``i3d_rgb``, `rows_per_second` rows a second: for each visible object, its colour, shape,
  side and size prototypes (size at a third of the strength: only weakly visible, as in the
  rendered videos);
* ``i3d_flow``, one row a second: each visible object's motion prototype;
* ``vggish``, one row a second: the sound's prototype during its span, a voice prototype
  when someone speaks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avtool.synth import dialogs_text as text

DIMS = {"i3d_rgb": 24, "i3d_flow": 12, "vggish": 12}


def _prototypes(rng: np.random.Generator, names, dim: int) -> dict[str, np.ndarray]:
    x = rng.normal(size=(len(names), dim))
    return {n: v / np.linalg.norm(v) for n, v in zip(names, x, strict=True)}


def write_feature_corpus(out_dir: str | Path, videos: int = 40, seed: int = 0,
                         rows_per_second: int = 2, noise: float = 0.3) -> Path:
    """Dialog files (as `synth_dialogs` writes them, without videos.csv) and
    ``features.h5`` in `out_dir`; -> the store's path."""
    from avtool.store import FeatureInfo, ItemInfo, StoreWriter
    from avtool.synth.dialogs import (
        SynthDialogsConfig,
        make_dialogs,
        plan_videos,
        write_corpus_files,
    )
    from avtool.synth.dialogs_render import sound_span

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = SynthDialogsConfig(videos=videos, seed=seed)
    plans = plan_videos(cfg)
    write_corpus_files(out, plans, make_dialogs(plans, cfg), cfg, manifest=False)
    rng = np.random.default_rng([seed, 3])
    rgb = {k: _prototypes(rng, names, DIMS["i3d_rgb"]) for k, names in
           (("color", text.COLORS), ("shape", text.SHAPES), ("side", text.SIDES),
            ("size", text.SIZES))}
    flow = _prototypes(rng, text.MOTIONS, DIMS["i3d_flow"])
    audio = _prototypes(rng, [*sorted(text.SOUNDS), "voice"], DIMS["vggish"])
    recipe = {"seed": seed, "noise": noise}
    infos = {name: FeatureInfo(name, "synthetic_dialog", {**recipe, "stream": name},
                               float(rows_per_second if name == "i3d_rgb" else 1), (dim,),
                               "float32") for name, dim in DIMS.items()}
    path = out / "features.h5"
    seconds = cfg.seconds
    with StoreWriter(path, infos) as writer:
        for plan in plans:
            if writer.has(plan.video_id, "vggish"):
                continue
            vrng = np.random.default_rng([plan.seed, 3])
            frames = np.zeros((seconds * rows_per_second, DIMS["i3d_rgb"]))
            motion = np.zeros((seconds, DIMS["i3d_flow"]))
            for obj in plan.objects:
                look = (rgb["color"][obj.color] + rgb["shape"][obj.shape]
                        + rgb["side"][obj.side] + rgb["size"][obj.size] / 3)
                frames[obj.appear * rows_per_second:] += look
                motion[obj.appear:] += flow[obj.motion]
            sound = np.zeros((seconds, DIMS["vggish"]))
            if plan.sound:
                on, off = sound_span(plan, seconds)
                sound[int(on):int(np.ceil(off))] += audio[plan.sound]
            if plan.speech:
                sound[int(vrng.integers(0, seconds))] += audio["voice"]
            arrays = {n: (a + noise * vrng.normal(size=a.shape)).astype(np.float32)
                      for n, a in (("i3d_rgb", frames), ("i3d_flow", motion),
                                   ("vggish", sound))}
            writer.add(ItemInfo(plan.video_id, "synthetic", float(seconds),
                                {"split": plan.split}), arrays)
    return path
