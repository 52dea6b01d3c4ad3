"""`avtool train speaker` (and `--task speaker`) end to end on a tiny store, and verify-speaker
on its checkpoint."""

import json

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.tasks.speaker.testing import make_speaker_store, speaker_wave, write_trials
from avtool.train import load_checkpoint

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("train-speaker")
    make_speaker_store(root / "train.h5", speakers=4, utterances=4, seed=0)
    ids = make_speaker_store(root / "val.h5", speakers=3, utterances=3, seed=1, first_id=10010)
    write_trials(root / "val.txt", ids)
    return root


def _train(data, out, *extra):
    return runner.invoke(app, [
        "train", "--task", "speaker", "--store", str(data / "train.h5"), "--out", str(out),
        "--model", "debug", "--pool", "ghostvlad", "--loss", "amsoftmax", "--batch-size", "8",
        "--val-trials", str(data / "val.txt"), "--val-store", str(data / "val.h5"),
        "--device", "cpu", *extra])


def test_train_resume_and_verify(data, tmp_path):
    run = tmp_path / "run"
    result = _train(data, run, "--epochs", "1")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["last"]["epoch"] == 1 and "val_eer" in summary["last"]
    assert summary["best"]["metric"] == "eer"

    result = _train(data, run, "--epochs", "2", "--resume")
    assert result.exit_code == 0, result.output
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(0.0 <= h["val_eer"] <= 100.0 and 0.0 <= h["val_min_dcf"] <= 1.0 for h in history)

    spec = load_checkpoint(run)["spec"]
    assert spec["speakers"] == ["id10001", "id10002", "id10003", "id10004"]
    assert spec["model"]["pool"] == "ghostvlad" and spec["model"]["am_margin"] == 0.4
    assert spec["feature"]["extractor"] == "spectrogram" and spec["crop_frames"] == 100
    assert isinstance(spec["threshold"], float)

    rng = np.random.default_rng(5)
    for name, spk in (("a.wav", 0), ("b.wav", 0)):
        sf.write(tmp_path / name, speaker_wave(spk, 1.5, rng), 16000)
    result = runner.invoke(app, ["verify-speaker", str(tmp_path / "a.wav"),
                                 str(tmp_path / "b.wav"), "--model", str(run), "--json"])
    assert result.exit_code == 0, result.output
    pair = json.loads(result.stdout)
    assert -1.0 <= pair["score"] <= 1.0


def test_resume_with_another_model_is_refused(data, tmp_path):
    assert _train(data, tmp_path, "--epochs", "1").exit_code == 0
    result = runner.invoke(app, [
        "train", "--task", "speaker", "--store", str(data / "train.h5"), "--out", str(tmp_path),
        "--model", "debug", "--pool", "tap", "--batch-size", "8", "--epochs", "2", "--resume"])
    assert result.exit_code == 2
    assert "different model than the checkpoint" in result.output


def test_bad_options_exit_2_with_one_line(data, tmp_path):
    result = runner.invoke(app, ["train", "--task", "speaker", "--store", str(data / "train.h5"),
                                 "--out", str(tmp_path), "--model", "vgg"])
    assert result.exit_code == 2
    assert "unknown speaker model 'vgg'; valid names: debug, resnet34" in result.output
    result = runner.invoke(app, ["train", "--task", "speaker", "--store", str(data / "train.h5"),
                                 "--out", str(tmp_path), "--loss", "contrastive",
                                 "--utts-per-speaker", "1"])
    assert result.exit_code == 2 and "--utts-per-speaker of at least 2" in result.output
    assert not (tmp_path / "last.pt").exists()


def test_speaker_options_are_rejected_by_other_tasks(data, tmp_path):
    result = runner.invoke(app, ["train", "--task", "avvp", "--store", str(data / "train.h5"),
                                 "--out", str(tmp_path), "--pool", "tap", "--am-margin", "0.35"])
    assert result.exit_code == 2
    assert "--am-margin, --pool do not apply to --task avvp" in result.output
    assert not any(tmp_path.iterdir())


def test_per_task_subcommand_and_help(data, tmp_path):
    help_text = runner.invoke(app, ["train", "speaker", "--help"]).output
    assert "--ghost-clusters" in help_text and "--variant" not in help_text
    assert "--val-labels-dir" in runner.invoke(app, ["train", "avvp", "--help"]).output
    assert _train(data, tmp_path, "--epochs", "1").exit_code == 0  # --task spelling
    result = runner.invoke(app, [
        "train", "speaker", "--store", str(data / "train.h5"), "--out", str(tmp_path / "sub"),
        "--model", "debug", "--pool", "tap", "--batch-size", "8", "--epochs", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["last"]["epoch"] == 1
