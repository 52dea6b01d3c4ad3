"""`spectrogram`: the VGGVox input, a normalised magnitude spectrogram.

Thin-ResNet (default, the released code): 25 ms Hamming window, 10 ms hop, 512-point FFT
giving 257 bins (DC kept), linear magnitude, mean and variance normalised per frequency bin
over the utterance. `variant=vgg-m` follows the thesis's VGG-M text: 1024-point FFT with the
DC bin dropped, 512 bins. `normalize=frame` is the §2.6.3 reading (per time step).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avtool.errors import ConfigError
from avtool.features.base import SAMPLE_RATE, SECONDS, AudioExtractor, check_frames, extractors

_VARIANTS = {"thin-resnet": (512, False), "vgg-m": (1024, True)}


@dataclass(frozen=True)
class SpectrogramConfig:
    sample_rate: int = field(default=16_000, metadata=SAMPLE_RATE)
    variant: str = "thin-resnet"
    win_s: float = field(default=0.025, metadata=SECONDS)
    hop_s: float = field(default=0.010, metadata=SECONDS)
    normalize: str = "bin"  # bin | frame | none

    def __post_init__(self) -> None:
        if self.variant not in _VARIANTS:
            raise ConfigError(f"spectrogram: variant must be one of {', '.join(_VARIANTS)}")
        if self.normalize not in ("bin", "frame", "none"):
            raise ConfigError("spectrogram: normalize must be bin, frame or none")

    def check(self) -> None:
        check_frames("spectrogram", 1000 * self.win_s, 1000 * self.hop_s, self.sample_rate)
        if round(self.win_s * self.sample_rate) > _VARIANTS[self.variant][0]:
            raise ConfigError(f"spectrogram: win_s={self.win_s:g} is longer than the "
                              f"{_VARIANTS[self.variant][0]}-point FFT of variant "
                              f"{self.variant}")


@extractors.register("spectrogram")
class SpectrogramExtractor(AudioExtractor):
    name = "spectrogram"
    config_type = SpectrogramConfig

    @property
    def n_fft(self) -> int:
        return _VARIANTS[self.config.variant][0]

    @property
    def frame_rate(self) -> float:
        return 1.0 / self.config.hop_s

    @property
    def frame_shape(self) -> tuple[int, ...]:
        n_fft, drop_dc = _VARIANTS[self.config.variant]
        return (n_fft // 2 + 1 - int(drop_dc),)

    def compute(self, wav: np.ndarray) -> np.ndarray:
        import torch

        cfg = self.config
        n_fft, drop_dc = _VARIANTS[cfg.variant]
        win = int(round(cfg.win_s * cfg.sample_rate))
        hop = int(round(cfg.hop_s * cfg.sample_rate))
        spec = torch.stft(
            torch.from_numpy(wav), n_fft=n_fft, hop_length=hop, win_length=win,
            window=torch.hamming_window(win), center=True, return_complex=True,
        ).abs().T.numpy()  # (frames, bins)
        if drop_dc:
            spec = spec[:, 1:]
        if cfg.normalize == "bin":
            spec = (spec - spec.mean(0)) / (spec.std(0) + 1e-5)
        elif cfg.normalize == "frame":
            spec = (spec - spec.mean(1, keepdims=True)) / (spec.std(1, keepdims=True) + 1e-5)
        return spec.astype(np.float32)
