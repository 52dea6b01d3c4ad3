"""`avtool train grounding` and `avtool align-captions` end to end, bad input included."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.tasks.grounding.testing import write_feature_corpus

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny MALTA trained through the CLI on a feature-level corpus."""
    work = tmp_path_factory.mktemp("align")
    paths = write_feature_corpus(work, videos=8, seed=0)
    res = runner.invoke(app, [
        "train", "grounding", "--store", str(paths["store"]), "--queries",
        str(paths["train"]), "--val-queries", str(paths["val"]), "--model", "malta",
        "--video-features", "vis", "--audio-features", "aud", "--embeddings", "random",
        "--embedding", "8", "--hidden", "8", "--attention", "8", "--segments", "8",
        "--epochs", "2", "--batch-size", "16", "--out", str(work / "run")])
    assert res.exit_code == 0, res.output
    return paths, work / "run"


def _align(paths, run, out, *extra):
    return runner.invoke(app, ["align-captions", "--queries", str(paths["test"]), "--videos",
                               str(paths["store"]), "--model", str(run), "--out", str(out),
                               *extra])


def test_batch_predictions_are_read_by_evaluate(trained, tmp_path):
    paths, run = trained
    pred = tmp_path / "pred.tsv"
    res = _align(paths, run, pred, "--plot", str(tmp_path / "att.png"), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    n = len(paths["test"].read_text().splitlines())
    assert out == {"queries": n, "aligned": n, "failed": 0, "written": str(pred)}
    rows = pred.read_text().splitlines()
    assert rows[0].split("\t") == ["query_id", "video_id", "start", "end", "score"]
    assert len(rows) == n + 1 and (tmp_path / "att.png").stat().st_size > 1000
    res = runner.invoke(app, ["evaluate", "grounding", "--pred", str(pred), "--gt",
                              str(paths["test"]), "--durations", str(paths["durations"]),
                              "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["counts"]["missing"] == 0
    # the MALTA layout of the same split gives the same alignments under its own ids
    malta = tmp_path / "malta.tsv"
    res = runner.invoke(app, ["align-captions", "--queries", str(paths["malta_test"]),
                              "--videos", str(paths["store"]), "--model", str(run), "--out",
                              str(malta)])
    assert res.exit_code == 0, res.output
    starts = [r.split("\t")[2:4] for r in rows[1:]]
    assert [r.split("\t")[2:4] for r in malta.read_text().splitlines()[1:]] == starts
    assert malta.read_text().splitlines()[1].split("\t")[0].endswith("#0")


def test_bad_queries_are_listed_and_exit_1(trained, tmp_path):
    paths, run = trained
    lines = paths["test"].read_text().splitlines()
    vid = lines[0].split()[0]
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join([lines[0], f"{vid} 1 2## ", f"{vid} 1 2##zzz qqq",
                              f"{vid} 500 600##{lines[0].split('##')[1]}",
                              f"nosuchvideo 1 2##{lines[0].split('##')[1]}"]) + "\n")
    pred = tmp_path / "pred.tsv"
    res = _align(paths, run, pred)
    res = runner.invoke(app, ["align-captions", "--queries", str(bad), "--videos",
                              str(paths["store"]), "--model", str(run), "--out", str(pred)])
    assert res.exit_code == 1, res.output
    err = res.stderr
    assert f"{bad}:2: empty caption" in err and f"{bad}:3: no word of the caption" in err
    assert f"{bad}:4: the moment 500-600 s lies outside video" in err
    assert "nosuchvideo" in err
    assert len(pred.read_text().splitlines()) == 2  # header + the one good query
    res = runner.invoke(app, ["align-captions", "--queries", str(bad), "--videos",
                              str(paths["store"]), "--model", str(run), "--out",
                              str(tmp_path / "strict.tsv"), "--strict"])
    assert res.exit_code == 2 and not (tmp_path / "strict.tsv").exists()


def test_malformed_query_line_names_file_and_line(trained, tmp_path):
    paths, run = trained
    bad = tmp_path / "q.txt"
    bad.write_text("vid 1 2##a red star\nvid one two##x\n")
    res = _align({**paths, "test": bad}, run, tmp_path / "p.tsv")
    assert res.exit_code == 2 and f"{bad}:2:" in res.output
    assert not (tmp_path / "p.tsv").exists()


def test_missing_model_and_wrong_checkpoint(trained, tmp_path):
    paths, _ = trained
    res = runner.invoke(app, ["align-captions", "--queries", str(paths["test"]), "--videos",
                              str(paths["store"]), "--out", str(tmp_path / "p.tsv")],
                        env={"AVTOOL_GROUNDING_MODEL": ""})
    assert res.exit_code == 2 and "--model" in res.output


@pytest.fixture(scope="module")
def video_model(tmp_path_factory):
    """Two rendered videos of synth captions, color + mfcc features, a MALTA trained on them."""
    work = tmp_path_factory.mktemp("video")
    corpus = work / "c"
    res = runner.invoke(app, ["synth", "captions", "--out", str(corpus), "--videos", "3",
                              "--min-seconds", "8", "--max-seconds", "8", "--workers", "1",
                              "--val-fraction", "0", "--test-fraction", "0.3"])
    assert res.exit_code == 0, res.output
    store = work / "f.h5"
    res = runner.invoke(app, ["extract-features", "--manifest", str(corpus / "videos.csv"),
                              "--out", str(store), "-f", "color", "-f", "mfcc"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [
        "train", "grounding", "--store", str(store), "--queries",
        str(corpus / "MALTA" / "TFT_av" / "train.json"), "--model", "malta",
        "--video-features", "color", "--audio-features", "mfcc", "--embeddings", "minilm",
        "--hidden", "8", "--attention", "8", "--segments", "8", "--epochs", "1",
        "--out", str(work / "run")])
    assert res.exit_code == 0, res.output
    return corpus, work / "run"


def test_one_caption_in_a_video_file(video_model, tmp_path):
    corpus, run = video_model
    video = sorted((corpus / "videos").iterdir())[0]
    plot = tmp_path / "a.png"
    res = runner.invoke(app, ["align-captions", str(video), "--caption", "a bell rings",
                              "--model", str(run), "--json", "--plot", str(plot),
                              "--true-span", "1,3"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert 0 <= out["start"] <= out["end"] <= out["duration"] and 0 <= out["confidence"] <= 1
    assert abs(out["duration"] - 8) < 0.3 and plot.stat().st_size > 1000
    res = runner.invoke(app, ["align-captions", str(video), "--caption", "a bell rings",
                              "--model", str(run)])
    assert res.exit_code == 0 and len(res.stdout.strip().split("\t")) == 3
    for caption, message in (("", "empty caption"), ("zzzz", "no word of the caption")):
        res = runner.invoke(app, ["align-captions", str(video), "--caption", caption,
                                  "--model", str(run)])
        assert res.exit_code == 2 and message in res.output


def test_video_without_audio_needs_video_only(video_model, tmp_path):
    from avtool.media.video import write_video

    corpus, run = video_model
    silent = tmp_path / "silent.mp4"
    frames = np.random.default_rng(0).integers(0, 255, size=(40, 64, 64, 3), dtype=np.uint8)
    write_video(silent, frames, 8)
    res = runner.invoke(app, ["align-captions", str(silent), "--caption", "a red star",
                              "--model", str(run)])
    assert res.exit_code == 2 and "no audio track" in res.output and "--video-only" in res.output
    res = runner.invoke(app, ["align-captions", str(silent), "--caption", "a red star",
                              "--model", str(run), "--video-only", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["duration"] == pytest.approx(5, abs=0.2)
