"""`avtool parse-events` on mp4 clips of `avtool synth avvp`: on-the-fly llp_* features."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app

runner = CliRunner()


@pytest.fixture(scope="module")
def media_run(tmp_path_factory):
    pytest.importorskip("avtool.media.video")
    pytest.importorskip("avtool.synth.avvp_render")
    from avtool.features.pipeline import extract_to_store, read_manifest
    from avtool.synth.avvp import SynthAvvpConfig, synth_avvp

    root = tmp_path_factory.mktemp("avvp_media")
    synth_avvp(root, SynthAvvpConfig(clips=3, seed=2, width=64, height=64), workers=1)
    store = root / "llp.h5"
    report = extract_to_store(read_manifest(root / "clips.csv"), store,
                              ["llp_audio", "llp_frame", "llp_motion"], strict=True)
    assert report.extracted == 3
    run = root / "run"
    res = runner.invoke(app, ["train", "--task", "avvp", "--store", str(store), "--split", "",
                              "--out", str(run), "--variant", "han", "--d-model", "16",
                              "--epochs", "1", "--batch-size", "3"])
    assert res.exit_code == 0, res.output
    return root, store, run


def test_video_equals_store_and_scores(media_run, tmp_path):
    root, store, run = media_run
    args = ["--model", str(run), "--threshold", "0.3", "--clip-threshold", "0.3", "--json"]
    res_video = runner.invoke(app, ["parse-events", str(root / "clips"), *args, "--out-audio",
                                    str(tmp_path / "a.tsv"), "--out-visual",
                                    str(tmp_path / "v.tsv")])
    assert res_video.exit_code == 0, res_video.output
    res_store = runner.invoke(app, ["parse-events", str(store), *args])
    assert res_store.exit_code == 0, res_store.output
    video, stored = json.loads(res_video.stdout), json.loads(res_store.stdout)
    assert video["clips"] == 3 and video["failed"] == []
    key = lambda e: (e["clip"], e["modality"], e["class"], e["onset"])  # noqa: E731
    assert sorted(video["events"], key=key) == sorted(stored["events"], key=key)
    clips = tmp_path / "all.csv"
    clips.write_text("filename\tevent_labels\n" + "".join(
        f"{p.stem}\t\n" for p in sorted((root / "clips").glob("*.mp4"))))
    res = runner.invoke(app, ["evaluate", "avvp", "--clips", str(clips), "--gt-audio",
                              str(root / "AVVP_eval_audio.csv"), "--gt-visual",
                              str(root / "AVVP_eval_visual.csv"), "--pred-audio",
                              str(tmp_path / "a.tsv"), "--pred-visual", str(tmp_path / "v.tsv")])
    assert res.exit_code == 0, res.output
    assert "Segment-level" in res.stdout


def test_bad_video_is_reported_and_exit_1(media_run, tmp_path):
    root, _, run = media_run
    videos = tmp_path / "videos"
    videos.mkdir()
    good = sorted((root / "clips").glob("*.mp4"))[0]
    (videos / good.name).write_bytes(good.read_bytes())
    (videos / "broken.mp4").write_bytes(b"\x00" * 100)
    out = tmp_path / "events.tsv"
    res = runner.invoke(app, ["parse-events", str(videos), "--model", str(run), "--out",
                              str(out)])
    assert res.exit_code == 1, res.output
    assert "broken.mp4" in res.stderr and out.exists()
    res = runner.invoke(app, ["parse-events", str(videos), "--model", str(run), "--strict"])
    assert res.exit_code == 2 and "broken.mp4" in res.stderr
