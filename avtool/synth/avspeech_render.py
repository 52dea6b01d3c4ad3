"""Rendering the clips planned by `avtool.synth.avspeech`: speech, sound, sprite, mp4.

Audio: the sentence from espeak-ng (`avtool.synth.speech.synthesize`, the plan's voice,
variant, pitch and rate) at -23 to -17 dBFS RMS, starting after the plan's lead; the named
sound (`avtool.synth.sounds.render_sound`) over the whole clip 6 to 12 dB below the speech;
white noise at an SNR drawn from ``cfg.snr_db``; peak kept at or below 0.9. The clip lasts
lead + speech + tail, rounded up to whole frames, and at least ``cfg.min_seconds``.

Frames: a per-clip background (`video.make_background`, mild per-frame noise) with the
plan's shown sprite (if any) drawn in every frame (`video.draw_sprite`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import MediaError
from avtool.synth.corpus import clip_rngs
from avtool.synth.mixing import limit_peak


@dataclass(frozen=True)
class ClipTiming:
    """What rendering measured: the clip's duration and each word's span in the clip (s)."""

    duration: float
    spans: tuple[tuple[float, float], ...]


def speak(plan, sample_rate: int):
    """The plan's sentence as a `Speech` (audio and word spans from the speech start)."""
    from avtool.synth.speech import synthesize

    speech = synthesize(plan.text, voice=plan.voice, variant=plan.variant, pitch=plan.pitch,
                        rate=plan.rate, sample_rate=sample_rate)
    spoken = [w for w, _, _ in speech.words]
    if spoken != [w.word for w in plan.words]:
        raise MediaError(f"clip {plan.id}: espeak-ng timed the words {spoken} for "
                         f"{plan.text!r}")
    return speech


def frame_count(plan, speech_seconds: float, cfg) -> int:
    """Frames of the clip: lead + speech + tail rounded up, at least cfg.min_seconds."""
    seconds = plan.lead + speech_seconds + plan.tail
    return max(math.ceil(seconds * cfg.fps - 1e-6), math.ceil(cfg.min_seconds * cfg.fps))


def render_audio(plan, speech: np.ndarray, n_samples: int, cfg, rng: np.random.Generator
                 ) -> np.ndarray:
    """The clip's mono waveform (float32, n_samples at cfg.sample_rate)."""
    sr = cfg.sample_rate
    speech = np.asarray(speech, np.float64)
    level = 10 ** (rng.uniform(-23, -17) / 20)
    speech = speech * level / (np.sqrt(np.mean(speech ** 2)) + 1e-12)
    mix = np.zeros(n_samples)
    at = int(round(plan.lead * sr))
    mix[at: at + len(speech)] = speech[: n_samples - at]
    if plan.sound is not None:
        from avtool.synth.sounds import render_sound

        sound = np.asarray(render_sound(plan.sound, n_samples / sr, sr, rng), np.float64)
        gain = level * 10 ** (rng.uniform(-12, -6) / 20)
        mix += gain * sound[:n_samples] / (np.sqrt(np.mean(sound ** 2)) + 1e-12)
    noise = rng.normal(size=n_samples)
    snr = 10 ** (rng.uniform(*cfg.snr_db) / 20)
    mix += noise * level / snr
    return limit_peak(mix)


def sprite_of(shown):
    """The `SpriteClass` for a (colour, shape, motion) triple."""
    from avtool.synth.video import COLORS, SpriteClass

    colour, shape, motion = shown
    return SpriteClass(f"{colour}-{shape}-{motion}", shape, COLORS[colour], motion)


def render_frames(plan, n_frames: int, cfg, rng: np.random.Generator) -> np.ndarray:
    """The clip's frames (n_frames, height, width, 3) uint8."""
    from avtool.synth.video import draw_sprite, make_background

    background = make_background(cfg.height, cfg.width, rng).astype(np.int16)
    phase = float(rng.uniform(0, 1))
    sprite = sprite_of(plan.shown) if plan.shown is not None else None
    frames = np.empty((n_frames, cfg.height, cfg.width, 3), np.uint8)
    for k in range(n_frames):
        jitter = rng.normal(0, 2.0, size=(cfg.height, cfg.width, 1)).astype(np.int16)
        frames[k] = np.clip(background + jitter, 0, 255).astype(np.uint8)
        if sprite is not None:
            draw_sprite(frames[k], sprite, t=k / cfg.fps, phase=phase)
    return frames


def render_clip(plan, clips_dir: str | Path, cfg):
    """Render ``clips_dir/<id>.mp4`` unless it exists; return the clip's `ClipTiming`.

    Speech is synthesised either way (about 30 ms): the word spans come from it.
    """
    from avtool.media.video import write_video

    speech = speak(plan, cfg.sample_rate)
    n_frames = frame_count(plan, speech.duration, cfg)
    duration = n_frames / cfg.fps
    spans = tuple((round(plan.lead + a, 3), round(min(plan.lead + b, duration), 3))
                  for _, a, b in speech.words)
    path = Path(clips_dir) / f"{plan.id}.mp4"
    if not path.exists():
        audio_rng, video_rng = clip_rngs(plan.seed)
        n_samples = n_frames * cfg.sample_rate // cfg.fps
        wav = render_audio(plan, speech.audio, n_samples, cfg, audio_rng)
        frames = render_frames(plan, n_frames, cfg, video_rng)
        write_video(path, frames, cfg.fps, audio=wav, sample_rate=cfg.sample_rate)
    return ClipTiming(round(duration, 3), spans)
