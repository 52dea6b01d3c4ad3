"""Mixing the soundtracks of the rendered synthetic corpora (avvp, avspeech, dialogs,
captions, retrieval): a noise bed, sources at a level with fades, a peak limit.

Each function keeps the exact arithmetic the corpora were first rendered with, so a corpus
rendered before these were shared has the same bytes.
"""

from __future__ import annotations

import numpy as np


def noise_bed(n: int, rng: np.random.Generator, dbfs: float) -> np.ndarray:
    """n samples of white noise at an RMS of `dbfs` (float64)."""
    noise = rng.normal(size=n)
    return noise / np.sqrt(np.mean(noise ** 2)) * 10 ** (dbfs / 20)


def at_level(wav: np.ndarray, dbfs: float) -> np.ndarray:
    """`wav` scaled to an RMS of `dbfs` (a silent input stays silent)."""
    return wav / (np.sqrt(np.mean(wav ** 2)) + 1e-9) * 10 ** (dbfs / 20)


def fade(n: int, sr: int, seconds: float = 0.05) -> np.ndarray:
    """A gain of 1 with Hann fades of `seconds` (at most half of n) at both ends."""
    k = min(int(seconds * sr), n // 2)
    env = np.ones(n, np.float32)
    if k > 0:
        window = np.hanning(2 * k).astype(np.float32)
        env[:k], env[n - k:] = window[:k], window[k:]
    return env


def add_faded(mix: np.ndarray, wav: np.ndarray, start: int, sr: int) -> None:
    """Add `wav` into `mix` from sample `start`, cut to fit and faded in and out (in place)."""
    wav = wav[: max(0, len(mix) - start)]
    mix[start:start + len(wav)] += wav * fade(len(wav), sr)


def limit_peak(mix: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """`mix` scaled down so that its peak is at most `peak`, as float32."""
    top = np.abs(mix).max() if len(mix) else 0.0
    if top > peak:
        mix = mix * (peak / top)
    return mix.astype(np.float32)
