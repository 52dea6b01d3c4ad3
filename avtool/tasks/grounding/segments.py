"""The segment grid: every video becomes exactly M segments, whatever its length.

Segment j covers ``[j, j+1) * duration / M`` (digest caption-alignment-000 P1: resampling to a
fixed M keeps index j at time j/M, so the attention-weight regressor knows where it is; ABLR's
variable-length padding made it guess). Each stream's frames are averaged inside a segment by
their centre time (P16: video, audio and transcript attention index the same time bins); a
segment no frame falls in takes the nearest frame. Frames of more than one axis (``vggish``'s
96 x 64 examples) are averaged over all but the last axis first.

Ground-truth weights (`segment_weights`, Eq. 2's delta): the segments overlapping
``[start, end]`` (ABLR counts boundary segments in), always the one holding the midpoint
(P8: a very short moment still has one), normalised to sum to 1 (Eq. 2's 1/sum(delta)).
"""

from __future__ import annotations

import numpy as np

from avtool.errors import MediaError


def frames_2d(frames: np.ndarray) -> np.ndarray:
    """(T, D) float32: frames of more axes averaged over all but the last one."""
    a = np.asarray(frames, np.float32)
    if a.ndim == 1:
        return a[:, None]
    if a.ndim > 2:
        a = a.reshape(len(a), -1, a.shape[-1]).mean(axis=1)
    return a


def pool_segments(frames: np.ndarray, frame_rate: float, duration: float, m: int,
                  what: str = "features") -> np.ndarray:
    """(M, D): mean of the frames whose centre time falls in each segment."""
    a = frames_2d(frames)
    if len(a) == 0:
        raise MediaError(f"{what}: no frames: the video ({duration:g} s) is shorter than one "
                         f"frame of this stream ({1 / frame_rate:g} s)")
    if not duration > 0:
        raise MediaError(f"{what}: duration must be positive, got {duration}")
    centre = (np.arange(len(a)) + 0.5) / float(frame_rate)
    index = np.clip((centre / duration * m).astype(np.int64), 0, m - 1)
    sums = np.zeros((m, a.shape[1]), np.float64)
    np.add.at(sums, index, a)
    counts = np.bincount(index, minlength=m)
    out = np.empty((m, a.shape[1]), np.float32)
    have = counts > 0
    out[have] = (sums[have] / counts[have, None]).astype(np.float32)
    if not have.all():
        seg_centre = (np.arange(m) + 0.5) * duration / m
        nearest = np.clip(np.searchsorted(centre, seg_centre[~have]), 0, len(a) - 1)
        out[~have] = a[nearest]
    return out


def segment_weights(start: float, end: float, duration: float, m: int) -> np.ndarray:
    """(M,) normalised ground-truth weights of a moment (module docstring)."""
    s = min(max(start / duration, 0.0), 1.0) * m
    e = min(max(end / duration, 0.0), 1.0) * m
    delta = np.zeros(m, np.float32)
    lo, hi = int(np.floor(s)), int(np.ceil(e))
    delta[max(lo, 0):min(max(hi, lo + 1), m)] = 1.0
    delta[min(int((s + e) / 2), m - 1)] = 1.0
    return delta / delta.sum()
