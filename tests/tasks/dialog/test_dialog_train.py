"""`avtool train dialog`: a teacher and its students through the CLI, the released .npy feature
layout as training input, and one-line errors for inconsistent options."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.tasks.dialog.synth_features import write_feature_corpus
from avtool.train import load_checkpoint

runner = CliRunner()
TINY = ["--embedding", "8", "--hidden", "8", "--projections", "8,8,8", "--attention", "8",
        "--fusion", "8", "--decoder", "16", "--min-count", "1", "--epochs", "1",
        "--batch-size", "32", "--device", "cpu"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("dialog_train")
    return root, write_feature_corpus(root, videos=16, seed=6)


def _train(root, store, out, *extra):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return runner.invoke(app, ["train", "dialog", "--store", str(store), "--out", str(out),
                                   "--dialogs", str(root / "train_set4DSTC7-AVSD.json"),
                                   *TINY, *extra])
    finally:
        torch.set_num_threads(threads)


def test_teacher_then_fixed_and_joint_students(corpus, tmp_path):
    root, store = corpus
    teacher = tmp_path / "teacher"
    res = _train(root, store, teacher, "--description", "caption")
    assert res.exit_code == 0, res.output
    spec = load_checkpoint(teacher)["spec"]
    assert spec["description"] == "caption" and spec["loss"] == "ce"
    teacher_state = load_checkpoint(teacher)["model_state"]
    from avtool.formats.avsd import read_avsd_data

    dialog = read_avsd_data(root / "test_set.json")[0]
    ask = ["answer", dialog.image_id, "--question", "how many objects are there ?", "--videos",
           str(store), "--model", str(teacher), "--device", "cpu", "--json"]
    res = runner.invoke(app, ask)
    assert res.exit_code == 0 and "trained reading the dialog's caption" in res.output
    assert json.loads(res.stdout)["description"] == "none"
    res = runner.invoke(app, [*ask, "--history", str(root / "test_set.json")])
    assert res.exit_code == 0 and json.loads(res.stdout)["description"] == "caption"
    for loss in ("st", "st-mse", "jst"):
        run = tmp_path / loss
        res = _train(root, store, run, "--loss", loss, "--teacher", str(teacher))
        assert res.exit_code == 0, res.output
        ckpt = load_checkpoint(run)
        assert ckpt["spec"]["description"] == "none"  # the student answers without it
        assert ckpt["spec"]["teacher"] == {"description": "caption", "from": str(teacher),
                                           "joint": loss == "jst"}
        kept = {k[len("teacher."):]: v for k, v in ckpt["model_state"].items()
                if k.startswith("teacher.")}
        same = all(torch.equal(kept[k], v) for k, v in teacher_state.items())
        assert same == (loss != "jst")  # a fixed teacher is bit-identical after training


@pytest.mark.parametrize("extra, message", [
    (["--loss", "st"], "--loss st learns from a fixed teacher: give --teacher"),
    (["--loss", "jst"], "give the --description it reads"),
    (["--features", "i3d_rgb,nope"], "lacks nope"),
    (["--projections", "8,8"], "2 widths for 3 streams"),
    (["--model", "transformer"], "--model 'transformer': expected one of"),
])
def test_inconsistent_options_are_one_line(corpus, tmp_path, extra, message):
    root, store = corpus
    res = _train(root, store, tmp_path / "run", *extra)
    assert res.exit_code == 2 and message in res.output, res.output
    assert len(res.output.strip().splitlines()) == 1 and not (tmp_path / "run").exists()


def test_teacher_must_have_read_a_description(corpus, tmp_path):
    root, store = corpus
    plain = tmp_path / "plain"
    assert _train(root, store, plain).exit_code == 0
    res = _train(root, store, tmp_path / "st", "--loss", "st", "--teacher", str(plain))
    assert res.exit_code == 2 and "a teacher is a --loss ce run that read a --description" \
        in res.output
    res = _train(root, store, tmp_path / "ce", "--teacher", str(plain))
    assert res.exit_code == 2 and "--teacher is for --loss st, st-mse or jst" in res.output


def test_missing_dialogs_and_features(corpus, tmp_path):
    root, store = corpus
    res = runner.invoke(app, ["train", "dialog", "--store", str(store), "--out",
                              str(tmp_path / "r"), *TINY])
    assert res.exit_code == 2 and "give the training dialogs" in res.output
    data = json.loads((root / "train_set4DSTC7-AVSD.json").read_text())
    data["dialogs"][0]["image_id"] = "NOT_IN_STORE"
    bad = tmp_path / "train.json"
    bad.write_text(json.dumps(data))
    res = runner.invoke(app, ["train", "dialog", "--store", str(store), "--out",
                              str(tmp_path / "r"), "--dialogs", str(bad), *TINY])
    assert res.exit_code == 2 and "have no i3d_rgb, i3d_flow, vggish features (first: " \
        "'NOT_IN_STORE')" in res.output


def test_released_npy_layout_trains_and_answers(corpus, tmp_path):
    from avtool.store import open_store

    root, store = corpus
    released = tmp_path / "features"
    with open_store(store) as st:
        for name in ("i3d_rgb", "i3d_flow", "vggish"):
            folder = released / (name if name != "vggish" else "vggish_testset")
            folder.mkdir(parents=True)
            for vid in st.ids:
                np.save(folder / f"{vid}.npy", np.asarray(st.read(vid, name)))
    run = tmp_path / "run"
    res = _train(root, released, run)
    assert res.exit_code == 0, res.output
    infos = load_checkpoint(run)["spec"]["features"]
    assert infos["vggish"]["extractor"] == "avsd_npy" and infos["i3d_rgb"]["frame_shape"] == [24]
    out = tmp_path / "result.json"
    res = runner.invoke(app, ["answer", "--dialogs", str(root / "test_set.json"), "--videos",
                              str(released), "--model", str(run), "--out", str(out),
                              "--device", "cpu"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["answer", "--dialogs", str(root / "test_set.json"), "--videos",
                              str(store), "--model", str(run), "--out", str(tmp_path / "s.json"),
                              "--device", "cpu"])
    assert res.exit_code == 0 and (tmp_path / "s.json").read_text() == out.read_text()
