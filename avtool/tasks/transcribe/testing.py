"""A tiny audio-visual speech corpus for AVATAR's tests and debug example (seconds to make).

Each clip is an mp4 (64 x 64 frames at 25 fps, AAC audio) where espeak-ng says what one sprite
on screen does: "the red circle bounces". Its files follow ``avtool synth avspeech``'s layout:

* ``clips.csv``: ``id,path,split,text`` (the manifest of ``avtool extract-features``);
* ``words.tsv``: ``id, index, word, start, end`` (espeak's word timings, seconds);
* ``text_<split>``: Kaldi ``text`` references per split;
* ``store.h5``: the features AVATAR trains on, extracted from the mp4s by the real pipeline:
  ``fbank`` (80 bins, 100 fps) and ``frames`` (5 fps, `FRAME_SIZE`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MOTION_WORDS = {"bounce": "bounces", "circle": "circles", "zigzag": "zigzags",
                "pulse": "pulses", "static": "stays still", "vertical": "moves up and down",
                "diagonal": "slides", "spin": "spins"}
VOICES = ("", "m1", "f2", "m3")
SPLITS = ("train", "train", "train", "train", "val", "test")  # cycled over the clips
FRAME_SIZE = 32
FEATURES = ("fbank", f"frames:fps=5,size={FRAME_SIZE}x{FRAME_SIZE}")


@dataclass(frozen=True)
class TinyCorpus:
    root: Path
    manifest: Path  # clips.csv
    words: Path  # words.tsv
    store: Path
    texts: dict[str, str]  # id -> transcript
    splits: dict[str, str]  # id -> split

    def media(self, item: str) -> Path:
        return self.root / "clips" / f"{item}.mp4"

    def references(self, split: str) -> Path:
        return self.root / f"text_{split}"


def sentence(sprite) -> str:
    colour = next(c for c, rgb in _colours().items() if rgb == sprite.color)
    return f"the {colour} {sprite.shape} {MOTION_WORDS[sprite.motion]}"


def _colours():
    from avtool.synth.video import COLORS

    return COLORS


def write_tiny_corpus(root: str | Path, clips: int = 12, seed: int = 0,
                      features: tuple[str, ...] = FEATURES) -> TinyCorpus:
    """Render `clips` clips into `root` and extract their store (module docstring)."""
    from avtool.features.pipeline import extract_to_store, read_manifest
    from avtool.media.video import write_video
    from avtool.synth.speech import synthesize
    from avtool.synth.video import draw_sprite, make_background, sprites

    root = Path(root)
    (root / "clips").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = sprites.names()
    texts, splits, rows, words = {}, {}, [], []
    for n in range(clips):
        item = f"clip{n:03d}"
        sprite = sprites.get(names[int(rng.integers(len(names)))])
        text = sentence(sprite)
        speech = synthesize(text, voice="en", variant=VOICES[n % len(VOICES)],
                            rate=int(rng.integers(150, 190)))
        lead = int(0.2 * speech.sample_rate)
        audio = np.concatenate([np.zeros(lead, np.float32), speech.audio,
                                np.zeros(lead, np.float32)])
        seconds = len(audio) / speech.sample_rate
        background = make_background(64, 64, rng)
        phase = float(rng.random())
        frames = []
        for k in range(int(np.ceil(seconds * 25))):
            frame = background.copy()
            draw_sprite(frame, sprite, k / 25, phase, size=10)
            frames.append(frame)
        write_video(root / "clips" / f"{item}.mp4", frames, 25, audio, speech.sample_rate)
        split = SPLITS[n % len(SPLITS)]
        texts[item], splits[item] = text, split
        rows.append({"id": item, "path": f"clips/{item}.mp4", "split": split, "text": text})
        words += [(item, i, w, on + 0.2, off + 0.2) for i, (w, on, off) in
                  enumerate(speech.words)]
    manifest = root / "clips.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, ["id", "path", "split", "text"])
        writer.writeheader()
        writer.writerows(rows)
    words_tsv = root / "words.tsv"
    with words_tsv.open("w") as fh:
        fh.write("id\tindex\tword\tstart\tend\n")
        fh.writelines(f"{i}\t{k}\t{w}\t{a:.3f}\t{b:.3f}\n" for i, k, w, a, b in words)
    for split in sorted(set(splits.values())):
        (root / f"text_{split}").write_text("".join(
            f"{i} {texts[i]}\n" for i in texts if splits[i] == split))
    store = root / "store.h5"
    extract_to_store(read_manifest(manifest), store, list(features), strict=True)
    return TinyCorpus(root, manifest, words_tsv, store, texts, splits)
