"""Mixing at a signal-to-noise ratio, and random segments of a length."""

from __future__ import annotations

import numpy as np


def power(wav: np.ndarray) -> float:
    """Mean square of ``wav`` (float64 accumulation)."""
    return float(np.mean(np.square(wav, dtype=np.float64))) if len(wav) else 0.0


def mix_at_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``signal + g·noise`` (float32) with ``g`` setting the power ratio to ``snr_db``.

    ``noise`` must be as long as ``signal``. A silent noise adds nothing; a silent signal
    gets nothing added (no ratio to keep)."""
    signal = np.asarray(signal, dtype=np.float32)
    noise_power = power(noise)
    if noise_power <= 0.0:
        return signal.copy()
    gain = np.sqrt(power(signal) / (noise_power * 10.0 ** (snr_db / 10.0)))
    return (signal + gain * np.asarray(noise, dtype=np.float32)).astype(np.float32)


def random_segment(wav: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """``length`` samples of ``wav`` from a random start; a shorter ``wav`` is looped."""
    wav = np.asarray(wav)
    if len(wav) == 0:
        return np.zeros(length, dtype=np.float32)
    if len(wav) < length:
        wav = np.tile(wav, -(-length // len(wav)) + 1)
    start = int(rng.integers(0, len(wav) - length + 1))
    return wav[start:start + length]
