"""`avtool synth retrieval`: plans, captions by kind, files, determinism, CLI."""

from __future__ import annotations

import json

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
