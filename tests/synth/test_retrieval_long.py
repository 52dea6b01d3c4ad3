"""`avtool synth retrieval --long-videos`: long videos of segments, ActivityNet Captions JSON in
the real layout, read as paragraphs, and paragraph queries over experts extracted from them."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app

runner = CliRunner()
TINY = ["--d-model", "16", "--layers", "1", "--heads", "2", "--ff", "32", "--text-model", "tiny",
        "--tiny-hidden", "16", "--lr", "1e-3", "--epochs", "1", "--batch-size", "2",
        "--max-tokens", "64", "--device", "cpu"]


def _ok(args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("long") / "corpus"
    args = ["synth", "retrieval", "--out", out, "--videos", "3", "--seed", "0", "--workers", "1",
            "--val-fraction", "0", "--test-fraction", "0.5", "--long-videos", "2",
            "--long-seconds", "12", "--text-share", "0.5"]
    report = json.loads(_ok([*args, "--json"]).stdout)
    return out, report, args


def test_activitynet_json_is_in_the_real_layout_and_reads_as_paragraphs(corpus):
    from avtool.formats.activitynet_paragraphs import read_activitynet_paragraphs
    from avtool.media.video import video_info

    out, report, _ = corpus
    assert report["long_videos"] == 2
    truth = {p["video_id"]: p for p in map(json.loads, (out / "long" / "truth.jsonl")
                                           .read_text().splitlines())}
    seen = set()
    for name in ("train.json", "val_1.json"):
        data = json.loads((out / "long" / "activitynet" / name).read_text())
        for vid, entry in data.items():
            seen.add(vid)
            assert set(entry) == {"duration", "timestamps", "sentences"}
            assert entry["duration"] == 12.0
            assert len(entry["timestamps"]) == len(entry["sentences"]) >= 3
            segs = truth[vid]["segments"]
            assert entry["timestamps"] == [[s["start"], s["end"]] for s in segs]
            assert entry["sentences"] == [s["sentence"] for s in segs]
            length = video_info(out / "long" / "videos" / f"{vid}.mp4").duration
            assert abs(length - 12.0) < 0.2
        paragraphs = read_activitynet_paragraphs(out / "long" / "activitynet" / name)
        assert [p.text for p in paragraphs] == [" ".join(data[p.video_id]["sentences"])
                                                for p in paragraphs]
    assert seen == set(truth)


def test_rerun_keeps_the_long_videos(corpus):
    out, _, args = corpus
    before = (out / "long" / "videos" / "long0.mp4").read_bytes()
    _ok(args)
    assert (out / "long" / "videos" / "long0.mp4").read_bytes() == before


def test_paragraph_queries_over_experts_of_long_videos(corpus):
    from avtool.formats.msrvtt import write_msrvtt_split

    out, _, _ = corpus
    work = out.parent
    features = ["llp_audio", "llp_frame", "llp_motion"]
    if shutil.which("tesseract"):
        features.append("ocr_tesseract")
    _ok(["extract-features", out / "long" / "videos", "--out", work / "experts.h5",
         "--workers", "1", *[a for f in features for a in ("--feature", f)]])
    both = write_msrvtt_split(work / "train.csv", ["long0", "long1"])
    _ok(["train", "retrieval", "--store", work / "experts.h5", "--captions",
         out / "long" / "MSRVTT_data.json", "--train-split", both, "--out", work / "mmt", *TINY])
    _ok(["retrieve", "index", work / "experts.h5", "--model", work / "mmt",
         "--out", work / "idx.h5"])
    val = out / "long" / "activitynet" / "val_1.json"
    _ok(["retrieve", "query", work / "idx.h5", "--queries", val, "--out", work / "para"])
    queries = (work / "para" / "queries.txt").read_text().split()
    assert queries == list(json.loads(val.read_text()))
    assert sorted((work / "para" / "videos.txt").read_text().split()) == ["long0", "long1"]
