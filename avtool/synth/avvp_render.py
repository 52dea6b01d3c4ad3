"""Rendering the synthetic AVVP clips planned by `avtool.synth.avvp`: sound, sprites, mp4.

Each LLP class has its own sound (`CLASS_SOUNDS`) and its own sprite (`class_sprite`):

* sounds: 14 recipes of the synthetic sound library (`avtool.synth.sounds`), four
  recipes defined here (``crowd``, ``rotor``, ``two_stroke``, ``pluck``/``strum``), and four
  espeak-ng voices (`avtool.synth.speech`): Speech (random English words, a random voice
  variant), Singing (sustained syllables on a pentatonic melody), Baby_laughter (fast high
  "ha"s) and Baby_cry_infant_cry (long high "waa"s with tremolo);
* sprites: class c gets shape ``SHAPES[c % 8]``, colour ``COLORS[(c + c // 8) % 10]`` and
  motion ``MOTIONS[(c + c // 8) % 8]`` of `avtool.synth.video`: no two classes share
  more than one of shape, colour and motion.

A clip's audio is the sum of its events' sounds, each rendered for its audio runs only (20-ms
raised-cosine ramps at each run's edges), over background noise at `noise_dbfs`; the peak is
kept at or below 0.9. Its frames are a per-clip background (gradient + texture, mild per-frame
noise) with each event's sprite drawn in frame k exactly when second ``k // fps`` is in one of
the event's visual runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from avtool.formats.llp import LLP_CLASSES, N_SEGMENTS
from avtool.synth.corpus import clip_rngs
from avtool.synth.mixing import limit_peak, noise_bed

# class -> ("sound", library recipe) | ("local", recipe here) | ("voice", style)
CLASS_SOUNDS: dict[str, tuple[str, str]] = {
    "Speech": ("voice", "speech"),
    "Car": ("sound", "engine"),
    "Cheering": ("local", "crowd"),
    "Dog": ("sound", "bark"),
    "Cat": ("sound", "chirp-down"),
    "Frying_(food)": ("sound", "rain"),
    "Basketball_bounce": ("sound", "drum"),
    "Fire_alarm": ("sound", "alarm"),
    "Chainsaw": ("local", "two_stroke"),
    "Cello": ("sound", "string"),
    "Banjo": ("local", "pluck"),
    "Singing": ("voice", "singing"),
    "Chicken_rooster": ("sound", "bird"),
    "Violin_fiddle": ("sound", "flute"),
    "Vacuum_cleaner": ("sound", "hiss"),
    "Baby_laughter": ("voice", "laughter"),
    "Accordion": ("sound", "organ"),
    "Lawn_mower": ("sound", "hum"),
    "Motorcycle": ("sound", "siren"),
    "Helicopter": ("local", "rotor"),
    "Acoustic_guitar": ("local", "strum"),
    "Telephone_bell_ringing": ("sound", "bell"),
    "Baby_cry_infant_cry": ("voice", "cry"),
    "Blender": ("sound", "chirp-up"),
    "Clapping": ("sound", "typing"),
}

_WORDS = ("time people way day man thing woman life child world school state family group "
          "country problem hand part place case week company system program question work "
          "number night point home water room mother area money story fact month book eye "
          "job word business side kind head house friend father power hour game line").split()


# --------------------------------------------------------------------------- sounds


def _norm(x: np.ndarray) -> np.ndarray:
    return x / (np.abs(x).max() + 1e-9)


def _band_noise(n: int, sr: int, lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(size=n))
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    spectrum[(freqs < lo) | (freqs > hi)] = 0
    return _norm(np.fft.irfft(spectrum, n))


def _crowd(t, sr, rng):
    """Cheering: broadband mid noise with slow swells and occasional whistles."""
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.2, 0.5) * t + rng.uniform(0, 6))
    babble = _band_noise(len(t), sr, 300, 3500, rng) * swell
    whistle = np.sin(2 * np.pi * np.cumsum(1800 + 600 * np.sin(2 * np.pi * 0.7 * t)) / sr)
    return babble + 0.3 * whistle * (np.sin(2 * np.pi * 0.3 * t) > 0.6)


def _rotor(t, sr, rng):
    """Helicopter: low noise chopped by blade passes at 10-18 Hz."""
    rate = rng.uniform(10, 18)
    chop = np.maximum(0, np.sin(2 * np.pi * rate * t)) ** 4
    return _band_noise(len(t), sr, 60, 900, rng) * (0.15 + chop)


def _two_stroke(t, sr, rng):
    """Chainsaw: a buzzing sawtooth (110-160 Hz) that revs, plus cutting noise."""
    f0 = rng.uniform(110, 160) * (1 + 0.25 * np.maximum(0, np.sin(2 * np.pi * 0.4 * t)))
    phase = np.cumsum(f0) / sr
    saw = 2 * (phase % 1.0) - 1
    return saw + 0.4 * _band_noise(len(t), sr, 2000, 5000, rng)


def _plucks(t, sr, rng, onsets, freqs_of, decay):
    out = np.zeros(len(t))
    for on in onsets:
        start = int(on * sr)
        if start >= len(t):
            break
        n = len(t) - start
        tt = np.arange(n) / sr
        env = np.exp(-tt * decay)
        tone = sum(np.sin(2 * np.pi * f * tt) / (k + 1) for k, f in enumerate(freqs_of(rng)))
        out[start:] += env * tone
    return out


def _pluck(t, sr, rng):
    """Banjo: bright, fast single-note rolls (8-12 notes/s), quick decay."""
    rate = rng.uniform(8, 12)
    notes = 440 * 2 ** (np.array([0, 3, 5, 7, 10, 12]) / 12)

    def freqs(r):
        f = r.choice(notes)
        return [f, 2 * f, 3 * f, 4 * f]
    return _plucks(t, sr, rng, np.arange(0, t[-1] + 1e-9, 1 / rate), freqs, 14.0)


def _strum(t, sr, rng):
    """Acoustic guitar: low strummed chords (1.5-3 strums/s), slow decay."""
    rate = rng.uniform(1.5, 3)
    chords = [[98, 123.5, 147, 196], [110, 138.6, 164.8, 220], [82.4, 123.5, 164.8, 207.7]]

    def freqs(r):
        return chords[int(r.integers(len(chords)))]
    return _plucks(t, sr, rng, np.arange(0, t[-1] + 1e-9, 1 / rate), freqs, 3.0)


_LOCAL: dict[str, Callable] = {"crowd": _crowd, "rotor": _rotor, "two_stroke": _two_stroke,
                               "pluck": _pluck, "strum": _strum}


@functools.lru_cache(maxsize=512)
def _speak(text: str, variant: str, pitch: int, rate: int, sr: int) -> np.ndarray:
    from avtool.synth.speech import synthesize

    return synthesize(text, voice="en", variant=variant, pitch=pitch, rate=rate,
                      sample_rate=sr).audio


def _voice(style: str, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Speech-like classes through espeak-ng, filled or trimmed to n samples."""
    pieces: list[np.ndarray] = []
    total = 0
    variant = f"{rng.choice(['m', 'f'])}{int(rng.integers(1, 5))}"
    while total < n:
        if style == "speech":
            words = " ".join(rng.choice(_WORDS, size=8))
            piece = _speak(words, variant, int(rng.integers(30, 70)), int(rng.integers(150, 200)),
                           sr)
        elif style == "singing":
            pitch = int(40 + 10 * rng.choice([0, 1, 2, 3, 4, 5]))  # pentatonic-ish steps
            syllable = str(rng.choice(["laa", "naa", "doo", "maa"]))
            note = _speak(syllable, "f2", pitch, 80, sr)
            piece = note[: int(sr * rng.uniform(0.3, 0.5))]
            piece = piece * np.hanning(len(piece)) ** 0.3
        elif style == "laughter":
            piece = _speak("ha ha ha ha ha", "f4", int(rng.integers(90, 100)), 320, sr)
            piece = np.concatenate([piece, np.zeros(int(sr * rng.uniform(0.1, 0.3)))])
        else:  # cry
            note = _speak("waa", "f5", 99, 80, sr)
            wobble = 1 + 0.4 * np.sin(2 * np.pi * 6 * np.arange(len(note)) / sr)
            piece = np.concatenate([note * wobble, np.zeros(int(sr * rng.uniform(0.05, 0.2)))])
        pieces.append(np.asarray(piece, np.float64))
        total += len(piece)
    return np.concatenate(pieces)[:n]


def class_sound(label: str, duration: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One rendering of class `label` for `duration` seconds: RMS-normalised float32."""
    kind, name = CLASS_SOUNDS[label]
    n = max(1, int(round(duration * sr)))
    if kind == "sound":
        from avtool.synth.sounds import render_sound

        wav = render_sound(name, duration, sr, rng, snr_db=(25.0, 40.0))
    elif kind == "local":
        wav = _LOCAL[name](np.arange(n) / sr, sr, rng)
    else:
        wav = _voice(name, n, sr, rng)
    wav = np.asarray(wav, np.float64)[:n]
    return (wav / (np.sqrt(np.mean(wav ** 2)) + 1e-9)).astype(np.float32)


def _ramp(n: int, sr: int, ramp_s: float = 0.02) -> np.ndarray:
    """Raised-cosine fade in and out over `ramp_s` at both ends of n samples."""
    env = np.ones(n, np.float32)
    k = min(int(ramp_s * sr), n // 2)
    if k > 0:
        rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)
        env[:k], env[n - k:] = rise, rise[::-1]
    return env


def render_audio(events, cfg, rng: np.random.Generator) -> np.ndarray:
    """The clip's mono waveform (N_SEGMENTS seconds at cfg.sample_rate)."""
    sr = cfg.sample_rate
    n = N_SEGMENTS * sr
    mix = noise_bed(n, rng, cfg.noise_dbfs)
    for ev in events:
        level = 10 ** (rng.uniform(-22, -14) / 20)
        for on, off in ev.audio:
            wav = class_sound(ev.label, off - on, sr, rng)
            mix[on * sr: on * sr + len(wav)] += level * wav * _ramp(len(wav), sr)
    return limit_peak(mix)


# --------------------------------------------------------------------------- sprites


@functools.cache
def class_sprite(label: str):
    """The sprite of an LLP class (a `SpriteClass` of `avtool.synth.video`)."""
    from avtool.synth.video import COLORS, MOTIONS, SHAPES, SpriteClass

    c = LLP_CLASSES.index(label)
    colour = list(COLORS)[(c + c // 8) % len(COLORS)]
    return SpriteClass(f"{label}-sprite", SHAPES[c % len(SHAPES)], COLORS[colour],
                       MOTIONS[(c + c // 8) % len(MOTIONS)])


def render_frames(events, cfg, rng: np.random.Generator) -> np.ndarray:
    """The clip's frames (N_SEGMENTS * fps, height, width, 3) uint8."""
    from avtool.synth.video import draw_sprite, make_background

    background = make_background(cfg.height, cfg.width, rng).astype(np.int16)
    phases = [float(rng.uniform(0, 1)) for _ in events]
    frames = np.empty((N_SEGMENTS * cfg.fps, cfg.height, cfg.width, 3), np.uint8)
    for k in range(len(frames)):
        jitter = rng.normal(0, 2.0, size=(cfg.height, cfg.width, 1)).astype(np.int16)
        frame = np.clip(background + jitter, 0, 255).astype(np.uint8)
        second = k // cfg.fps
        for ev, phase in zip(events, phases, strict=True):
            if any(on <= second < off for on, off in ev.visual):
                draw_sprite(frame, class_sprite(ev.label), t=k / cfg.fps, phase=phase)
        frames[k] = frame
    return frames


# --------------------------------------------------------------------------- clips


def render_clip(plan, clips_dir: str | Path, cfg) -> Path:
    """Render one planned clip to ``clips_dir/<clip>.mp4`` (atomically); returns the path."""
    from avtool.media.video import write_video

    audio_rng, video_rng = clip_rngs(plan.seed)
    wav = render_audio(plan.events, cfg, audio_rng)
    frames = render_frames(plan.events, cfg, video_rng)
    path = Path(clips_dir) / f"{plan.filename}.mp4"
    write_video(path, frames, cfg.fps, audio=wav, sample_rate=cfg.sample_rate)
    return path


def render_all(plans: Sequence, clips_dir: str | Path, cfg, workers: int = 1,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Render every plan whose mp4 is missing; returns how many were rendered."""
    from avtool.synth.corpus import render_missing

    return render_missing(render_clip, plans, clips_dir, lambda p: f"{p.filename}.mp4", cfg, workers,
                          progress)
