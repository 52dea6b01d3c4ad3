"""`avtool synth media`: content of media.json, reproducibility, error path."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.media.audio import read_audio
from avtool.media.video import read_frames, video_info
from avtool.synth.sounds import sounds
from avtool.synth.video import face_crops, sprites


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("media")
    result = CliRunner().invoke(app, ["synth", "media", "--out", str(out), "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "media.json" in result.stdout and "face_speech.mp4" in result.stdout
    return out


def test_description_matches_the_files(media_dir):
    description = json.loads((media_dir / "media.json").read_text())
    assert description["seed"] == 7
    files = {f["path"]: f for f in description["files"]}
    assert set(files) == {"speech_en.wav", "speech_mr.wav", "events.wav", "sprites.mp4",
                          "face_speech.mp4"}
    assert sorted(p.name for p in media_dir.iterdir()) == sorted([*files, "media.json"])
    for name, entry in files.items():
        wav, sr = read_audio(media_dir / name, 16000)
        assert sr == entry["sample_rate"] == 16000
        assert len(wav) / sr == pytest.approx(entry["duration"], abs=0.1)
        for word in entry.get("words", []):
            assert 0 <= word["onset"] < word["offset"] <= entry["duration"] + 1e-6
        if "words" in entry:
            assert [w["word"] for w in entry["words"]] == [
                t.strip(",.!?") for t in entry["text"].split()]
        for event in entry.get("events", []):
            assert event["class"] in sounds
            assert 0 <= event["onset"] < event["offset"] <= entry["duration"]
    assert files["speech_mr.wav"]["voice"].startswith("mr")
    sprite_file = files["sprites.mp4"]
    for span in sprite_file["sprites"]:
        assert span["class"] in sprites and 0 <= span["onset"] < span["offset"] <= 4.0
    info = video_info(media_dir / "sprites.mp4")
    assert (info.width, info.height, info.fps, info.has_audio) == (160, 120, 25.0, True)
    face = files["face_speech.mp4"]
    assert 0 <= face["face_id"] < len(face_crops())
    assert len(list(read_frames(media_dir / "face_speech.mp4", fps=5))) == round(
        face["duration"] * 5)


def test_sprites_are_on_screen_only_in_their_spans(media_dir):
    entry = next(f for f in json.loads((media_dir / "media.json").read_text())["files"]
                 if f["path"] == "sprites.mp4")
    frames = dict(read_frames(media_dir / "sprites.mp4", fps=5))
    for span in entry["sprites"]:
        colour = np.array(sprites.get(span["class"]).color, float)
        for t, frame in frames.items():
            near = (np.abs(frame.astype(float) - colour).sum(axis=2) < 60).mean()
            inside = span["onset"] + 0.1 < t < span["offset"] - 0.1
            outside = t < span["onset"] - 0.1 or t > span["offset"] + 0.1
            others = [s for s in entry["sprites"] if s is not span]
            if inside:
                assert near > 0.003, (span, t)
            elif outside and all(sprites.get(o["class"]).color != sprites.get(
                    span["class"]).color for o in others):
                assert near < 0.003, (span, t)


def test_same_seed_same_files_other_seed_other_files(media_dir, tmp_path):
    again = tmp_path / "again"
    assert CliRunner().invoke(app, ["synth", "media", "--out", str(again), "--seed", "7",
                                    "--json"]).exit_code == 0
    assert (again / "media.json").read_text() == (media_dir / "media.json").read_text()
    for name in ("speech_en.wav", "speech_mr.wav", "events.wav", "sprites.mp4",
                 "face_speech.mp4"):
        assert (again / name).read_bytes() == (media_dir / name).read_bytes(), name
    other = tmp_path / "other"
    assert CliRunner().invoke(app, ["synth", "media", "--out", str(other), "--seed", "8"]
                              ).exit_code == 0
    assert (other / "events.wav").read_bytes() != (media_dir / "events.wav").read_bytes()


def test_out_is_a_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    result = CliRunner().invoke(app, ["synth", "media", "--out", str(target)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"avtool: error: --out: {target}: is a file, expected a " \
                                    "folder"
    assert target.read_text() == "x"
