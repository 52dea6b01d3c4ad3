"""The simulated noise of AVATAR's evaluation (Gabeur thesis §5.4.2), applied to a waveform.

* ``clean``: the audio as it is;
* ``burst``: burst packet loss: two chunks are dropped (set to zero), each of a length drawn
  uniformly in (0, 0.1] x the duration, at uniform random positions;
* ``env``: environment noise: a rendering of one of avtool's synthetic sound classes that stand
  in for AudioSet's "noise" and "environmental" classes (`ENV_CLASSES`), added at ``snr_db``
  (the thesis gives no SNR; 5 dB is avtool's default);
* ``mixed``: both, environment noise first.

Every draw comes from the generator passed in, so a seed gives the same noisy audio.
"""

from __future__ import annotations

import numpy as np

from avtool.errors import ConfigError

NOISE_KINDS = ("clean", "burst", "env", "mixed")
ENV_CLASSES = ("engine", "hiss", "rain", "water", "hum", "typing")
DEFAULT_SNR_DB = 5.0


def drop_bursts(wav: np.ndarray, rng: np.random.Generator, chunks: int = 2,
                max_fraction: float = 0.1) -> np.ndarray:
    """`wav` with `chunks` spans zeroed, each (0, max_fraction] of its length long."""
    out = np.array(wav, dtype=np.float32, copy=True)
    n = len(out)
    for _ in range(chunks):
        length = int(np.ceil((1.0 - rng.random()) * max_fraction * n))  # (0, max_fraction]
        start = int(rng.integers(0, max(1, n - length + 1)))
        out[start:start + length] = 0.0
    return out


def add_environment_noise(wav: np.ndarray, sample_rate: int, rng: np.random.Generator,
                          snr_db: float = DEFAULT_SNR_DB) -> np.ndarray:
    """`wav` plus one of `ENV_CLASSES`, scaled to `snr_db` against the signal's power."""
    from avtool.augment.mix import mix_at_snr
    from avtool.synth.sounds import render_sound

    name = ENV_CLASSES[int(rng.integers(len(ENV_CLASSES)))]
    noise = render_sound(name, len(wav) / sample_rate, sample_rate, rng)[: len(wav)]
    return mix_at_snr(wav, noise, snr_db)


def apply_noise(wav: np.ndarray, sample_rate: int, kind: str, rng: np.random.Generator,
                snr_db: float = DEFAULT_SNR_DB) -> np.ndarray:
    """`wav` under noise condition `kind` (one of `NOISE_KINDS`)."""
    if kind not in NOISE_KINDS:
        raise ConfigError(f"--noise {kind!r}: choose one of {', '.join(NOISE_KINDS)}")
    if not np.isfinite(snr_db):
        raise ConfigError(f"--snr {snr_db}: must be a finite number of dB")
    out = np.asarray(wav, dtype=np.float32)
    if kind in ("env", "mixed"):
        out = add_environment_noise(out, sample_rate, rng, snr_db)
    if kind in ("burst", "mixed"):
        out = drop_bursts(out, rng)
    return out
