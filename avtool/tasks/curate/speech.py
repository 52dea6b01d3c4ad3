"""Speech trimming: silero-vad (its weights ship in the package) cuts a speaking segment
to the span from its first to its last speech, so a segment neither starts nor ends in
silence; ``vad = "none"`` keeps the segment as active speaker detection gave it (the
thesis used no VAD)."""

from __future__ import annotations

import functools

import numpy as np

from avtool.tasks.curate.config import SpeechConfig


@functools.lru_cache(maxsize=1)
def _silero():
    import warnings

    from silero_vad import load_silero_vad

    with warnings.catch_warnings():  # its loader's importlib and torch.jit deprecations
        warnings.simplefilter("ignore", DeprecationWarning)
        return load_silero_vad()


def speech_span(wav: np.ndarray, sample_rate: int, config: SpeechConfig
                ) -> tuple[int, int] | None:
    """[start, end) samples of the speech in `wav` (16 kHz mono), or None if none."""
    if config.vad == "none":
        return (0, len(wav)) if len(wav) else None
    import torch
    from silero_vad import get_speech_timestamps

    stamps = get_speech_timestamps(torch.from_numpy(np.ascontiguousarray(wav, np.float32)),
                                   _silero(), sampling_rate=sample_rate)
    if not stamps:
        return None
    return int(stamps[0]["start"]), int(stamps[-1]["end"])
