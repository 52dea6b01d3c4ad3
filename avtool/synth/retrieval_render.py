"""Rendering the videos planned by `avtool.synth.retrieval`: sprites, a face, a sound, a voice.

Frames: a per-video background (`avtool.synth.video.make_background`) with mild per-frame
noise, each sprite drawn in every frame, and the planned face (`face_crops`) pasted at 60% of
the frame height in the bottom-right corner, large enough for dlib's HOG detector; a planned sign word (`text_share`) is drawn last, white
capitals outlined in black across the top of the frame (`draw_sign`), for the OCR expert. Audio: a
noise bed near -40 dBFS, the planned library sound over the whole video and the planned voice
(espeak-ng, a man's or a woman's variant) at a random moment, both with fades. Each video draws
from its own random streams, so its bytes depend on its plan only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from avtool.synth.corpus import render_videos
from avtool.synth.mixing import add_faded, at_level, limit_peak, noise_bed


def render_audio(plan, cfg, rng: np.random.Generator) -> np.ndarray:
    """The video's mono waveform, `cfg.seconds` long at `cfg.sample_rate`."""
    from avtool.synth.sounds import render_sound
    from avtool.synth.speech import synthesize

    sr = cfg.sample_rate
    n = cfg.seconds * sr
    mix = noise_bed(n, rng, -40)
    if plan.sound:
        wav = render_sound(plan.sound, float(cfg.seconds), sr, rng, snr_db=(25.0, 40.0),
                           level_db=(-24.0, -18.0))[:n]
        add_faded(mix, wav, 0, sr)
    if plan.speech:
        variant = f"{plan.speaker}{int(rng.integers(1, 4))}"
        voice = synthesize(plan.speech, voice="en", variant=variant,
                           pitch=int(rng.integers(40, 60)), rate=int(rng.integers(175, 200)),
                           sample_rate=sr).audio[: n]
        voice = at_level(voice, -14)
        start = int(rng.integers(0, n - len(voice) + 1))
        add_faded(mix, voice, start, sr)
    return limit_peak(mix)


def render_frames(plan, cfg, rng: np.random.Generator) -> np.ndarray:
    """The video's frames, (seconds * fps, height, width, 3) uint8."""
    from avtool.synth.video import COLORS, SpriteClass, draw_sprite, face_crops, paste_face

    background = make_frame_background(cfg, rng)
    sprites = [(SpriteClass(f"{o.color}-{o.shape}-{o.motion}", o.shape, COLORS[o.color],
                            o.motion), o) for o in plan.objects]
    face = face_crops()[plan.face] if plan.face is not None else None
    side = min(cfg.width, cfg.height)
    frames = np.empty((cfg.seconds * cfg.fps, cfg.height, cfg.width, 3), np.uint8)
    for k in range(len(frames)):
        t = k / cfg.fps
        jitter = rng.normal(0, 2.0, size=(cfg.height, cfg.width, 1)).astype(np.int16)
        frame = np.clip(background + jitter, 0, 255).astype(np.uint8)
        if face is not None:
            h = int(0.6 * side)
            paste_face(frame, face, cfg.width - 0.32 * side, cfg.height - 0.32 * side, h)
        for sprite, obj in sprites:
            draw_sprite(frame, sprite, t=t, phase=obj.phase, size=0.13 * side)
        if plan.text:
            draw_sign(frame, plan.text)
        frames[k] = frame
    return frames


def draw_sign(frame: np.ndarray, word: str) -> None:
    """`word` in white capitals with a dark outline, centred across the top of `frame` (in
    place), about 85% of the width and at most 16% of the height: an on-screen title.

    Not dark letters on a light plate: tesseract's sparse-text layout analysis (--psm 11)
    drops a light plate on a dark frame as a non-text block (4 of 24 words read, against
    23 of 24 for outlined white letters; README, retrieval)."""
    import cv2

    height, width = frame.shape[:2]
    font = cv2.FONT_HERSHEY_DUPLEX
    (tw, th), _ = cv2.getTextSize(word, font, 1.0, 2)
    scale = min(0.84 * width / tw, 0.16 * height / th)
    thickness = max(1, round(2 * scale))
    (tw, th), _ = cv2.getTextSize(word, font, scale, thickness)
    x, y = (width - tw) // 2, int(0.06 * height) + th
    cv2.putText(frame, word, (x, y), font, scale, (10, 10, 10), thickness + 2, cv2.LINE_AA)
    cv2.putText(frame, word, (x, y), font, scale, (250, 250, 250), thickness, cv2.LINE_AA)


def make_frame_background(cfg, rng: np.random.Generator) -> np.ndarray:
    from avtool.synth.video import make_background

    return make_background(cfg.height, cfg.width, rng).astype(np.int16)


def render_all(plans: Sequence, videos_dir: str | Path, cfg, workers: int = 1,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Render every plan whose mp4 is missing; returns how many were rendered."""
    return render_videos(plans, videos_dir, cfg, render_frames, render_audio, workers, progress)
