"""`avtool synth media`: a handful of small example files with a JSON description of each.

What is written (all deterministic from the seed)::

    speech_en.wav     English espeak-ng voice, with word timings
    speech_mr.wav     Marathi espeak-ng voice, with word timings
    events.wav        three sound events on a quiet background, with class and time span
    sprites.mp4       two moving sprites (video) with their own sound events (audio)
    face_speech.mp4   a real face (insightface's group photo) moving while English is spoken
    media.json        what is in each file: durations, rates, texts, words, events, spans
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import ConfigError

SR = 16_000
FPS = 25
SIZE = (160, 120)  # width, height


def make_example_media(out_dir: str | Path, seed: int = 0) -> dict[str, Any]:
    """Write the example files into `out_dir` and return the description (also media.json)."""
    from avtool.io import atomic_write
    from avtool.media.audio import write_wav

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a folder (give a folder to write into)")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    files: list[dict[str, Any]] = []

    for name, text, voice, variant in (
        ("speech_en.wav", "the quick brown fox jumps over the lazy dog", "en", "m3"),
        ("speech_mr.wav", "नमस्कार, आज हवा छान आहे", "mr", "f2"),
    ):
        speech = _speak(text, voice, variant, rng)
        write_wav(out / name, speech.audio, SR)
        files.append({"path": name, "kind": "speech", "duration": round(speech.duration, 3),
                      "sample_rate": SR, "text": text, "voice": speech.voice,
                      "words": [{"word": w, "onset": a, "offset": b} for w, a, b in speech.words]})

    audio, events = _event_track(6.0, ["siren", "drum", "bird"], rng)
    write_wav(out / "events.wav", audio, SR)
    files.append({"path": "events.wav", "kind": "sound-events", "duration": 6.0,
                  "sample_rate": SR, "events": events})

    files.append(_sprites_video(out / "sprites.mp4", rng))
    files.append(_face_video(out / "face_speech.mp4", rng))

    description = {"seed": seed, "files": files}
    with atomic_write(out / "media.json") as fh:
        json.dump(description, fh, indent=2, ensure_ascii=False)
    return description


def _speak(text: str, voice: str, variant: str, rng: np.random.Generator):
    from avtool.synth.speech import synthesize

    return synthesize(text, voice=voice, variant=variant, pitch=int(rng.integers(35, 65)),
                      rate=int(rng.integers(150, 190)), sample_rate=SR)


def _event_track(duration: float, classes: list[str], rng: np.random.Generator
                 ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Non-overlapping events of the given classes on a quiet noise floor."""
    from avtool.synth.sounds import render_sound

    audio = 0.003 * rng.normal(size=int(duration * SR)).astype(np.float32)
    slot = duration / len(classes)
    events = []
    for i, name in enumerate(classes):
        length = float(rng.uniform(0.5, 0.8)) * slot
        onset = round(i * slot + float(rng.uniform(0, slot - length)), 2)
        offset = round(onset + length, 2)
        sound = render_sound(name, offset - onset, SR, rng)
        ramp = np.minimum(1, np.minimum(np.arange(len(sound)), np.arange(len(sound))[::-1])
                          / (0.02 * SR))
        start = int(onset * SR)
        audio[start: start + len(sound)] += (sound * ramp)[: len(audio) - start]
        events.append({"class": name, "onset": onset, "offset": offset})
    return np.clip(audio, -1, 1), events


def _sprites_video(path: Path, rng: np.random.Generator) -> dict[str, Any]:
    from avtool.media.video import write_video
    from avtool.synth.video import draw_sprite, make_background, sprites

    duration = 4.0
    chosen = [sprites.get(n) for n in rng.choice(sprites.names(), 2, replace=False)]
    spans = [(0.0, 2.6), (1.4, 4.0)]
    phases = rng.uniform(0, 1, 2)
    background = make_background(SIZE[1], SIZE[0], rng)
    audio, events = _event_track(duration, ["chirp-up", "engine"], rng)

    def frames():
        for k in range(int(duration * FPS)):
            t = k / FPS
            frame = background.copy()
            for sprite, (a, b), phase in zip(chosen, spans, phases, strict=True):
                if a <= t < b:
                    draw_sprite(frame, sprite, t, phase)
            yield frame

    write_video(path, frames(), FPS, audio=audio, sample_rate=SR)
    return {"path": path.name, "kind": "sprites", "duration": duration, "fps": FPS,
            "size": list(SIZE), "sample_rate": SR,
            "sprites": [{"class": s.name, "onset": a, "offset": b}
                        for s, (a, b) in zip(chosen, spans, strict=True)],
            "events": events}


def _face_video(path: Path, rng: np.random.Generator) -> dict[str, Any]:
    from avtool.media.video import write_video
    from avtool.synth.video import face_crops, make_background, paste_face

    face_id = int(rng.integers(0, len(face_crops())))
    face = face_crops()[face_id]
    speech = _speak("hello, my face moves while I am talking", "en", "f2", rng)
    duration = max(3.0, round(speech.duration + 0.5, 2))
    audio = np.zeros(int(duration * SR), np.float32)
    audio[int(0.25 * SR): int(0.25 * SR) + len(speech.audio)] = speech.audio[
        : len(audio) - int(0.25 * SR)]
    background = make_background(SIZE[1], SIZE[0], rng)

    def frames():
        for k in range(int(duration * FPS)):
            t = k / FPS
            frame = background.copy()
            paste_face(frame, face, SIZE[0] * (0.3 + 0.4 * t / duration),
                       SIZE[1] * (0.5 + 0.1 * np.sin(2 * np.pi * t / 2)), int(SIZE[1] * 0.6))
            yield frame

    write_video(path, frames(), FPS, audio=audio, sample_rate=SR)
    return {"path": path.name, "kind": "face-speech", "duration": duration, "fps": FPS,
            "size": list(SIZE), "sample_rate": SR, "face_id": face_id,
            "face_span": [0.0, duration], "text": "hello, my face moves while I am talking",
            "words": [{"word": w, "onset": round(a + 0.25, 3), "offset": round(b + 0.25, 3)}
                      for w, a, b in speech.words]}
