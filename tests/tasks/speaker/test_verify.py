"""Crops for test-time augmentation, TTA scoring identities and adaptive s-norm (numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from avtool.errors import ConfigError
from avtool.tasks.speaker.snorm import cohort_stats, snorm_scores
from avtool.tasks.speaker.tta import check_tta, crop_waveform, scoring_vector
from avtool.tasks.speaker.verify import default_cache, resolve_threshold


def test_crops_are_evenly_spaced_and_loop_padded():
    wav = np.arange(16000 * 7, dtype=np.float32)
    crops = crop_waveform(wav, 16000)
    assert len(crops) == 10 and all(len(c) == 48000 for c in crops)
    starts = [int(c[0]) for c in crops]
    assert starts[0] == 0 and starts[-1] == len(wav) - 48000
    assert np.ptp(np.diff(starts)) <= 1
    short = np.arange(16000 * 2, dtype=np.float32)
    (crop,) = crop_waveform(short, 16000)
    assert len(crop) == 48000 and np.array_equal(crop[32000:], short[:16000])


def test_tta_scores_are_the_thesis_definitions():
    rng = np.random.default_rng(0)
    a = np.abs(rng.normal(size=(10, 8)))
    b = np.abs(rng.normal(size=(7, 8)))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    mean_of_100 = np.mean(a @ b.T)  # every crop pair
    assert scoring_vector(a, "crops100") @ scoring_vector(b, "crops100") == pytest.approx(
        mean_of_100)
    ma, mb = a.mean(0), b.mean(0)
    cos = ma @ mb / np.linalg.norm(ma) / np.linalg.norm(mb)
    assert scoring_vector(a, "crops10") @ scoring_vector(b, "crops10") == pytest.approx(cos)
    assert scoring_vector(a[:1], "whole") @ scoring_vector(b[:1], "whole") == pytest.approx(
        a[0] @ b[0])


def test_snorm_hand_worked():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]])
    cohort = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [0.8, 0.6]])
    # file 0 scores 1, .6, 0, .8 -> top 2 = {1, .8}: mean .9, std .1
    # file 1 scores 0, .8, 1, .6 -> top 2 = {1, .8}: mean .9, std .1
    stats = cohort_stats(vectors, cohort, top=2)
    np.testing.assert_allclose(stats.mean, [0.9, 0.9])
    np.testing.assert_allclose(stats.std, [0.1, 0.1])
    out = snorm_scores(np.array([0.5]), np.array([0]), np.array([1]), stats)
    np.testing.assert_allclose(out, [(0.5 - 0.9) / 0.1])
    # the cohort entry from the same source file is left out
    stats = cohort_stats(vectors, cohort, top=2, sources=["x", "y"],
                         cohort_sources=["x", "p", "q", "r"])
    np.testing.assert_allclose(stats.mean[0], 0.7)  # {.8, .6}
    assert stats.top == 2 and stats.cohort_size == 4
    assert cohort_stats(vectors, cohort, top=99).top == 4  # capped: plain s-norm


def test_snorm_errors():
    v = np.eye(2)
    with pytest.raises(ConfigError, match="at least 2"):
        cohort_stats(v, v[:1], top=5)
    with pytest.raises(ConfigError, match="dimensions differ"):
        cohort_stats(v, np.ones((4, 3)), top=2)
    with pytest.raises(ConfigError, match="at least 1"):
        cohort_stats(v, v, top=0)


def test_small_helpers(tmp_path):
    assert default_cache(tmp_path / "scores.txt") == tmp_path / "scores.emb.h5"
    with pytest.raises(ConfigError, match="choose one of whole, crops10, crops100"):
        check_tta("crops5")

    class NoThreshold:
        name, threshold = "vggvox", None

    assert resolve_threshold(NoThreshold(), None)[0] == 0.5
    assert resolve_threshold(NoThreshold(), 0.3) == (0.3, "--threshold")
