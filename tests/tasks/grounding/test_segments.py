"""The M-segment grid: pooling by frame centre time, ground-truth weights (Eq. 2's delta)."""

from __future__ import annotations

import numpy as np
import pytest

from avtool.errors import MediaError
from avtool.tasks.grounding.segments import pool_segments, segment_weights


def test_pool_means_frames_by_centre_time():
    frames = np.arange(8, dtype=np.float32)[:, None]  # 8 frames at 2 fps over 4 s
    out = pool_segments(frames, 2.0, 4.0, 4)
    assert out[:, 0].tolist() == [0.5, 2.5, 4.5, 6.5]


def test_pool_fills_empty_segments_with_nearest_and_averages_extra_axes():
    frames = np.ones((2, 3, 5), np.float32) * np.array([1, 2])[:, None, None]
    out = pool_segments(frames, 1.0, 2.0, 8)  # 2 frames, 8 segments
    assert out.shape == (8, 5)
    assert out[0, 0] == 1 and out[-1, 0] == 2


def test_pool_refuses_no_frames():
    with pytest.raises(MediaError, match="shorter than one frame"):
        pool_segments(np.zeros((0, 4)), 1.0, 0.5, 4)


def test_weights_cover_overlapped_segments_normalised():
    w = segment_weights(2.5, 5.0, 10.0, 4)  # segments [0,2.5) [2.5,5) [5,7.5) [7.5,10)
    assert w.tolist() == [0, 1, 0, 0]
    w = segment_weights(2.0, 6.0, 10.0, 4)
    assert np.allclose(w, [1 / 3, 1 / 3, 1 / 3, 0])


def test_weights_of_zero_length_moment_hold_its_segment():
    w = segment_weights(3.0, 3.0, 10.0, 4)
    assert w.sum() == pytest.approx(1) and w[1] == 1
