"""`avtool synth retrieval`: plans, captions by kind, files, determinism, CLI."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.formats.msrvtt import read_jsfusion_test, read_msrvtt_data, read_msrvtt_split
from avtool.synth.retrieval import SynthRetrievalConfig, plan_videos


def test_plans_are_deterministic_and_captions_follow_the_truth():
    cfg = SynthRetrievalConfig(videos=60, seed=3)
    plans = plan_videos(cfg)
    assert plans == plan_videos(cfg)
    assert plans != plan_videos(SynthRetrievalConfig(videos=60, seed=4))
    for p in plans:
        kinds = [c.kind for c in p.captions]
        assert kinds.count("visual") == 2
        assert ("audio" in kinds) == bool(p.sound) and ("mixed" in kinds) == bool(p.sound)
        assert ("speech" in kinds) == bool(p.topic) and ("face" in kinds) == (p.face is not None)
        for c in p.captions:
            if c.kind == "speech":  # only the speech answers: no picture or sound word
                assert p.topic in c.text and p.objects[0].color not in c.text
                assert p.topic in p.speech
            if c.kind == "visual":
                assert p.objects[0].shape in c.text
    assert any(p.topic for p in plans) and any(p.face is not None for p in plans)


def test_cli_writes_the_msrvtt_files(tmp_path):
    out = tmp_path / "corpus"
    result = CliRunner().invoke(app, ["synth", "retrieval", "--out", str(out), "--videos", "6",
                                      "--seed", "1", "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["videos"] == 6 and sum(report["splits"].values()) == 6
    data = read_msrvtt_data(out / "MSRVTT_data.json")
    assert len(data.videos) == 6 and len(data.sentences) == sum(report["captions"].values())
    test_ids = {v.video_id for v in data.videos if v.split == "test"}
    assert {q.video_id for q in read_jsfusion_test(out / "MSRVTT_JSFUSION_test.csv")} == test_ids
    assert set(read_msrvtt_split(out / "MSRVTT_train.9k.csv")).isdisjoint(test_ids)
    assert len(list((out / "videos").glob("*.mp4"))) == 6
    first = (out / "videos" / "video0.mp4").read_bytes()
    again = CliRunner().invoke(app, ["synth", "retrieval", "--out", str(out), "--videos", "6",
                                     "--seed", "1", "--workers", "1"])
    assert again.exit_code == 0 and (out / "videos" / "video0.mp4").read_bytes() == first
    other = CliRunner().invoke(app, ["synth", "retrieval", "--out", str(out), "--videos", "7"])
    assert other.exit_code == 2 and "another config" in other.output


def test_text_share_writes_words_and_leaves_the_rest_of_each_plan():
    from avtool.config import config_to_dict
    from avtool.synth.retrieval_text import SIGN_WORDS

    plain = plan_videos(SynthRetrievalConfig(videos=40, seed=3))
    signed = plan_videos(SynthRetrievalConfig(videos=40, seed=3, text_share=0.5))
    assert all(p.text is None and "text" not in p.to_dict() for p in plain)
    assert 10 <= sum(p.text is not None for p in signed) <= 30
    for a, b in zip(plain, signed, strict=True):
        assert (a.objects, a.sound, a.topic, a.face, a.seed) == (b.objects, b.sound, b.topic,
                                                                 b.face, b.seed)
        ocr = [c.text for c in b.captions if c.kind == "ocr"]
        assert [c for c in b.captions if c.kind != "ocr"] == list(a.captions)
        assert (len(ocr) == 2 and all(b.text in c for c in ocr)) if b.text else not ocr
        assert b.text is None or b.text in SIGN_WORDS
    # defaults stay out of config.json, so earlier corpora resume and keep their bytes
    keys = config_to_dict(SynthRetrievalConfig(), "synth_retrieval")
    assert not {"text_share", "long_videos", "long_seconds"} & set(keys)


def test_the_word_is_drawn_over_the_top_of_the_frame_only():
    import dataclasses

    from avtool.synth.corpus import clip_rngs
    from avtool.synth.retrieval_render import render_frames

    cfg = SynthRetrievalConfig(videos=8, seed=5, text_share=1.0, seconds=2)
    plan = plan_videos(cfg)[0]
    with_text = render_frames(plan, cfg, clip_rngs(plan.seed)[1])
    without = render_frames(dataclasses.replace(plan, text=None), cfg, clip_rngs(plan.seed)[1])
    changed = np.abs(with_text.astype(int) - without).max(axis=(0, 2, 3)) > 0
    rows = np.flatnonzero(changed)
    assert rows.size and rows.max() < 0.3 * cfg.height


def test_long_videos_are_deterministic_segments_with_true_timestamps():
    from avtool.synth.retrieval_long import MIN_SEGMENT, plan_long_videos

    cfg = SynthRetrievalConfig(videos=5, seed=2, long_videos=12, long_seconds=24,
                               text_share=0.3)
    plans = plan_long_videos(cfg)
    assert plans == plan_long_videos(cfg) and plans != plan_long_videos(
        SynthRetrievalConfig(videos=5, seed=3, long_videos=12, long_seconds=24))
    # the short videos do not change when long videos are added
    assert plan_videos(cfg) == plan_videos(SynthRetrievalConfig(videos=5, seed=2,
                                                                text_share=0.3))
    assert {len(p.segments) for p in plans} <= {3, 4, 5} and len(plans) == 12
    for p in plans:
        spans = [(s.start, s.end) for s in p.segments]
        assert spans[0][0] == 0 and spans[-1][1] == p.duration == 24
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
        assert all(e - s >= MIN_SEGMENT for s, e in spans)
        for s in p.segments:
            assert s.objects[0].shape in s.sentence and s.sentence.endswith(".")
            assert (s.topic in s.sentence) if s.topic else True
            assert (s.text in s.sentence) if s.text else True
        assert p.paragraph == " ".join(s.sentence for s in p.segments)
