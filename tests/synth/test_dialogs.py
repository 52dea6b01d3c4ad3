"""The synthetic AVSD corpus: plans, dialogs and descriptions, the DSTC7 files, the media, the
command, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.formats.avsd import read_avsd_data, read_coco_captions
from avtool.synth import dialogs_text as text
from avtool.synth.dialogs import (
    FILES,
    SynthDialogsConfig,
    make_dialog,
    make_dialogs,
    plan_videos,
    synth_dialogs,
)


def test_plans_are_a_function_of_the_config():
    cfg = SynthDialogsConfig(videos=30, seed=3)
    assert plan_videos(cfg) == plan_videos(cfg)
    assert plan_videos(cfg) != plan_videos(SynthDialogsConfig(videos=30, seed=4))
    plans = plan_videos(cfg)
    assert len({p.video_id for p in plans}) == 30
    for p in plans:
        assert 1 <= len(p.objects) <= 2 and p.objects[0].appear == 0
        if len(p.objects) == 2:
            assert p.objects[1].appear in (1, 2) and p.objects[1].color != p.objects[0].color


def test_dialogs_have_ten_answerable_turns():
    cfg = SynthDialogsConfig(videos=40, seed=0)
    plans = plan_videos(cfg)
    truths = make_dialogs(plans, cfg)
    assert truths == make_dialogs(plans, cfg)
    seen = set()
    for plan, truth in zip(plans, truths, strict=True):
        turns = truth.dialog.turns
        assert len(turns) == len(truth.types) == len(truth.references) == 10
        for n, (turn, kind, refs) in enumerate(zip(turns, truth.types, truth.references,
                                                   strict=True)):
            seen.add(kind)
            assert turn.answer in refs and len(set(refs)) >= 5
            if kind == "other":  # the previous turn's attribute, of the second object
                previous = truth.types[n - 1]
                assert previous in text.ATTRIBUTES and len(plan.objects) == 2
                second = plan.objects[1]
                value = {"color": second.color, "shape": second.shape, "size": second.size,
                         "motion": second.motion, "where": second.side}[previous]
                assert refs == text.attribute_answers(previous, value)
            if kind == "when":
                assert plan.sound is not None
        sizes = [o.size for o in plan.objects]
        assert all(s in truth.dialog.summary for s in sizes)
        assert all(f"{o.size} {o.color}" in truth.dialog.caption for o in plan.objects)
    assert seen == set(text.QUESTIONS)


def test_sound_answers_follow_the_plan():
    cfg = SynthDialogsConfig(videos=1, seed=0, p_sound=1.0, p_speech=1.0)
    plan = plan_videos(cfg)[0]
    truth = make_dialog(plan, 10, np.random.default_rng(0))
    n = truth.types.index("sound")
    assert text.SOUNDS[plan.sound] in truth.dialog.turns[n].answer
    assert truth.dialog.turns[truth.types.index("speech")].answer.startswith("yes")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("avsd") / "corpus"
    cfg = SynthDialogsConfig(videos=6, seed=1, seconds=3, width=64, height=64, fps=4,
                             val_fraction=0.2, test_fraction=0.4)
    return out, cfg, synth_dialogs(out, cfg)


def test_files_in_the_dstc7_formats(corpus):
    out, cfg, report = corpus
    assert report.splits == {"train": 3, "val": 1, "test": 2} and report.turns == 60
    train = read_avsd_data(out / FILES["train"])
    trial = read_avsd_data(out / FILES["trial"])
    hidden = read_avsd_data(out / FILES["test"])
    labelled = read_avsd_data(out / FILES["test_labelled"])
    assert len(train) == 3 and all(len(d.turns) == 10 for d in trial)
    refs, _ = read_coco_captions(out / FILES["multiref"])
    for h, lab, full in zip(hidden, labelled, trial, strict=True):
        n = len(h.turns)
        assert h.turns[-1].undisclosed and not any(t.undisclosed for t in h.turns[:-1])
        assert lab.turns == full.turns[:n] and h.turns[:-1] == lab.turns[:-1]
        key = lab.turn_id(n - 1)
        assert refs[key][0] == lab.turns[-1].answer and 2 <= len(refs[key]) <= 6
    rows = (out / "videos.csv").read_text().splitlines()
    assert rows[0] == "id,path,split" and len(rows) == 7
    truth = [json.loads(line) for line in (out / "truth.jsonl").read_text().splitlines()]
    assert len(truth[0]["question_types"]) == 10


def test_videos_have_frames_and_sound(corpus):
    from avtool.media.audio import read_audio
    from avtool.media.video import video_info

    out, cfg, _ = corpus
    plan = plan_videos(cfg)[0]
    path = out / "videos" / f"{plan.video_id}.mp4"
    info = video_info(path)
    assert info.width == 64 and abs(info.duration - cfg.seconds) < 0.3
    wav, _ = read_audio(path, 16_000)
    assert 0.001 < float(np.sqrt(np.mean(wav ** 2))) < 0.5


def test_rerun_resumes_and_another_config_is_refused(corpus):
    from avtool.errors import ConfigError

    out, cfg, _ = corpus
    before = {p.name: p.read_bytes() for p in (out / "videos").iterdir()}
    (out / "videos" / sorted(before)[0]).unlink()
    synth_dialogs(out, cfg)
    assert {p.name: p.read_bytes() for p in (out / "videos").iterdir()} == before
    with pytest.raises(ConfigError, match="another config"):
        synth_dialogs(out, SynthDialogsConfig(videos=7, seed=1))


def test_command(tmp_path):
    res = CliRunner().invoke(app, ["synth", "dialogs", "--out", str(tmp_path / "c"),
                                   "--videos", "3", "--seconds", "3", "--workers", "1",
                                   "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["videos"] == 3 and report["turns"] == 30
    assert (tmp_path / "c" / FILES["train"]).exists()
    bad = CliRunner().invoke(app, ["synth", "dialogs", "--out", str(tmp_path / "d"),
                                   "--val-fraction", "0.6", "--test-fraction", "0.5"])
    assert bad.exit_code == 2 and "must leave training videos" in bad.output
    assert not (tmp_path / "d").exists()
