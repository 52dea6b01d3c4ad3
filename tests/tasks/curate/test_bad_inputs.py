"""Bad inputs to `avtool curate`: one line naming the file, exit 2 and nothing written for
the speakers list, reference photos and the videos folder; a corrupt video is listed at the
end with exit 1 while the others are curated."""

import json

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.synth.talking_faces import TalkingHeadsConfig, synth_talking_heads

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("th-bad")
    synth_talking_heads(root, TalkingHeadsConfig(pois=1, shot_seconds=2.0, bad_video=False),
                        workers=1)
    return root


def _curate(speakers, videos, out, *extra):
    return runner.invoke(app, ["curate", "--speakers", str(speakers), "--videos", str(videos),
                               "--out", str(out), *extra])


def _one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_speakers_csv_problems(corpus, tmp_path):
    bad = tmp_path / "speakers.csv"
    bad.write_text("id,name\nid00001,Someone\n")
    result = _curate(bad, corpus / "videos", tmp_path / "out")
    assert result.exit_code == 2
    assert "speakers.csv:1: missing column(s) references" in _one_line(result)
    bad.write_text("id,name,references\nid00001,Someone,missing.jpg\n")
    result = _curate(bad, corpus / "videos", tmp_path / "out")
    assert result.exit_code == 2 and "missing.jpg: no such file" in _one_line(result)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("faces", [0, 2])
def test_reference_photo_without_exactly_one_face(corpus, tmp_path, faces):
    from avtool.synth.video import face_crops, paste_face

    photo = np.full((240, 400, 3), 120, np.uint8)
    for i in range(faces):
        paste_face(photo, face_crops()[2 + i], 100 + 200 * i, 120, 150)
    cv2.imwrite(str(tmp_path / "ref.jpg"), photo)
    speakers = tmp_path / "speakers.csv"
    speakers.write_text(f"id,name,references\nid00001,Someone,{tmp_path / 'ref.jpg'}\n")
    result = _curate(speakers, corpus / "videos", tmp_path / "out")
    assert result.exit_code == 2
    what = "no face" if faces == 0 else "2 faces"
    assert f"ref.jpg: {what} found" in _one_line(result)
    assert not (tmp_path / "out").exists()


def test_empty_videos_folder(corpus, tmp_path):
    (tmp_path / "videos" / "id00001").mkdir(parents=True)
    result = _curate(corpus / "speakers.csv", tmp_path / "videos", tmp_path / "out")
    assert result.exit_code == 2 and "no videos" in _one_line(result)
    assert not (tmp_path / "out").exists()


def test_corrupt_video_is_listed_and_the_rest_curated(corpus, tmp_path):
    import shutil

    videos = tmp_path / "videos"
    shutil.copytree(corpus / "videos", videos)
    (videos / "id00001" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(500))
    keep = next(p for p in sorted(videos.rglob("*.mp4")) if p.name != "broken.mp4")
    truncated = videos / "id00001" / "truncated.mp4"
    truncated.write_bytes(keep.read_bytes()[: keep.stat().st_size // 3])
    config = tmp_path / "curate.toml"
    config.write_text((corpus / "curate.toml").read_text() + "\n[face]\nevery = 3\n")
    out = tmp_path / "out"
    result = _curate(corpus / "speakers.csv", videos, out, "--config", str(config))
    assert result.exit_code == 1, result.output
    assert "broken.mp4" in result.output and "truncated.mp4" in result.output
    kept = [r for r in (out / "segments.csv").read_text().splitlines() if ",kept," in r]
    assert len(kept) == 2  # the two-faces shot and one copy of the re-uploaded one
    assert not list(out.rglob("*.part*"))
    # again with two worker processes: the good videos resume, the bad ones fail again
    again = _curate(corpus / "speakers.csv", videos, out, "--config", str(config),
                    "--workers", "2", "--json")
    assert again.exit_code == 1
    assert sorted(b["path"].rsplit("/", 1)[1] for b in json.loads(again.stdout)["bad"]) == [
        "broken.mp4", "truncated.mp4"]
    strict = _curate(corpus / "speakers.csv", videos, out, "--config", str(config), "--strict")
    assert strict.exit_code == 2 and "broken.mp4" in _one_line(strict)
