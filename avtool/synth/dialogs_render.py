"""Rendering the videos planned by `avtool.synth.dialogs`: sprites, a sound, a voice, one mp4.

Frames: a per-video background (`avtool.synth.video.make_background`) with mild per-frame
noise, and each object's sprite (its colour, shape, motion and size in pixels) drawn in every
frame from its appearance second on. Audio: a noise bed near -40 dBFS, the planned library
sound (`avtool.synth.sounds`) over its span (first half, second half or the whole video) with
50-ms fades, and, when planned, a voice (espeak-ng) saying a few words at a random moment.
Each video draws from its own random streams, so the bytes depend on its plan only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from avtool.synth.corpus import render_videos
from avtool.synth.mixing import add_faded, at_level, limit_peak, noise_bed


def radius_px(cfg, size: str) -> float:
    """A sprite's radius in pixels: `cfg.radius_big` or `radius_small` of the short side."""
    return min(cfg.width, cfg.height) * (cfg.radius_big if size == "big" else cfg.radius_small)


def sound_span(plan, seconds: int) -> tuple[float, float]:
    """(onset, offset) in seconds of the planned sound."""
    half = seconds / 2
    return {"beginning": (0.0, half), "end": (half, float(seconds)),
            "whole": (0.0, float(seconds))}[plan.sound_when]


def render_audio(plan, cfg, rng: np.random.Generator) -> np.ndarray:
    """The video's mono waveform, `cfg.seconds` long at `cfg.sample_rate`."""
    from avtool.synth.sounds import render_sound
    from avtool.synth.speech import synthesize

    sr = cfg.sample_rate
    n = cfg.seconds * sr
    mix = noise_bed(n, rng, -40)
    if plan.sound:
        on, off = sound_span(plan, cfg.seconds)
        wav = render_sound(plan.sound, off - on, sr, rng, snr_db=(25.0, 40.0),
                           level_db=(-20.0, -14.0))
        start = int(on * sr)
        add_faded(mix, wav, start, sr)
    if plan.speech:
        variant = f"{rng.choice(['m', 'f'])}{int(rng.integers(1, 5))}"
        voice = synthesize(plan.speech, voice="en", variant=variant,
                           pitch=int(rng.integers(35, 65)), rate=int(rng.integers(150, 190)),
                           sample_rate=sr).audio[: n]
        voice = at_level(voice, -18)
        start = int(rng.integers(0, n - len(voice) + 1))
        add_faded(mix, voice, start, sr)
    return limit_peak(mix)


def render_frames(plan, cfg, rng: np.random.Generator) -> np.ndarray:
    """The video's frames, (seconds * fps, height, width, 3) uint8."""
    from avtool.synth.video import COLORS, SpriteClass, draw_sprite, make_background

    background = make_background(cfg.height, cfg.width, rng).astype(np.int16)
    sprites = [(SpriteClass(f"{o.color}-{o.shape}-{o.motion}", o.shape, COLORS[o.color],
                            o.motion), o) for o in plan.objects]
    frames = np.empty((cfg.seconds * cfg.fps, cfg.height, cfg.width, 3), np.uint8)
    for k in range(len(frames)):
        t = k / cfg.fps
        jitter = rng.normal(0, 2.0, size=(cfg.height, cfg.width, 1)).astype(np.int16)
        frame = np.clip(background + jitter, 0, 255).astype(np.uint8)
        for sprite, obj in sprites:
            if t >= obj.appear:
                draw_sprite(frame, sprite, t=t, phase=obj.phase, size=radius_px(cfg, obj.size))
        frames[k] = frame
    return frames


def render_all(plans: Sequence, videos_dir: str | Path, cfg, workers: int = 1,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Render every plan whose mp4 is missing; returns how many were rendered."""
    return render_videos(plans, videos_dir, cfg, render_frames, render_audio, workers, progress)
