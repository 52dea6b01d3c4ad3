"""Rendering the videos planned by `avtool.synth.captions`: scenes of sprites, sounds, voices.

Frames: a per-video background with mild per-frame noise and, in each scene, its sprite
drawn over the background. Audio: a noise bed near -40 dBFS, each sound event over its span
with 50-ms fades, each voice (espeak-ng, the planned voice, pitch and rate) at its onset.
Each video draws from its own random streams, so the bytes depend on its plan only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from avtool.synth.corpus import render_videos
from avtool.synth.mixing import add_faded, at_level, limit_peak, noise_bed


def render_audio(plan, cfg, rng: np.random.Generator) -> np.ndarray:
    """The video's mono waveform, `plan.seconds` long at `cfg.sample_rate`."""
    from avtool.synth.sounds import render_sound
    from avtool.synth.speech import synthesize

    sr = cfg.sample_rate
    n = plan.seconds * sr
    mix = noise_bed(n, rng, -40)
    for e in plan.events:
        if e.kind == "sound":
            start = int(e.start * sr)
            wav = render_sound(e.name, e.end - e.start, sr, rng, snr_db=(25.0, 40.0),
                               level_db=(-20.0, -14.0))
        else:
            language, _, variant = e.voice.partition("+")
            wav = synthesize(e.said, voice=language, variant=variant, pitch=e.pitch,
                             rate=e.rate, sample_rate=sr).audio[:int(e.audio_seconds * sr)]
            wav = at_level(wav, -18)
            start = int(e.audio_at * sr)
        add_faded(mix, wav, start, sr)
    return limit_peak(mix)


def render_frames(plan, cfg, rng: np.random.Generator) -> np.ndarray:
    """The video's frames, (seconds * fps, height, width, 3) uint8."""
    from avtool.synth.video import COLORS, SpriteClass, draw_sprite, make_background

    background = make_background(cfg.height, cfg.width, rng).astype(np.int16)
    frames = np.empty((plan.seconds * cfg.fps, cfg.height, cfg.width, 3), np.uint8)
    radius = min(cfg.width, cfg.height) * 0.18
    for k in range(len(frames)):
        t = k / cfg.fps
        jitter = rng.normal(0, 2.0, size=(cfg.height, cfg.width, 1)).astype(np.int16)
        frame = np.clip(background + jitter, 0, 255).astype(np.uint8)
        scene = next((s for s in plan.scenes if s.start <= t < s.end), plan.scenes[-1])
        sprite = SpriteClass(f"{scene.color}-{scene.shape}-{scene.motion}", scene.shape,
                             COLORS[scene.color], scene.motion)
        draw_sprite(frame, sprite, t=t, phase=scene.phase, size=radius)
        frames[k] = frame
    return frames


def render_all(plans: Sequence, videos_dir: str | Path, cfg, workers: int = 1,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Render every plan whose mp4 is missing; returns how many were rendered."""
    return render_videos(plans, videos_dir, cfg, render_frames, render_audio, workers, progress)
