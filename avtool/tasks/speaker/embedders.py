"""Speaker embedders: one interface for every model that `avtool verify-speaker` can use.

An embedder maps a mono float32 waveform at its ``sample_rate`` (16 kHz) to one unit-norm
vector. Two kinds exist:

* ``"ge2e"`` (the default): the GE2E speaker encoder whose weights the ``resemblyzer`` package
  ships, run through avtool's own model and features (:mod:`avtool.tasks.speaker.ge2e_net`) with the
  preprocessing and partial-window rule of resemblyzer's ``preprocess_wav`` and
  ``VoiceEncoder.embed_utterance``.
* any checkpoint written by ``avtool train --task speaker``: loaded by
  :func:`avtool.tasks.speaker.task.load_embedder` (VGGVox family).

Example::

    emb = load_embedder("ge2e", device="cpu")
    vec = emb.embed(wav)            # (emb.dim,), float32, L2 norm 1

An embedder may also offer ``embed_many(wavs) -> (n, dim)`` to batch several waveforms
(GE2E does: all partial windows of all waveforms go through the LSTM together); callers use it
when present and fall back to ``embed`` otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from avtool.errors import ConfigError, MediaError

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


@runtime_checkable
class Embedder(Protocol):
    """What a speaker embedder provides.

    Attributes:
        name: short model name recorded with scores and used for cache feature names
            (e.g. ``"ge2e"``); letters, digits, ``-``, ``_`` and ``.`` only.
        sample_rate: the rate ``embed`` expects (16000 for every avtool model).
        min_seconds: the shortest input the model accepts; ``embed`` raises ``MediaError``
            below it.
        dim: embedding dimension.
        threshold: calibrated cosine decision threshold, or ``None`` when the model has none.
        config: plain-data description of the model and its preprocessing (stored with cached
            embeddings; a different config means a different cache).
        checksum: identifies the weights (e.g. sha256 of the checkpoint file).
    """

    name: str
    sample_rate: int
    min_seconds: float
    dim: int
    threshold: float | None
    config: dict
    checksum: str

    def embed(self, wav: np.ndarray) -> np.ndarray:
        """One mono float32 waveform at ``sample_rate`` -> (dim,) float32, unit norm.

        Raises:
            MediaError: the waveform is shorter than ``min_seconds`` or silent.
        """
        ...


def load_embedder(model: str, device: Any = "cpu", **options: Any) -> Embedder:
    """The embedder for ``model``: ``"ge2e"`` or a path to a speaker checkpoint.

    Args:
        model: ``"ge2e"`` for the GE2E default, otherwise a checkpoint (``best.pt`` or a run
            directory) from ``avtool train --task speaker``.
        device: ``"cpu"``, ``"cuda"`` or a torch device.
        options: fields of :class:`GE2EConfig`; only for ``"ge2e"``.

    Raises:
        ModelError: the weights cannot be loaded.
        ConfigError: an unknown option, or options given for a checkpoint.
    """
    if str(model).strip().lower() == GE2E:
        return GE2EEmbedder(_ge2e_config(options), device=device)
    if options:
        raise ConfigError(
            f"option(s) {', '.join(sorted(options))} apply only to --model ge2e, not {model}"
        )
    from avtool.tasks.speaker.task import load_embedder as load_checkpoint_embedder

    return load_checkpoint_embedder(model, device)


# --------------------------------------------------------------------------- preprocessing


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


SILENCE_PEAK = 1e-4
MIN_SPEECH_SECONDS = 0.5
"""GE2E: the least speech left after silence trimming."""
INT16_MAX = 2**15 - 1


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


# --------------------------------------------------------------------------- GE2E


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


def _ge2e_config(options: dict[str, Any]) -> GE2EConfig:
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

        from avtool.tasks.speaker.ge2e_net import (
            GE2EMel,
            file_sha256,
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
