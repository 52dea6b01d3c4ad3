"""A library of class-specific synthetic sounds.

Each recipe draws its own parameters (pitch, rate, bandwidth, loudness...) from class-specific
ranges, and every rendering adds background noise at a random SNR and a random gain, so one
class never sounds exactly the same twice while classes stay separable by their spectral and
temporal structure. `render_sound(name, duration, sample_rate, rng)` is the entry point.

Example::

    import numpy as np
    from avtool.synth.sounds import render_sound, sounds
    wav = render_sound("siren", 2.0, 16_000, np.random.default_rng(0))
    sounds.names()
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from avtool.registry import Registry

Recipe = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]
sounds: Registry[Recipe] = Registry("sound")


def _bandpass_noise(n: int, sr: int, lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.normal(size=n))
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    spectrum[(freqs < lo) | (freqs > hi)] = 0
    out = np.fft.irfft(spectrum, n)
    return out / (np.abs(out).max() + 1e-9)


def _harmonics(t: np.ndarray, f0: np.ndarray | float, amps: list[float]) -> np.ndarray:
    phase = 2 * np.pi * np.cumsum(np.broadcast_to(f0, t.shape)) * (t[1] - t[0] if len(t) > 1
                                                                   else 0)
    return sum(a * np.sin((k + 1) * phase) for k, a in enumerate(amps))


@sounds.register("organ")
def organ(t, sr, rng):
    """Odd harmonics of a steady low tone."""
    f0 = rng.uniform(110, 220)
    return _harmonics(t, f0, [1, 0, 0.5, 0, 0.3, 0, 0.2])


@sounds.register("string")
def string(t, sr, rng):
    """Sawtooth-like tone (all harmonics, 1/k) with slow vibrato."""
    f0 = rng.uniform(220, 440) * (1 + 0.01 * np.sin(2 * np.pi * rng.uniform(4, 6) * t))
    return _harmonics(t, f0, [1 / k for k in range(1, 10)])


@sounds.register("flute")
def flute(t, sr, rng):
    """Nearly pure high tone with breath noise."""
    f0 = rng.uniform(600, 1000) * (1 + 0.005 * np.sin(2 * np.pi * 5 * t))
    return _harmonics(t, f0, [1, 0.1]) + 0.05 * _bandpass_noise(len(t), sr, 2000, 6000, rng)


@sounds.register("bell")
def bell(t, sr, rng):
    """Inharmonic partials, struck repeatedly, decaying."""
    f0 = rng.uniform(300, 600)
    period = rng.uniform(0.6, 1.2)
    env = np.exp(-(t % period) * rng.uniform(4, 7))
    partials = [1.0, 2.76, 5.40, 8.93]
    return env * sum(np.sin(2 * np.pi * f0 * p * t) / (i + 1) for i, p in enumerate(partials))


@sounds.register("chirp-up")
def chirp_up(t, sr, rng):
    """Repeated rising sweeps."""
    period = rng.uniform(0.3, 0.6)
    lo, hi = rng.uniform(300, 600), rng.uniform(2000, 3500)
    u = (t % period) / period
    freq = lo + (hi - lo) * u
    return np.sin(2 * np.pi * np.cumsum(freq) / sr)


@sounds.register("chirp-down")
def chirp_down(t, sr, rng):
    """Repeated falling sweeps."""
    period = rng.uniform(0.3, 0.6)
    lo, hi = rng.uniform(300, 600), rng.uniform(2000, 3500)
    u = (t % period) / period
    freq = hi - (hi - lo) * u
    return np.sin(2 * np.pi * np.cumsum(freq) / sr)


@sounds.register("siren")
def siren(t, sr, rng):
    """Slow sinusoidal frequency modulation between two pitches."""
    centre, depth = rng.uniform(700, 1000), rng.uniform(200, 350)
    freq = centre + depth * np.sin(2 * np.pi * rng.uniform(0.4, 0.8) * t)
    return np.sin(2 * np.pi * np.cumsum(freq) / sr)


@sounds.register("alarm")
def alarm(t, sr, rng):
    """A pure beep switched on and off quickly."""
    f0, rate = rng.uniform(1500, 2500), rng.uniform(3, 6)
    gate = (np.sin(2 * np.pi * rate * t) > 0).astype(float)
    return gate * np.sin(2 * np.pi * f0 * t)


@sounds.register("engine")
def engine(t, sr, rng):
    """Low rumble, amplitude-modulated at a firing rate."""
    rate = rng.uniform(15, 35)
    rumble = _bandpass_noise(len(t), sr, 40, 300, rng)
    return rumble * (0.6 + 0.4 * np.sin(2 * np.pi * rate * t)) + 0.3 * np.sin(
        2 * np.pi * rate * 2 * t)


@sounds.register("hiss")
def hiss(t, sr, rng):
    """Steady high-band noise (steam, spray)."""
    lo = rng.uniform(3000, 4500)
    return _bandpass_noise(len(t), sr, lo, min(sr / 2 - 100, lo + 3000), rng)


@sounds.register("rain")
def rain(t, sr, rng):
    """Dense random droplets: sparse impulses through a mid band."""
    density = rng.uniform(80, 200)
    impulses = (rng.random(len(t)) < density / sr) * rng.uniform(0.3, 1.0, len(t))
    kernel = np.exp(-np.arange(int(0.004 * sr)) / (0.0008 * sr))
    drops = np.convolve(impulses, kernel, mode="same")
    return drops * _bandpass_noise(len(t), sr, 1000, 5000, rng) + 0.1 * _bandpass_noise(
        len(t), sr, 500, 5000, rng)


@sounds.register("clock")
def clock(t, sr, rng):
    """Regular sharp clicks."""
    rate = rng.uniform(1.5, 3.0)
    phase = (t * rate) % 1.0
    click = np.exp(-phase / (0.003 * rate)) * (phase < 0.02 * rate)
    return click * _bandpass_noise(len(t), sr, 2000, 6000, rng)


@sounds.register("typing")
def typing(t, sr, rng):
    """Irregular fast clicks (keyboard)."""
    rate = rng.uniform(6, 10)
    impulses = (rng.random(len(t)) < rate / sr).astype(float)
    kernel = np.exp(-np.arange(int(0.01 * sr)) / (0.002 * sr))
    return np.convolve(impulses, kernel, mode="same") * _bandpass_noise(len(t), sr, 1500, 4000,
                                                                        rng)


@sounds.register("drum")
def drum(t, sr, rng):
    """Low decaying sine bursts on a beat."""
    bpm = rng.uniform(90, 150)
    beat = 60.0 / bpm
    u = t % beat
    f = rng.uniform(60, 110) * (1 + 0.5 * np.exp(-u * 30))
    return np.exp(-u * 12) * np.sin(2 * np.pi * np.cumsum(f) / sr)


@sounds.register("bark")
def bark(t, sr, rng):
    """Short noisy harmonic bursts with gaps (dog-like)."""
    f0 = rng.uniform(350, 600)
    period = rng.uniform(0.35, 0.7)
    u = t % period
    env = (u < 0.15) * np.sin(np.pi * np.clip(u / 0.15, 0, 1))
    voice = _harmonics(t, f0 * (1 - 0.3 * np.clip(u / 0.15, 0, 1)), [1, 0.7, 0.5, 0.3])
    return env * (voice + 0.4 * _bandpass_noise(len(t), sr, 500, 3000, rng))


@sounds.register("bird")
def bird(t, sr, rng):
    """Fast high warbles: short FM chirps."""
    period = rng.uniform(0.15, 0.3)
    u = (t % period) / period
    freq = rng.uniform(2500, 4000) + 800 * np.sin(2 * np.pi * 3 * u)
    env = np.sin(np.pi * np.clip(u * 1.6, 0, 1)) ** 2
    return env * np.sin(2 * np.pi * np.cumsum(freq) / sr)


@sounds.register("hum")
def hum(t, sr, rng):
    """Electrical hum: mains fundamental and harmonics, with a slight beat."""
    f0 = rng.choice([50.0, 60.0]) * rng.uniform(0.99, 1.01)
    return _harmonics(t, f0, [1, 0.6, 0.4, 0.3, 0.2]) * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t))


@sounds.register("water")
def water(t, sr, rng):
    """Running water: low-mid noise with fast random amplitude fluctuation."""
    noise = _bandpass_noise(len(t), sr, 200, 1500, rng)
    flutter = _bandpass_noise(len(t), sr, 2, 20, rng)
    return noise * (0.7 + 0.3 * flutter)


def render_sound(name: str, duration: float, sample_rate: int, rng: np.random.Generator,
                 snr_db: tuple[float, float] = (10.0, 30.0),
                 level_db: tuple[float, float] = (-20.0, -6.0)) -> np.ndarray:
    """One rendering of sound class `name`: float32 mono, peak-free, with background noise.

    The clean recipe is normalised to an RMS level drawn from `level_db` (dBFS) and pink-ish
    background noise is added at an SNR drawn from `snr_db`.
    """
    recipe = sounds.get(name)
    n = max(1, int(round(duration * sample_rate)))
    t = np.arange(n) / sample_rate
    clean = np.asarray(recipe(t, sample_rate, rng), dtype=np.float64)
    clean = clean / (np.sqrt(np.mean(clean ** 2)) + 1e-9)
    level = 10 ** (rng.uniform(*level_db) / 20)
    noise = np.cumsum(rng.normal(size=n))  # brown, then high-passed: a soft background
    noise = noise - np.convolve(noise, np.ones(64) / 64, mode="same")
    noise = noise / (np.sqrt(np.mean(noise ** 2)) + 1e-9)
    snr = 10 ** (rng.uniform(*snr_db) / 20)
    out = level * (clean + noise / snr)
    return np.clip(out, -1, 1).astype(np.float32)
