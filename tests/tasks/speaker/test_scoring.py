"""Vectorised cosine trial scoring and the score-file evaluation used by the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avtool.errors import ConfigError, FormatError
from avtool.tasks.speaker.scoring import evaluate_trials, score_trials, trial_index

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "speaker"


def _naive(a, b, emb):
    return np.array([np.dot(emb[i], emb[j]) / (np.linalg.norm(emb[i]) * np.linalg.norm(emb[j]))
                     for i, j in zip(a, b, strict=True)])


@pytest.mark.parametrize("chunk", [1, 7, 100_000])
def test_score_trials_matches_per_trial_cosine(chunk):
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(50, 16)) * rng.uniform(0.1, 10, size=(50, 1))  # not unit length
    a = rng.integers(0, 50, 333)
    b = rng.integers(0, 50, 333)
    got = score_trials(a, b, emb, chunk_size=chunk)
    np.testing.assert_allclose(got, _naive(a, b, emb), atol=1e-12)
    assert got.dtype == np.float64


def test_score_trials_float32_and_bounds():
    emb = np.array([[1.0, 0.0], [2.0, 0.0], [-3.0, 0.0], [0.0, 5.0]], dtype=np.float32)
    got = score_trials([0, 0, 0, 1], [1, 2, 3, 1], emb)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [1.0, -1.0, 0.0, 1.0], atol=1e-7)
    assert score_trials(np.array([], int), np.array([], int), emb).shape == (0,)


def test_score_trials_errors():
    emb = np.eye(3)
    with pytest.raises(ValueError, match="out of range"):
        score_trials([0], [3], emb)
    with pytest.raises(ValueError, match="equal length"):
        score_trials([0, 1], [1], emb)
    with pytest.raises(ValueError, match="2-D"):
        score_trials([0], [1], np.ones(3))
    with pytest.raises(ValueError, match="integers"):
        score_trials([0.0], [1.0], emb)
    zero = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="embedding 1 has norm 0"):
        score_trials([0], [1], zero)
    assert score_trials([0], [2], zero)[0] == 0.0  # an unused zero row is fine


def test_trial_index():
    keys, a, b = trial_index(["x.wav", "y.wav", "x.wav"], ["y.wav", "z.wav", "z.wav"])
    assert keys == ["x.wav", "y.wav", "z.wav"]
    assert a.tolist() == [0, 1, 0] and b.tolist() == [1, 2, 2]


def test_evaluate_trials_on_fixtures():
    ev = evaluate_trials(FIX / "scores.txt", FIX / "veri_test2.txt", p_targets=(0.01, 0.05))
    # targets 0.9 0.8 0.4, non-targets 0.7 0.41 0.3 0.2: the ROC crosses P_miss = P_fa on the
    # segment from (P_fa 1/4, P_miss 1/3) to (1/2, 1/3), at 1/3.
    assert ev.result.eer == pytest.approx(100 / 3)
    assert ev.result.min_dcf_at(0.01).min_dcf == pytest.approx(1 / 3)
    assert ev.n_unused_scores == 2
    d = ev.to_dict()
    assert d["trials"].endswith("veri_test2.txt") and d["n_target"] == 3
    assert len(d["trial_list_sha256"]) == 64


def test_evaluate_trials_errors(tmp_path):
    with pytest.raises(ConfigError, match="--p-target must be strictly between 0 and 1"):
        evaluate_trials(FIX / "scores.txt", FIX / "veri_test.txt", p_targets=(1.5,))
    with pytest.raises(ConfigError, match="given twice"):
        evaluate_trials(FIX / "scores.txt", FIX / "veri_test.txt", p_targets=(0.01, 0.01))
    with pytest.raises(ConfigError, match="--eer-mode"):
        evaluate_trials(FIX / "scores.txt", FIX / "veri_test.txt", eer_mode="x")
    with pytest.raises(ConfigError, match="--c-miss"):
        evaluate_trials(FIX / "scores.txt", FIX / "veri_test.txt", c_miss=0)
    only_targets = tmp_path / "t.txt"
    only_targets.write_text("1 a b\n1 a c\n")
    with pytest.raises(FormatError, match=r"t\.txt: EER and minDCF need .* 2 target and 0 non"):
        evaluate_trials(FIX / "scores.txt", only_targets)
