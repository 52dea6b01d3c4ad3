"""Synthetic audio-visual speech corpus: how long it takes, and whether the frames tell.

1. Wall time of `synth_avspeech` for --clips clips with 2 workers against 1 worker, in the
   same run (target: 2 workers >= 1.6x faster).
2. A frames-only probe: can the colour, shape and motion words of on-screen clips be read
   off the frames? Colour = the palette colour nearest the bright pixels' median; shape and
   motion = a random forest on sprite-mask features (Hu moments, convexity, fill; centroid
   trajectory, area changes), trained on the train split and scored on val + test. Off-screen
   clips are scored too: there the frames should not give the words (chance or below).

    .venv/bin/python tests/benchmarks/bench_avspeech.py [--clips 400]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

BRIGHT = 165  # sprite colours have a channel >= 190; backgrounds stay below about 145


def frame_features(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median RGB of bright pixels, shape features, motion features) of one clip."""
    import cv2

    from avtool.media.video import read_frames

    frames = np.stack([f for _, f in read_frames(path)]).astype(np.float32)
    masks = (frames.max(-1) > BRIGHT).astype(np.uint8)
    bright = frames[masks.astype(bool)]
    rgb = np.median(bright, 0) if len(bright) else np.zeros(3)
    shapes, track = [], []
    for m in masks:
        contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        if not contours:
            track.append((np.nan, np.nan, 0.0))
            continue
        c = max(contours, key=cv2.contourArea)
        area = cv2.contourArea(c) + 1e-6
        (x, y), r = cv2.minEnclosingCircle(c)
        hu = cv2.HuMoments(cv2.moments(m)).ravel()
        shapes.append(np.r_[-np.sign(hu) * np.log10(np.abs(hu) + 1e-12),
                            area / (cv2.contourArea(cv2.convexHull(c)) + 1e-6),
                            area / (np.pi * r * r), m.sum() / area])
        track.append((x, y, float(m.sum())))
    shape = np.median(np.array(shapes), 0) if shapes else np.zeros(10)
    if not shapes:  # an empty scene: nothing moves
        return rgb, shape, np.zeros(11)
    x, y, a = np.array(track, float).T
    dx, dy = np.diff(x), np.diff(y)
    moving = np.nanstd(x) > 0 and np.nanstd(y) > 0
    motion = np.r_[np.nanstd(x), np.nanstd(y), np.nanmean(np.abs(dx)), np.nanmean(np.abs(dy)),
                   np.nanstd(a) / (np.nanmean(a) + 1e-6),
                   np.nanmean(np.abs(np.diff(np.sign(dx)))),
                   np.nanmean(np.abs(np.diff(np.sign(dy)))),
                   np.corrcoef(np.nan_to_num(x), np.nan_to_num(y))[0, 1] if moving else 0.0,
                   np.nanmax(np.abs(dx)), np.nanmax(np.abs(dy)),
                   np.nanmean(np.abs(np.diff(a))) / (np.nanmean(a) + 1e-6)]
    return rgb, shape, np.nan_to_num(motion)


def frames_probe(root: Path) -> dict[str, dict[str, float]]:
    """Accuracy of reading each content word off the frames, on/off screen (val + test)."""
    from sklearn.ensemble import RandomForestClassifier

    from avtool.synth.avspeech_truth import read_word_timings
    from avtool.synth.video import COLORS

    words = read_word_timings(root / "words.tsv")
    with open(root / "clips.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    clips = []
    for row in rows:
        said = {w.kind: w.word for w in words[row["id"]]}
        clips.append((row["split"], row["on_screen"] == "1", said,
                      *frame_features(root / row["path"])))
    palette = list(COLORS)
    train = [c for c in clips if c[0] == "train" and c[1]]
    scores: dict[str, dict[str, float]] = {}
    forests = {kind: RandomForestClassifier(300, random_state=0).fit(
        [c[i] for c in train], [c[2][kind] for c in train]) for kind, i in (("shape", 4),
                                                                           ("motion", 5))}
    for where, on in (("on screen", True), ("off screen", False)):
        held = [c for c in clips if c[0] != "train" and c[1] == on]
        if not held:
            continue
        colour = [palette[int(np.argmin([np.abs(c[3] - np.array(COLORS[p])).sum()
                                         for p in palette]))] for c in held]
        scores[where] = {"clips": len(held),
                         "colour": float(np.mean([a == c[2]["colour"]
                                                  for a, c in zip(colour, held, strict=True)]))}
        for kind, i in (("shape", 4), ("motion", 5)):
            guess = forests[kind].predict([c[i] for c in held])
            scores[where][kind] = float(np.mean([g == c[2][kind]
                                                 for g, c in zip(guess, held, strict=True)]))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=400)
    args = parser.parse_args()
    from avtool.synth.avspeech import SynthAvspeechConfig, synth_avspeech

    cfg = SynthAvspeechConfig(clips=args.clips, seed=0)
    work = Path(tempfile.mkdtemp(prefix="avtool-bench-avspeech-"))
    try:
        seconds = {}
        for workers in (2, 1):
            t0 = time.perf_counter()
            report = synth_avspeech(work / f"w{workers}", cfg, workers=workers)
            seconds[workers] = time.perf_counter() - t0
        print(f"synth avspeech --clips {args.clips} ({report.seconds:.0f} s of clips): "
              f"1 worker {seconds[1]:.1f} s, 2 workers {seconds[2]:.1f} s "
              f"(x{seconds[1] / seconds[2]:.2f}, target >= 1.6)")
        for where, s in frames_probe(work / "w2").items():
            print(f"frames-only probe, {where} val+test clips ({s['clips']}): colour "
                  f"{s['colour']:.3f}, shape {s['shape']:.3f}, motion {s['motion']:.3f} "
                  "(chance 0.125)")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
