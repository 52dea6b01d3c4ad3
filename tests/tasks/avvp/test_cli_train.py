"""`avtool train avvp` / `avvp-pretrain` (and the `--task` spelling) through the CLI on a tiny
LLP store."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.tasks.avvp.synth_features import SynthFeaturesConfig, write_feature_corpus

runner = CliRunner()
TINY = ["--d-model", "16", "--batch-size", "8"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("avvp_corpus")
    store = write_feature_corpus(root, SynthFeaturesConfig(clips=40, seed=3, dims=(8, 6, 5)))
    return root, store


def _train(*args: str):
    return runner.invoke(app, ["train", *args])


def test_train_validate_resume(corpus, tmp_path):
    root, store = corpus
    out = tmp_path / "run"
    base = ["--task", "avvp", "--store", str(store), "--out", str(out), "--variant", "han",
            "--val-labels-dir", str(root), *TINY]
    res = _train(*base, "--epochs", "2")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["best"]["metric"] == "seg_type_av"
    assert set(summary["last"]) >= {"val_seg_audio", "val_evt_event_av", "train_wsl"}
    assert all(0 <= summary["last"][f"val_{lv}_{m}"] <= 100 for lv in ("seg", "evt")
               for m in ("audio", "visual", "av", "type_av", "event_av"))
    assert {"last.pt", "best.pt", "history.jsonl", "config.json"} <= {
        p.name for p in out.iterdir()}
    config = json.loads((out / "config.json").read_text())
    spec = config["spec"]
    assert spec["variant"] == "han" and spec["hparams"]["preset"] == "paper"
    assert spec["hparams"]["lr_step"] == 10 and spec["model"]["d_model"] == 16
    assert spec["features"]["llp_frame"]["frame_rate"] == 8.0
    assert spec["data"]["train_clips"] == 24 and spec["data"]["val_clips"] == 8
    res = _train(*base, "--epochs", "3", "--resume")
    assert res.exit_code == 0, res.output
    lines = (out / "history.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [1, 2, 3]


def test_labels_file_preset_batch_and_full_variant(corpus, tmp_path):
    root, store = corpus
    out = tmp_path / "full"
    res = _train("--task", "avvp", "--store", str(store), "--out", str(out),
                 "--labels", str(root / "AVVP_train.csv"), "--variant", "base+gcaa+skip+adv",
                 "--hparams", "code", "--epochs", "1", "--d-model", "16", "--lambda-ad", "0.5")
    assert res.exit_code == 0, res.output
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["batch_size"] == 64  # the preset's, since --batch-size was not given
    hp = config["spec"]["hparams"]
    assert (hp["preset"], hp["lr"], hp["lambda_g"], hp["lambda_ad"]) == ("code", 6e-4, 0.3, 0.5)
    assert config["spec"]["variant"] == "base+adv+skip+gcaa"
    assert "train_disc_acc" in json.loads(res.stdout)["last"]


def test_pretrain_then_init(corpus, tmp_path):
    _, store = corpus
    pre = tmp_path / "pre"
    res = _train("--task", "avvp-pretrain", "--store", str(store), "--out", str(pre),
                 "--variant", "base+skip", "--objective", "cross", "--epochs", "1", *TINY)
    assert res.exit_code == 0, res.output
    assert "val_loss" in json.loads(res.stdout)["last"]
    res = _train("--task", "avvp", "--store", str(store), "--out", str(tmp_path / "ft"),
                 "--variant", "base+skip", "--init", str(pre), "--epochs", "1", *TINY)
    assert res.exit_code == 0, res.output
    res = _train("--task", "avvp", "--store", str(store), "--out", str(tmp_path / "bad"),
                 "--variant", "base+skip", "--init", str(pre), "--epochs", "1",
                 "--d-model", "32", "--batch-size", "8")
    assert res.exit_code == 2
    assert "do not fit this model" in res.stderr


@pytest.mark.parametrize("extra, message", [
    (["--variant", "han+skip"], "skip connections need base"),
    (["--variant", "base+foo"], "unknown part 'foo'"),
    (["--hparams", "fast"], "--hparams 'fast'"),
    (["--pool", "avg"], "do not apply to --task avvp"),
    (["--val-labels-dir", "/nonexistent/dir"], "no such folder"),
    (["--val-gt-audio", "/nonexistent/a.csv"], "give both --val-gt-audio and --val-gt-visual"),
    (["--objective", "uni"], "--objective do not apply to --task avvp"),
    (["--split", "nosuch"], "no clip with split 'nosuch'"),
])
def test_errors_exit_2_one_line(corpus, tmp_path, extra, message):
    _, store = corpus
    res = _train("--task", "avvp", "--store", str(store), "--out", str(tmp_path / "r"),
                 "--epochs", "1", *TINY, *extra)
    assert res.exit_code == 2, res.output
    assert message in res.stderr and res.stderr.strip().count("\n") == 0
    assert "Traceback" not in res.output


def test_store_without_llp_features(tmp_path):
    from avtool.store import FeatureInfo, ItemInfo, StoreWriter

    path = tmp_path / "other.h5"
    with StoreWriter(path, {"fbank": FeatureInfo("fbank", "fbank", {}, 100.0, (4,),
                                                 "float32")}) as w:
        w.add(ItemInfo("a"), {"fbank": np.zeros((5, 4), np.float32)})
    res = _train("--task", "avvp", "--store", str(path), "--out", str(tmp_path / "r"),
                 "--epochs", "1")
    assert res.exit_code == 2
    assert "lacks LLP feature(s) llp_audio, llp_frame, llp_motion" in res.stderr
