"""Active speaker verification: is this face track the voice we hear, and when?

``synclite`` is a weight-free stand-in for SyncNet [Chung & Zisserman 2016] with the same
outputs: per track an AV offset (frames, positive when the audio lags the lips) and a
confidence, and a per-frame confidence. The visual signal is how open the mouth looks: the
darkness (minus the mean luminance) of the lower middle of the face box, grey, 32 x 16; an
open mouth shows its dark inside. The audio signal is the log energy of the 640 samples (one
25-fps frame) under each frame, floored 40 dB below the loudest frame so background noise
stays flat. Both are Pearson-correlated in sliding windows of ``window`` frames at every
shift within +-``vshift``; as SyncNet does with distances, the track's offset is the best
shift of the mean curve, confidence = best - median, and a frame's confidence is the same
contrast of its own window at the track's offset, median-filtered over ``median_kernel``.

(Frame differences of the mouth region, the obvious motion signal, failed on real detector
boxes: the HOG box moves in 8-pixel steps and each step swamps the lips' motion; darkness
is a mean over the region and barely moves with it.)

A track may speak when its offset is within ``max_offset`` (a dubbed track finds its voice
at the wrong offset) and its confidence reaches ``track_threshold`` (a still face over a
voice finds no confident shift); then every window whose confidence reaches ``threshold``
speaks, all its frames (the issue's "windows of 25 frames above the threshold"). Runs
shorter than ``min_frames`` are dropped, and frames where two tracks
speak at once are ambiguous and dropped from both (`speaking_segments`).

``syncnet`` (`avtool.tasks.curate.sync_net`) gives the same three outputs from the trained
network and goes through the same decisions with its own two thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avtool.tasks.curate.config import AsdConfig

MOUTH_SIZE = (32, 16)  # width, height of the mouth region the visual signal is taken from


@dataclass(frozen=True)
class SyncScore:
    offset: int  # frames; positive: the audio comes after the lips
    confidence: float
    frame_confidence: np.ndarray  # per frame of the track


def mouth_region(frame: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The lower middle of a face box (where the mouth is), grey, resized to MOUTH_SIZE."""
    import cv2

    x, y, w, h = (float(v) for v in box[:4])
    H, W = frame.shape[:2]
    x0, x1 = int(np.clip(x + 0.25 * w, 0, W - 1)), int(np.clip(x + 0.75 * w, 1, W))
    y0, y1 = int(np.clip(y + 0.6 * h, 0, H - 1)), int(np.clip(y + 1.0 * h, 1, H))
    crop = frame[y0: max(y1, y0 + 1), x0: max(x1, x0 + 1)]
    grey = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, MOUTH_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)


def mouth_openness(regions: np.ndarray) -> np.ndarray:
    """How open the mouth looks in each frame: minus the mean luminance of its region."""
    return -regions.reshape(len(regions), -1).mean(axis=1).astype(np.float32)


def audio_loudness(wav: np.ndarray, n_frames: int, fps: int, sample_rate: int) -> np.ndarray:
    """Log energy of the samples under each video frame, floored 40 dB below the loudest."""
    hop = sample_rate // fps
    padded = np.zeros(n_frames * hop, np.float64)
    padded[: min(len(wav), len(padded))] = wav[: len(padded)]
    energy = np.mean(padded.reshape(n_frames, hop) ** 2, axis=1)
    return np.log(energy + energy.max() * 1e-4 + 1e-12).astype(np.float32)


def windowed_correlation(v: np.ndarray, a: np.ndarray, first: int, window: int, vshift: int
                         ) -> np.ndarray:
    """Pearson correlation of v (a track's frames, which start at video frame `first`) with
    the audio signal `a` (whole video) shifted by -vshift..vshift, in a window centred on
    every frame: (len(v), 2 * vshift + 1), NaN where the window leaves the signals.

    Window sums come from cumulative sums, so a track costs O(frames x shifts)."""
    n = len(v)
    out = np.full((n, 2 * vshift + 1), np.nan, np.float64)
    if n < window:
        return out
    half = window // 2
    x = v.astype(np.float64)

    def sums(values: np.ndarray) -> np.ndarray:  # sum over every window of `window` values
        c = np.concatenate([[0.0], np.cumsum(values)])
        return c[window:] - c[:-window]

    sx, sxx = sums(x), sums(x * x)
    for j, tau in enumerate(range(-vshift, vshift + 1)):
        idx = np.arange(n) + first + tau
        valid = (idx >= 0) & (idx < len(a))
        y = np.where(valid, a[np.clip(idx, 0, len(a) - 1)], 0.0).astype(np.float64)
        complete = sums((~valid).astype(np.float64)) == 0
        sy, syy, sxy = sums(y), sums(y * y), sums(x * y)
        cov = sxy - sx * sy / window
        var = (sxx - sx * sx / window) * (syy - sy * sy / window)
        with np.errstate(all="ignore"):
            r = np.where(var > 1e-18, cov / np.sqrt(np.maximum(var, 1e-36)), 0.0)
        r[~complete] = np.nan
        out[half: half + len(r), j] = r
    return out


def sync_score(v: np.ndarray, a: np.ndarray, first: int, config: AsdConfig) -> SyncScore:
    """SyncNet-style offset and confidences of one track (see the module docstring)."""
    from scipy.ndimage import median_filter

    corr = windowed_correlation(v, a, first, config.window, config.vshift)
    rows = ~np.isnan(corr).all(axis=1)
    if not rows.any():
        return SyncScore(0, 0.0, np.zeros(len(v), np.float32))
    with np.errstate(all="ignore"):
        mean = np.nanmean(corr[rows], axis=0)
    best = int(np.nanargmax(mean))
    confidence = float(mean[best] - np.nanmedian(mean))
    valid = np.flatnonzero(rows)
    contrast = np.nan_to_num(corr[rows, best] - np.nanmedian(corr[rows], axis=1))
    # The first and last half-windows have no complete window of their own: they take
    # the nearest one's, so speech right after a cut is not lost.
    frame = np.interp(np.arange(len(v)), valid, contrast)
    if config.median_kernel > 1:
        frame = median_filter(frame, size=config.median_kernel, mode="nearest")
    return SyncScore(best - config.vshift, confidence, frame.astype(np.float32))


def runs(mask: np.ndarray, min_length: int) -> list[tuple[int, int]]:
    """[start, end) index ranges of the True runs of `mask` at least `min_length` long."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True)
            if e - s >= min_length]


def speaking_segments(tracks, scores: list[SyncScore], n_frames: int, config: AsdConfig
                      ) -> tuple[list[tuple[int, int, int]], list[dict]]:
    """Speaking runs (track index, first frame, end frame) and the rejections with reasons.

    A frame where two tracks both speak belongs to neither (ambiguous)."""
    speaking = np.zeros((len(tracks), n_frames), bool)
    rejected: list[dict] = []
    track_threshold, threshold = config.thresholds()
    for i, (track, score) in enumerate(zip(tracks, scores, strict=True)):
        above = score.frame_confidence >= threshold
        why = (f"out of sync: AV offset {score.offset:+d} frames (dubbed?)"
               if abs(score.offset) > config.max_offset else
               f"not speaking: sync confidence {score.confidence:.2f} < "
               f"{track_threshold}" if score.confidence < track_threshold
               else None)
        if why:
            rejected.append({"track": i, "first": track.first, "last": track.last,
                             "stage": "active_speaker", "asd_offset": score.offset,
                             "asd_conf": round(score.confidence, 4), "reason": why})
            continue
        # A window above the threshold makes all its `window` frames speak (the thesis
        # decides on 25-frame windows); VAD later trims the run to its speech.
        half = config.window // 2
        grown = np.convolve(above.astype(np.int32), np.ones(2 * half + 1, np.int32),
                            mode="same") > 0
        speaking[i, track.first: track.last + 1] = grown
    both = speaking.sum(axis=0) > 1
    for i in np.flatnonzero(speaking[:, both].any(axis=1)):
        frames = np.flatnonzero(both & speaking[i])
        rejected.append({"track": int(i), "first": int(frames[0]), "last": int(frames[-1]),
                         "stage": "active_speaker",
                         "reason": "ambiguous: two faces speak at once"})
    speaking[:, both] = False
    segments = [(i, s, e) for i in range(len(tracks))
                for s, e in runs(speaking[i], config.min_frames)]
    return segments, rejected
