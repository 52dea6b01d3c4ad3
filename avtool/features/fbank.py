"""`fbank`: Kaldi-compatible log mel filterbank energies (torchaudio.compliance.kaldi).

Samples are scaled to the int16 range first, as Kaldi reads them, so values match Kaldi's
`compute-fbank-feats`; dither is 0 by default so extraction is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avtool.features.base import AudioExtractor, extractors


@dataclass(frozen=True)
class FbankConfig:
    sample_rate: int = 16_000
    num_mel_bins: int = 80
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    dither: float = 0.0
    low_freq: float = 20.0
    high_freq: float = 0.0
    use_energy: bool = False


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
            sample_frequency=cfg.sample_rate,
        )
        return feats.numpy().astype(np.float32)
