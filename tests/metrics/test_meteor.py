"""METEOR 1.5 through the official jar (runs when java and pycocoevalcap are present)."""

from __future__ import annotations

import pytest

from avtool.metrics import meteor
from avtool.metrics.captioning import caption_scores

# digest avsd-004 §4.2 golden vectors (pycocoevalcap 1.2)
REFS = {
    "v1_0": ["yes he is holding a cup", "yes he holds a cup of coffee"],
    "v2_3": ["no there is no sound", "i do not hear any sound", "no sound at all"],
    "v3_9": ["a dog barks twice", "the dog barks two times"],
    "v4_1": ["he walks to the left", "he moves to the left side of the room"],
}
HYPS = {"v1_0": "yes he is holding a cup", "v2_3": "no there is no sound in the video",
        "v3_9": "i hear a dog barking", "v4_1": "he walks to the right"}

needs_meteor = pytest.mark.skipif(bool(meteor.unavailable_reason()),
                                  reason=meteor.unavailable_reason() or "available")


@needs_meteor
def test_golden_meteor():
    s = caption_scores(HYPS, REFS)
    assert s.meteor == pytest.approx(0.459786, abs=1e-6)
    assert s.meteor_items == pytest.approx((1.0, 0.510442, 0.296203, 0.363523), abs=1e-6)
    assert s.to_dict()["METEOR"] == s.meteor
    assert "1.5" in s.meteor_note


@needs_meteor
def test_corpus_meteor_is_not_mean_of_segments_and_scorer_is_reused():
    scorer = meteor.shared_scorer()
    assert meteor.shared_scorer() is scorer
    corpus, segs = scorer.score([HYPS[k] for k in REFS], [REFS[k] for k in REFS])
    assert corpus == pytest.approx(0.459786, abs=1e-6)
    assert corpus != pytest.approx(sum(segs) / len(segs), abs=1e-3)
    # separator and empty hypotheses are sanitised, not protocol errors
    corpus2, segs2 = scorer.score(["a ||| b", ""], [["a b"], ["x"]])
    assert len(segs2) == 2 and segs2[1] == 0.0 and 0.0 <= corpus2 <= 1.0


def test_unavailable_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr("avtool.metrics.coco_java.java_executable", lambda: None)
    assert "java" in meteor.unavailable_reason()
    s = caption_scores(HYPS, REFS)
    assert s.meteor is None and s.meteor_items is None
    assert "unavailable" in s.meteor_note and "java" in s.meteor_note
    assert s.to_dict()["METEOR"] is None
    assert s.cider == pytest.approx(3.433594, abs=1e-6)
