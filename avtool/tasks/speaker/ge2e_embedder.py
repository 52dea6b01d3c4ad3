"""The GE2E default embedder of `avtool verify-speaker` (``--model ge2e``).

The GE2E speaker encoder whose weights the ``resemblyzer`` package ships, run through avtool's
own model and features (:mod:`avtool.tasks.speaker.ge2e_net`) with the preprocessing and
partial-window rule of resemblyzer's ``preprocess_wav`` and ``VoiceEncoder.embed_utterance``.
Its ``embed_many`` batches several waveforms: all partial windows of all waveforms go through
the LSTM together. Torch is imported only when an embedder is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from avtool.errors import ConfigError, MediaError
from avtool.tasks.speaker.speech_input import (
    check_speech_input,
    normalize_volume,
    trim_long_silences,
)

GE2E = "ge2e"

GE2E_THRESHOLD = 0.6988
"""Cosine decision threshold of the GE2E default: the EER threshold on a synthetic development set,
produced by
``avtool synth speakers --out build/ge2e_dev --speakers 40 --utterances 8 --seed 7`` then
``avtool verify-speaker --trials build/ge2e_dev/trials_e.txt --audio-root build/ge2e_dev/wav
--out build/ge2e_dev/scores.txt`` and ``avtool evaluate speaker --scores
build/ge2e_dev/scores.txt --trials build/ge2e_dev/trials_e.txt --json`` (``eer_threshold``
0.69877 at EER 19.69 % on 320 target + 320 non-target trials; avtool 0.1.0, resemblyzer 0.1.4
weights). Synthetic voices under heavy nuisance: recalibrate (``--threshold``) for real data."""

MIN_SPEECH_SECONDS = 0.5
"""The least speech left after silence trimming."""


@dataclass(frozen=True)
class GE2EConfig:
    """Preprocessing and windowing of the GE2E default (resemblyzer's values)."""

    normalize_volume: bool = True
    target_dbfs: float = -30.0
    trim_silence: bool = True
    rate: float = 1.3
    """Partial windows per second."""
    min_coverage: float = 0.75
    """The last partial window is kept when at least this fraction of it holds audio."""
    batch_size: int = 128
    """Partial windows per LSTM call."""


def ge2e_config(options: dict[str, Any]) -> GE2EConfig:
    """The config that ``--model ge2e`` options (fields of :class:`GE2EConfig`) describe.

    Raises:
        ConfigError: an unknown option or a value out of range.
    """
    fields = {f.name for f in dataclasses.fields(GE2EConfig)}
    unknown = sorted(set(options) - fields)
    if unknown:
        raise ConfigError(f"unknown GE2E option(s) {', '.join(unknown)}; valid: "
                          f"{', '.join(sorted(fields))}")
    config = GE2EConfig(**options)
    if not 0 < config.min_coverage <= 1:
        raise ConfigError(f"GE2E min_coverage must be in (0, 1], got {config.min_coverage}")
    if not 0.625 <= config.rate <= 16000 / 160:
        raise ConfigError(f"GE2E rate must be in [0.625, 100] windows/s, got {config.rate}")
    return config


def partial_slices(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75,
                   hop: int = 160, frames: int = 160, sample_rate: int = 16_000
                   ) -> list[tuple[int, int]]:
    """Frame ranges ``[(start, stop)]`` of the 1.6 s partial windows of an utterance.

    resemblyzer's ``compute_partial_slices``: windows of ``frames`` mel frames every
    ``round(sample_rate / rate / hop)`` frames covering ``ceil((n_samples + 1) / hop)`` frames;
    the last window is dropped when less than ``min_coverage`` of it holds audio, unless it is
    the only one. The waveform is zero-padded to ``stop * hop`` of the last window.
    """
    n_frames = int(np.ceil((n_samples + 1) / hop))
    step = int(np.round((sample_rate / rate) / hop))
    starts = list(range(0, max(1, n_frames - frames + step + 1), step))
    coverage = (n_samples - starts[-1] * hop) / (frames * hop)
    if coverage < min_coverage and len(starts) > 1:
        starts.pop()
    return [(s, s + frames) for s in starts]


class GE2EEmbedder:
    """The GE2E default embedder (see the module docstring)."""

    sample_rate = 16_000
    min_seconds = 1.0
    dim = 256

    def __init__(self, config: GE2EConfig = GE2EConfig(), device: Any = "cpu") -> None:
        import torch

        from avtool.io import file_sha256
        from avtool.tasks.speaker.ge2e_net import (
            GE2EMel,
            load_pretrained_ge2e,
            pretrained_path,
        )

        self.name = GE2E
        self.threshold: float | None = GE2E_THRESHOLD
        self.cfg = config
        self.device = torch.device(str(getattr(device, "value", device)))
        path = pretrained_path()
        self.checksum = file_sha256(path)
        self.encoder = load_pretrained_ge2e(path).to(self.device)
        self.mel = GE2EMel().to(self.device)
        settings = dataclasses.asdict(config)
        settings.pop("batch_size")  # speed only: the same embeddings
        self.config = {"model": GE2E, **settings}

    def preprocess(self, wav: np.ndarray) -> np.ndarray:
        """Check, normalise the volume and trim long silences (as configured)."""
        wav = np.asarray(wav, dtype=np.float32)
        if wav.ndim != 1:
            raise MediaError(f"expected a mono waveform, got shape {wav.shape}")
        check_speech_input(wav, self.sample_rate, self.min_seconds, GE2E)
        if self.cfg.normalize_volume:
            wav = normalize_volume(wav, self.cfg.target_dbfs)
        if self.cfg.trim_silence:
            wav = trim_long_silences(wav, self.sample_rate)
            if len(wav) / self.sample_rate < MIN_SPEECH_SECONDS:
                raise MediaError(
                    f"only {len(wav) / self.sample_rate:.2f} s of speech after silence trimming; "
                    f"{GE2E} needs at least {MIN_SPEECH_SECONDS:g} s"
                )
        return wav

    def embed(self, wav: np.ndarray) -> np.ndarray:
        return self.embed_many([wav])[0]

    def embed_many(self, wavs: Sequence[np.ndarray], preprocess: bool = True) -> np.ndarray:
        """(n, 256) unit-norm embeddings; each is the renormalised mean of its partial windows.

        ``preprocess=False`` skips :meth:`preprocess` (for audio already preprocessed).
        """
        import torch

        if len(wavs) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        mels, owner = [], []
        with torch.inference_mode():
            for index, wav in enumerate(wavs):
                wav = self.preprocess(wav) if preprocess else np.asarray(wav, np.float32)
                slices = partial_slices(len(wav), self.cfg.rate, self.cfg.min_coverage)
                need = slices[-1][1] * 160
                if need >= len(wav):
                    wav = np.pad(wav, (0, need - len(wav)))
                mel = self.mel(torch.from_numpy(wav).to(self.device))
                mels.extend(mel[a:b] for a, b in slices)
                owner.extend([index] * len(slices))
            partial = torch.cat([self.encoder(torch.stack(mels[i: i + self.cfg.batch_size]))
                                 for i in range(0, len(mels), self.cfg.batch_size)])
            sums = torch.zeros(len(wavs), self.dim, device=partial.device)
            sums.index_add_(0, torch.tensor(owner, device=partial.device), partial)
            out = sums / sums.norm(dim=1, keepdim=True)
        return out.cpu().numpy().astype(np.float32)
