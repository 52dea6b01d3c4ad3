"""``--asd syncnet``: the SyncNet-architecture network (`avtool.tasks.active_speaker`) on
curate's face tracks, with the outputs and decisions of `active_speaker`.

Per track, SyncNet's offset search over +-``vshift`` frames gives the AV offset and the
confidence (median minus minimum of the frame-averaged distances); each frame's confidence
(median minus its distance at the track's offset, median-filtered over ``median_kernel``)
is then averaged over the ``window`` frames centred on it, so a frame speaks when its
25-frame window does, as with SyncLite.
"""

from __future__ import annotations

import numpy as np

from avtool.tasks.curate.active_speaker import SyncScore
from avtool.tasks.curate.config import AsdConfig


def window_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of `values` over the `window` frames centred on each (fewer at the ends)."""
    kernel = np.ones(window)
    total = np.convolve(values, kernel, mode="same")
    count = np.convolve(np.ones(len(values)), kernel, mode="same")
    return (total / np.maximum(count, 1)).astype(np.float32)


def syncnet_scores(net, mouths: list[np.ndarray], firsts: list[int], wav: np.ndarray,
                   sample_rate: int, n_frames: int, config: AsdConfig) -> list[SyncScore]:
    """`SyncScore`s of a video's tracks by the network `net` (a `load_sync_model` result)."""
    from avtool.tasks.active_speaker.predictor import score_tracks
    from avtool.tasks.active_speaker.windows import mfcc

    if not mouths:
        return []
    features = mfcc(wav, sample_rate)
    scores = score_tracks(net.net, mouths, firsts, features, n_frames, config.vshift,
                          config.median_kernel)
    return [SyncScore(s.offset, s.confidence, window_mean(s.frame_confidence, config.window))
            for s in scores]
