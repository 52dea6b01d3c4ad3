"""Audio on its way into a speaker embedder: reading it, refusing what no model can embed, and
the resemblyzer-style preprocessing (volume normalisation, long-silence trimming) of GE2E.

Shared by every embedder, so the checks and their messages are the same whichever ``--model``
is used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avtool.errors import MediaError

SILENCE_PEAK = 1e-4
"""A waveform whose peak amplitude stays below this is silent."""
INT16_MAX = 2**15 - 1


def read_speech(path: str | Path, sample_rate: int) -> np.ndarray:
    """The mono waveform of ``path`` at ``sample_rate``."""
    from avtool.media.audio import read_audio

    wav, _ = read_audio(path, sample_rate=sample_rate)
    return wav


def check_speech_input(wav: np.ndarray, sample_rate: int, min_seconds: float,
                       model: str) -> None:
    """Raise MediaError when ``wav`` is too short for ``model``, silent, or not finite."""
    seconds = len(wav) / sample_rate
    if seconds < min_seconds:
        raise MediaError(f"audio is {seconds:.2f} s long; {model} needs at least "
                         f"{min_seconds:g} s")
    if not np.isfinite(wav).all():
        raise MediaError("audio contains NaN or inf samples")
    if np.abs(wav).max(initial=0.0) < SILENCE_PEAK:
        raise MediaError(f"audio is silent (peak amplitude below {SILENCE_PEAK:g})")


def normalize_volume(wav: np.ndarray, target_dbfs: float = -30.0,
                     increase_only: bool = True) -> np.ndarray:
    """Scale to ``target_dbfs`` RMS (dB re full scale); by default only ever louder, as
    resemblyzer's ``normalize_volume(..., increase_only=True)``."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64))))
    if rms == 0.0:
        return wav
    change = target_dbfs - 20.0 * np.log10(rms)
    if change < 0 and increase_only:
        return wav
    return (wav * np.float32(10.0 ** (change / 20.0))).astype(np.float32)


def trim_long_silences(wav: np.ndarray, sample_rate: int = 16_000, window_ms: int = 30,
                       smoothing: int = 8, max_silence: int = 6, aggressiveness: int = 3
                       ) -> np.ndarray:
    """Drop silences longer than ``max_silence`` windows, as resemblyzer's ``trim_long_silences``.

    webrtcvad (mode ``aggressiveness``) flags each ``window_ms`` window; the flags are smoothed
    with a ``smoothing``-wide moving average, rounded, dilated by ``max_silence`` windows each
    side, and the unflagged windows removed. The tail shorter than one window is dropped.
    Samples are clipped to [-1, 1] before the 16-bit conversion (resemblyzer lets them wrap).
    """
    import webrtcvad

    step = window_ms * sample_rate // 1000
    wav = wav[: len(wav) - len(wav) % step]
    if len(wav) == 0:
        return wav
    pcm = (np.round(np.clip(wav, -1.0, 1.0) * INT16_MAX)).astype("<i2").tobytes()
    vad = webrtcvad.Vad(aggressiveness)
    flags = np.array([vad.is_speech(pcm[2 * i: 2 * (i + step)], sample_rate)
                      for i in range(0, len(wav), step)], dtype=np.float64)
    padded = np.concatenate([np.zeros((smoothing - 1) // 2), flags, np.zeros(smoothing // 2)])
    csum = np.cumsum(padded)
    csum[smoothing:] = csum[smoothing:] - csum[:-smoothing]
    mask = np.round(csum[smoothing - 1:] / smoothing).astype(bool)
    # binary dilation with a centred run of (max_silence + 1) ones, as scipy.ndimage does
    size = max_silence + 1
    run = np.convolve(mask.astype(np.int64), np.ones(size, dtype=np.int64), "full")
    dilated = run[size // 2: size // 2 + len(mask)] > 0
    return wav[np.repeat(dilated, step)]
