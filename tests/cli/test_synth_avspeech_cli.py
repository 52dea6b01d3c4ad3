"""`avtool synth avspeech` through the CLI: bad input, and a tiny corpus into a feature store
through its manifest."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app

runner = CliRunner()


@pytest.mark.parametrize("args,message", [
    (["--clips", "0"], "--clips 0: is out of range"),
    (["--clips", "-1"], "--clips -1: is out of range"),
    (["--clips", "many"], "--clips 'many': not an integer"),
    (["--language", "klingon"], "--language 'klingon': use one of en, mr"),
    (["--size", "big"], "expected WIDTHxHEIGHT"),
    (["--val-fraction", "0.5", "--test-fraction", "0.5"], "leave some train clips"),
])
def test_bad_options_one_line_exit_2_nothing_written(tmp_path, args, message):
    result = runner.invoke(app, ["synth", "avspeech", "--out", str(tmp_path / "c"), *args])
    assert result.exit_code == 2
    assert result.stderr.startswith("avtool: error:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()


def test_an_unrelated_non_empty_out_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    result = runner.invoke(app, ["synth", "avspeech", "--out", str(tmp_path), "--clips", "2"])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "is not empty and holds no corpus" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_synth_then_extract_fbank_and_frames(tmp_path):
    from avtool.store import open_store

    out = tmp_path / "avspeech"
    result = runner.invoke(app, ["synth", "avspeech", "--out", str(out), "--clips", "3",
                                 "--seed", "5", "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["clips"] == 3 and report["splits"] == {"train": 1, "val": 1, "test": 1}
    with open(out / "clips.csv", newline="") as fh:
        truth = {row["id"]: row for row in csv.DictReader(fh)}
    store_path = tmp_path / "feats.h5"
    result = runner.invoke(app, ["extract-features", "--manifest", str(out / "clips.csv"),
                                 "--out", str(store_path), "--feature", "fbank",
                                 "--feature", "frames:size=32x32,fps=5", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["extracted"] == 3
    with open_store(store_path) as store:
        assert sorted(store.ids) == sorted(truth)
        for item in store.items():
            assert item.meta["split"] == truth[item.id]["split"]
            assert item.meta["text"] == truth[item.id]["text"]
            fbank, frames = store.read(item.id, "fbank"), store.read(item.id, "frames")
            assert fbank.shape[1] == 80 and np.isfinite(fbank).all()
            assert abs(fbank.shape[0] - 100 * item.duration) <= 3
            assert frames.shape[1:] == (32, 32, 3) and frames.dtype == np.uint8
            assert abs(frames.shape[0] - 5 * item.duration) <= 1


def test_table_output(tmp_path):
    result = runner.invoke(app, ["synth", "avspeech", "--out", str(tmp_path / "c"), "--clips",
                                 "1", "--language", "mr", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "train 1, val 0, test 0" in result.stdout and "mr" in result.stdout
    assert (tmp_path / "c" / "how2" / "train" / "text.id.mr").exists()
