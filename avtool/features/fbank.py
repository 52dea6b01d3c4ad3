"""`fbank`: Kaldi-compatible log mel filterbank energies (torchaudio.compliance.kaldi).

Samples are scaled to the int16 range first, as Kaldi reads them, so values match Kaldi's
`compute-fbank-feats`; dither is 0 by default so extraction is deterministic. The analysis
window is Kaldi's default (``povey``); ``fbank:window_type=hamming`` gives the 25-ms Hamming
window of AVATAR's audio input (Gabeur thesis §5.2.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avtool.config import ADDED_LATER, ranged
from avtool.errors import ConfigError
from avtool.features.base import (
    MILLISECONDS,
    SAMPLE_RATE,
    AudioExtractor,
    check_frames,
    extractors,
)

#: Kaldi's analysis windows (torchaudio.compliance.kaldi)
WINDOW_TYPES = ("povey", "hamming", "hanning", "rectangular", "blackman")


@dataclass(frozen=True)
class FbankConfig:
    sample_rate: int = field(default=16_000, metadata=SAMPLE_RATE)
    num_mel_bins: int = field(default=80, metadata=ranged(min=1, max=1024))
    frame_length_ms: float = field(default=25.0, metadata=MILLISECONDS)
    frame_shift_ms: float = field(default=10.0, metadata=MILLISECONDS)
    dither: float = field(default=0.0, metadata=ranged(min=0))
    low_freq: float = field(default=20.0, metadata=ranged(min=0))
    high_freq: float = field(default=0.0, metadata=ranged())  # <= 0: offset from Nyquist
    use_energy: bool = False
    # Kaldi's default; "hamming" is AVATAR's (Gabeur thesis §5.2.1). Added after fbank stores
    # existed: left out of the recorded recipe while "povey", so those stores still match.
    window_type: str = field(default="povey", metadata=ADDED_LATER)

    def check(self) -> None:
        check_frames("fbank", self.frame_length_ms, self.frame_shift_ms, self.sample_rate)
        if self.window_type not in WINDOW_TYPES:
            raise ConfigError(f"fbank: window_type={self.window_type!r}: choose one of "
                              f"{', '.join(WINDOW_TYPES)}")
        nyquist = self.sample_rate / 2
        high = self.high_freq if self.high_freq > 0 else nyquist + self.high_freq
        if not self.low_freq < high <= nyquist:
            raise ConfigError(f"fbank: need low_freq < high_freq <= sample_rate/2 ({nyquist:g} "
                              f"Hz; high_freq <= 0 counts down from it); got "
                              f"low_freq={self.low_freq:g}, high_freq={self.high_freq:g}")


@extractors.register("fbank")
class FbankExtractor(AudioExtractor):
    name = "fbank"
    config_type = FbankConfig

    @property
    def frame_rate(self) -> float:
        return 1000.0 / self.config.frame_shift_ms

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (self.config.num_mel_bins + int(self.config.use_energy),)

    @property
    def min_samples(self) -> int:
        return int(self.config.sample_rate * self.config.frame_length_ms / 1000)

    def compute(self, wav: np.ndarray) -> np.ndarray:
        import torch
        from torchaudio.compliance import kaldi

        cfg = self.config
        feats = kaldi.fbank(
            torch.from_numpy(wav * 32768.0).unsqueeze(0),
            num_mel_bins=cfg.num_mel_bins, frame_length=cfg.frame_length_ms,
            frame_shift=cfg.frame_shift_ms, dither=cfg.dither, low_freq=cfg.low_freq,
            high_freq=cfg.high_freq, use_energy=cfg.use_energy,
            sample_frequency=cfg.sample_rate, window_type=cfg.window_type,
        )
        return feats.numpy().astype(np.float32)
