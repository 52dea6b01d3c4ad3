"""`avtool synth captions`: plans, spans, the three caption kinds, the annotation files."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.formats.activitynet_captions import read_activitynet_captions
from avtool.formats.charades_sta import read_charades_sta
from avtool.formats.malta import read_malta
from avtool.synth.captions import SynthCaptionsConfig, plan_videos, write_annotations

runner = CliRunner()


def test_plans_are_deterministic_with_spans_inside_the_video():
    cfg = SynthCaptionsConfig(videos=4, seed=3)
    plans = plan_videos(cfg)
    assert plans == plan_videos(cfg)
    assert plans[0] != plan_videos(SynthCaptionsConfig(videos=1, seed=4))[0]
    kinds = set()
    for p in plans:
        assert p.scenes[0].start == 0 and p.scenes[-1].end == p.seconds
        assert len({s.color for s in p.scenes}) == len(p.scenes)  # unambiguous captions
        for c in p.captions:
            assert 0 <= c.start < c.end <= p.seconds and 0 <= c.v_start < c.v_end <= p.seconds
            kinds.add(c.kind)
            if c.kind == "visual":
                assert (c.v_start, c.v_end) == (c.start, c.end)
            else:  # the video-only annotation is the scene playing at the event's midpoint
                assert c.v_start <= (c.start + c.end) / 2 < c.v_end or c.v_end == p.seconds
        for e in p.events:
            if e.kind == "speech":  # the span runs from the first word to the last
                assert (e.start, e.end) == (round(e.words[0][1], 2), round(e.words[-1][2], 2))
    assert kinds == {"visual", "sound", "speech"}


def test_speech_caption_shares_the_topic_words_not_the_frames():
    from avtool.synth import captions_text as text

    stop = {"a", "the", "to", "of", "and", "how", "into", "from", "in", "on", "for", "make"}
    for said, captions in text.TOPICS["en"].values():
        for s in said:
            for c in captions:  # every paraphrase shares a content word with every sentence
                assert (set(s.split()) & set(c.split())) - stop, (s, c)


def test_marathi_captions_are_devanagari():
    plans = plan_videos(SynthCaptionsConfig(videos=2, seed=0, language="mr"))
    for c in plans[0].captions:
        letters = [ch for ch in c.sentence if ch.isalpha()]
        assert letters and all("DEVANAGARI" in unicodedata.name(ch) for ch in letters)


def test_annotation_files_read_back_in_every_format(tmp_path):
    plans = plan_videos(SynthCaptionsConfig(videos=8, seed=1))
    write_annotations(tmp_path, plans)
    total = sum(len(p.captions) for p in plans)
    n = 0
    for split in ("train", "val", "test"):
        charades = read_charades_sta(tmp_path / f"charades_sta_{split}.txt")
        anet, durations = read_activitynet_captions(tmp_path / f"activitynet_{split}.json")
        malta, _, kinds = read_malta(tmp_path / "MALTA" / "TFT_av" / f"{split}.json")
        assert len(charades) == len(anet) == len(malta)
        assert [q.sentence for q in charades] == [q.sentence for q in anet]
        assert set(kinds.values()) <= {"visual", "sound", "speech"}
        n += len(charades)
    assert n == total
    _, _, v_kinds = read_malta(tmp_path / "MALTA" / "TFT_v" / "test.json")
    assert v_kinds
    rows = [json.loads(line) for line in (tmp_path / "queries.jsonl").read_text().splitlines()]
    assert len(rows) == total and {r["kind"] for r in rows} == {"visual", "sound", "speech"}


def test_cli_renders_videos_and_resumes(tmp_path):
    out = tmp_path / "c"
    args = ["synth", "captions", "--out", str(out), "--videos", "2", "--min-seconds", "6",
            "--max-seconds", "6", "--workers", "1", "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["rendered"] == 2 and sorted(Path(out / "videos").iterdir())
    from avtool.media.video import video_info

    info = video_info(next((out / "videos").iterdir()))
    assert abs(info.duration - 6) < 0.3
    again = runner.invoke(app, args)
    assert json.loads(again.stdout)["rendered"] == 0
    other = runner.invoke(app, [*args[:-1], "--seed", "5"])
    assert other.exit_code == 2 and "another config" in other.output
