"""`mfcc`: Kaldi-compatible MFCCs (torchaudio.compliance.kaldi), 13 cepstra by default."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.errors import ConfigError
from avtool.features.base import (
    MILLISECONDS,
    SAMPLE_RATE,
    AudioExtractor,
    check_frames,
    extractors,
)


@dataclass(frozen=True)
class MfccConfig:
    sample_rate: int = field(default=16_000, metadata=SAMPLE_RATE)
    num_ceps: int = field(default=13, metadata=ranged(min=1, max=1024))
    num_mel_bins: int = field(default=23, metadata=ranged(min=1, max=1024))
    frame_length_ms: float = field(default=25.0, metadata=MILLISECONDS)
    frame_shift_ms: float = field(default=10.0, metadata=MILLISECONDS)
    dither: float = field(default=0.0, metadata=ranged(min=0))

    def check(self) -> None:
        check_frames("mfcc", self.frame_length_ms, self.frame_shift_ms, self.sample_rate)
        if self.num_ceps > self.num_mel_bins:
            raise ConfigError(f"mfcc: num_ceps={self.num_ceps} exceeds num_mel_bins="
                              f"{self.num_mel_bins}")


@extractors.register("mfcc")
class MfccExtractor(AudioExtractor):
    name = "mfcc"
    config_type = MfccConfig

    @property
    def frame_rate(self) -> float:
        return 1000.0 / self.config.frame_shift_ms

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (self.config.num_ceps,)

    @property
    def min_samples(self) -> int:
        return int(self.config.sample_rate * self.config.frame_length_ms / 1000)

    def compute(self, wav: np.ndarray) -> np.ndarray:
        import torch
        from torchaudio.compliance import kaldi

        cfg = self.config
        feats = kaldi.mfcc(
            torch.from_numpy(wav * 32768.0).unsqueeze(0), num_ceps=cfg.num_ceps,
            num_mel_bins=cfg.num_mel_bins, frame_length=cfg.frame_length_ms,
            frame_shift=cfg.frame_shift_ms, dither=cfg.dither, sample_frequency=cfg.sample_rate,
        )
        return feats.numpy().astype(np.float32)
