"""The talking-faces corpus for `avtool curate`: its plan covers every case, the mouths sit
where dlib's landmarks put them, a rendered video matches its truth, and the CLI."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.synth.talking_faces import (
    EXPECTED,
    TalkingHeadsConfig,
    plan_corpus,
    render_video,
)
from avtool.synth.talking_faces_render import MOUTHS, face_with_mouth, speech_envelope


def test_plan_is_deterministic_and_covers_every_case():
    cfg = TalkingHeadsConfig(pois=2)
    plans = plan_corpus(cfg)
    assert plans == plan_corpus(cfg)
    assert plans != plan_corpus(TalkingHeadsConfig(pois=2, seed=1))
    kinds = [s.kind for p in plans if p.reupload_of is None and p.has_audio for s in p.shots]
    assert sorted(set(kinds)) == sorted(EXPECTED) and len(kinds) == 12
    assert sum(p.reupload_of is not None for p in plans) == 2
    assert sum(not p.has_audio for p in plans) == 1
    dubbed = [s for p in plans for s in p.shots if s.kind == "dubbed"]
    assert all(s.audio_delay_s >= 0.5 for s in dubbed)
    for plan in plans:  # consecutive shots are tinted far apart, so the cuts are visible
        hues = [s.hue for s in plan.shots]
        assert all(abs((a - b + 180) % 360 - 180) >= 90 for a, b in zip(hues, hues[1:], strict=False))


def test_mouths_are_where_dlib_finds_the_lips():
    dlib = pytest.importorskip("dlib")
    from avtool.synth.video import face_crops
    from avtool.tasks.curate.face_detection import model_file

    detector = dlib.get_frontal_face_detector()
    landmarks = dlib.shape_predictor(model_file("landmarks_68"))
    for i, face in enumerate(face_crops()):
        h, w = face.shape[:2]
        frame = np.full((h + 200, w + 200, 3), 90, np.uint8)
        frame[100:100 + h, 100:100 + w] = face
        shape = landmarks(frame, detector(frame, 1)[0])
        lips = np.array([(shape.part(j).x - 100, shape.part(j).y - 100) for j in range(48, 60)])
        cx, cy = lips.mean(axis=0)
        assert abs(cx / w - MOUTHS[i][0]) < 0.02 and abs(cy / h - MOUTHS[i][1]) < 0.02, i


def test_open_mouth_is_darker_and_follows_the_voice():
    from avtool.synth.video import face_crops

    face = face_crops()[3]
    closed, opened = face_with_mouth(face, 3, 120, 0.0), face_with_mouth(face, 3, 120, 1.0)
    assert opened.mean() < closed.mean() - 1
    audio = np.zeros(16000, np.float32)
    audio[6400:9600] = np.sin(np.arange(3200) * 0.3) * 0.5
    env = speech_envelope(audio, 25, 25, 16000)
    assert env[:9].max() == 0 and env[11:14].min() > 0.9 and env[17:].max() == 0


def test_rendered_video_matches_its_truth(tmp_path):
    from avtool.media.video import video_info

    cfg = TalkingHeadsConfig(pois=1, shot_seconds=2.0, bad_video=False)
    plan = plan_corpus(cfg)[1]  # two faces, dubbed, no face
    truth = render_video(plan, str(tmp_path), cfg)
    info = video_info(tmp_path / truth["path"])
    assert info.has_audio and truth["frames"] == 150 and truth["cuts"] == [50, 100]
    assert abs(info.duration - 6.0) < 0.1
    two, dubbed, empty = truth["shots"]
    assert [f["speaking"] for f in two["faces"]] == [True, False] and not empty["faces"]
    assert all(len(f["boxes"]) == 50 for f in two["faces"])
    spans = truth["speech"]
    assert [s["expected"] for s in spans] == ["kept", "active_speaker", "no_face"]
    assert spans[1]["in_sync"] == [] and spans[1]["start"] >= 2.0 + 0.4 + 0.6
    assert all(s["start"] < s["end"] for s in spans)


def test_cli_writes_the_corpus(tmp_path):
    out = tmp_path / "th"
    args = ["synth", "talking-heads", "--out", str(out), "--pois", "1", "--shot-seconds", "2",
            "--no-bad-video", "--workers", "1", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["videos"] == 3 and summary["kept_by_a_perfect_pipeline"] == 2
    truth = json.loads((out / "truth.json").read_text())
    assert (out / "speakers.csv").read_text().startswith("id,name,references,gender")
    assert all((out / v["path"]).exists() for v in truth["videos"])
    assert (out / "curate.toml").exists() and (out / "references" / "id00001_1.jpg").exists()
    again = CliRunner().invoke(app, args)  # same config: resumes, same truth
    assert again.exit_code == 0 and json.loads((out / "truth.json").read_text()) == truth
    other = CliRunner().invoke(app, args[:-3] + ["--seed", "3"])
    assert other.exit_code == 2 and "another config" in other.output
