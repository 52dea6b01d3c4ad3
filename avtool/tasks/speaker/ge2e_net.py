"""GE2E speaker encoder (Wan et al., 2018), as trained by the ``resemblyzer`` package.

Two modules:

* :class:`GE2EMel`: the encoder's input features, a *power* mel spectrogram (not log)
  reproducing ``librosa.feature.melspectrogram`` with resemblyzer's settings: 16 kHz, 400-sample
  (25 ms) periodic Hann window, 160-sample (10 ms) hop, ``center=True`` with zero padding,
  |STFT|², 40 Slaney-scale mel bands with Slaney area normalisation, 0 to 8 kHz.
* :class:`GE2EEncoder`: 3-layer LSTM (40 -> 256), linear 256 -> 256 on the last layer's final
  hidden state, ReLU, L2 normalisation. State-dict keys (``lstm.*``, ``linear.*``) match
  resemblyzer's ``pretrained.pt`` (which also holds ``similarity_weight``/``similarity_bias``
  of the training loss; they are not needed for embedding and are ignored).

:func:`load_pretrained_ge2e` reads the weights from the installed package; nothing is downloaded.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from avtool.errors import ModelError

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s
HIDDEN = 256
EMBEDDING = 256
LAYERS = 3


def slaney_mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0,
                          fmax: float | None = None) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters on the Slaney mel scale, area-normalised.

    The Slaney scale is linear below 1 kHz (200/3 Hz per mel) and logarithmic above
    (``log(6.4) / 27`` per mel); each filter is scaled by ``2 / (f_right - f_left)``.
    Computed in float64 like librosa's ``filters.mel(htk=False, norm="slaney")``.
    """
    fmax = sample_rate / 2 if fmax is None else fmax
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0

    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, dtype=np.float64)
        mel = f / f_sp
        high = f >= min_log_hz
        mel[high] = min_log_mel + np.log(f[high] / min_log_hz) / logstep
        return mel

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        m = np.asarray(m, dtype=np.float64)
        f = f_sp * m
        high = m >= min_log_mel
        f[high] = min_log_hz * np.exp(logstep * (m[high] - min_log_mel))
        return f

    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    edges = hz_to_mel(np.array([fmin, fmax]))
    mel_f = mel_to_hz(np.linspace(edges[0], edges[1], n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return weights.astype(np.float32)


class GE2EMel(nn.Module):
    """Waveform (batch, samples) or (samples,) -> power mel frames (batch, frames, 40).

    Frames: ``1 + samples // 160`` (centred windows), as librosa.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)
        fb = torch.from_numpy(slaney_mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS))
        self.register_buffer("filterbank", fb.T.contiguous(), persistent=False)  # (201, 40)

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wav, N_FFT, HOP, N_FFT, window=self.window, center=True,
                          pad_mode="constant", return_complex=True)
        power = spec.real.square() + spec.imag.square()  # (..., 201, frames)
        return torch.matmul(power.transpose(-1, -2), self.filterbank)


class GE2EEncoder(nn.Module):
    """Mel frames (batch, frames, 40) -> unit-norm embeddings (batch, 256), all >= 0."""

    def __init__(self, n_mels: int = N_MELS, hidden: int = HIDDEN, embedding: int = EMBEDDING,
                 layers: int = LAYERS) -> None:
        super().__init__()
        self.lstm = nn.LSTM(n_mels, hidden, layers, batch_first=True)
        self.linear = nn.Linear(hidden, embedding)
        self.relu = nn.ReLU()

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = self.relu(self.linear(hidden[-1]))
        # Clamp only guards an all-zero ReLU output (never seen with the pretrained weights).
        return raw / raw.norm(dim=1, keepdim=True).clamp_min(1e-12)


def pretrained_path() -> Path:
    """``pretrained.pt`` inside the installed resemblyzer package (found without importing it:
    importing resemblyzer pulls in librosa)."""
    import importlib.util

    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "--model ge2e needs the GE2E weights shipped by the 'resemblyzer' package "
            "(pretrained.pt); install it with: pip install resemblyzer"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise ModelError(f"{path}: GE2E weights missing from the resemblyzer package")
    return path


def load_pretrained_ge2e(path: str | Path | None = None) -> GE2EEncoder:
    """The encoder with resemblyzer's weights (``path`` overrides the packaged file)."""
    path = Path(path) if path is not None else pretrained_path()
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        state = checkpoint["model_state"]
    except Exception as err:  # torch raises many types for a bad file
        raise ModelError(f"{path}: cannot load GE2E weights ({type(err).__name__}: {err})") from None
    model = GE2EEncoder()
    wanted = {k: v for k, v in state.items() if k.startswith(("lstm.", "linear."))}
    missing, unexpected = model.load_state_dict(wanted, strict=False)
    if missing or unexpected:
        raise ModelError(f"{path}: not a GE2E encoder state (missing {missing}, "
                         f"unexpected {unexpected})")
    return model.eval()
