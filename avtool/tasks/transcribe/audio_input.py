"""Audio on its way into a transcriber: read (any sound file or a video's audio track, 16 kHz
mono), refused when no recogniser could use it, then put under the evaluation noise.

Shared by every transcriber so that the checks, their messages and the noise are the same
whichever ``--model`` runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avtool.errors import MediaError
from avtool.tasks.transcribe.noise import DEFAULT_SNR_DB, apply_noise

SAMPLE_RATE = 16_000
MIN_SECONDS = 0.1
"""Shorter audio holds no word (a short word lasts about 0.15 s): refused as too short."""


def read_speech_audio(path: str | Path, *, start: float | None = None, end: float | None = None,
                      noise: str = "clean", seed: int = 0, snr_db: float = DEFAULT_SNR_DB,
                      model: str = "the recogniser") -> np.ndarray:
    """The 16 kHz mono waveform of ``path`` (or of its ``start``..``end`` excerpt) under
    ``noise``, drawn from a generator seeded with ``seed``.

    Raises:
        MediaError naming the file: missing, empty, corrupt, no audio stream, shorter than
        `MIN_SECONDS`, silent, or not finite.
    """
    from avtool.media.audio import read_audio
    from avtool.tasks.speaker.speech_input import check_speech_input

    wav, _ = read_audio(path, SAMPLE_RATE, start=start, end=end)
    try:
        check_speech_input(wav, SAMPLE_RATE, MIN_SECONDS, model)
    except MediaError as err:
        raise MediaError(f"{path}: {err}") from None
    if noise == "clean":
        return wav
    return apply_noise(wav, SAMPLE_RATE, noise, np.random.default_rng(seed), snr_db)
