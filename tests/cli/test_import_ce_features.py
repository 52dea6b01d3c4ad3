"""`avtool import ce-features` through the CLI: a CE release -> a store -> `avtool train
retrieval` (MMT and CE) -> `retrieve index`; reruns, bad videos, hostile files."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.formats.ce_features import CE_EXPERT_FILES, write_ce_expert
from avtool.store import open_store
from avtool.testing.ce_release import write_ce_release

runner = CliRunner()
TINY = ["--d-model", "16", "--layers", "1", "--heads", "2", "--ff", "32", "--text-model", "tiny",
        "--tiny-hidden", "16", "--lr", "1e-3", "--epochs", "1", "--batch-size", "8",
        "--device", "cpu"]


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _import(root, out, *more):
    return _run("import", "ce-features", "--root", root, "--out", out,
                "--split-list", root / "train_list_jsfusion.txt",
                "--split-list", root / "val_list_jsfusion.txt", *more)


def test_import_json_table_and_rerun(tmp_path):
    root = write_ce_release(tmp_path / "rel", videos=6)
    out = tmp_path / "ce.h5"
    result = _import(root, out, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["imported"] == 6 and report["splits"] == {"train": 4, "val": 2}
    assert report["features"]["face"]["missing"] == 1
    assert report["features"]["imagenet_senet154_0"]["dim"] == 6
    with open_store(out) as store:
        assert sorted(store.features) == ["audio", "face", "imagenet_senet154_0",
                                          "scene_densenet161_0", "speech"]
        assert store.read("video1", "face").shape == (0, 3)  # CE's NaN: a missing expert
        assert store.read("video0", "imagenet_senet154_0").shape == (1, 6)  # pooled (D,)
        assert store.read("video1", "audio").shape == (4, 4)
        assert store.item("video5").meta == {"split": "val"}
        info = store.features["speech"]
        assert (info.extractor, info.config["untimed"], info.config["temporal"]) == \
            ("ce_import", True, "vlad")
        from avtool.tasks.retrieval.ce import default_vlad_experts
        from avtool.tasks.retrieval.experts import expert_specs

        specs = expert_specs(store)
        assert not any(spec.timed for spec in specs)  # CE's rows carry no time
        assert default_vlad_experts(specs) == ["audio", "speech"]  # CE's temporal: vlad
    again = _import(root, out)
    assert again.exit_code == 0 and "already done" in again.stdout
    assert json.loads(_import(root, out, "--json").stdout)["already_done"] == 6


def test_import_into_a_store_keeps_its_items(tmp_path):
    from avtool.store import FeatureInfo, ItemInfo, StoreWriter

    root = write_ce_release(tmp_path / "rel", videos=4)
    out = tmp_path / "s.h5"
    with StoreWriter(out, {"fbank": FeatureInfo("fbank", "fbank", {}, 100.0, (2,),
                                                "float32")}) as writer:
        writer.add(ItemInfo("video0", "v0.mp4", 4.0, {"split": "test", "x": 1}),
                   {"fbank": np.ones((400, 2), np.float32)})
    assert _import(root, out).exit_code == 0
    with open_store(out) as store:
        assert store.item("video0") == ItemInfo("video0", "v0.mp4", 4.0,
                                                 {"split": "test", "x": 1})
        assert store.read("video0", "fbank").shape == (400, 2)
        assert store.read("video0", "face").shape == (1, 3)
        assert store.item("video1").meta == {"split": "train"} and len(store) == 4


def test_bad_video_listed_at_the_end_exit_1(tmp_path):
    root = write_ce_release(tmp_path / "rel", videos=6)
    path = root / CE_EXPERT_FILES["face"][0]
    data = pickle.loads(path.read_bytes())
    data["video3"] = np.array([1.0, np.nan, 2.0], np.float32)
    write_ce_expert(path, data)
    result = _import(root, tmp_path / "a.h5", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failed"][0]["video"] == "video3"
    assert "failed video3" in result.stderr and "partly NaN" in result.stderr
    with open_store(tmp_path / "a.h5") as store:
        assert len(store) == 5 and "video3" not in store
    strict = _import(root, tmp_path / "b.h5", "--strict")
    assert strict.exit_code == 2 and strict.stderr.startswith("avtool: error:")
    assert str(path) in strict.stderr and not (tmp_path / "b.h5").exists()


def test_hostile_file_refused_and_nothing_written(tmp_path):
    root = write_ce_release(tmp_path / "rel", videos=4)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    evil = tmp_path / "evil.pickle"
    evil.write_bytes(pickle.dumps({"video0": Evil()}))
    result = _run("import", "ce-features", "--root", root, "--file", evil,
                  "--out", tmp_path / "s.h5")
    assert result.exit_code == 2 and "refused to unpickle posix.system" in result.stderr
    assert str(evil) in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not marker.exists() and not (tmp_path / "s.h5").exists()


def test_bad_arguments(tmp_path):
    root = write_ce_release(tmp_path / "rel", videos=4)
    none = _run("import", "ce-features", "--out", tmp_path / "s.h5")
    assert none.exit_code == 2 and "--root" in none.stderr
    unknown = _run("import", "ce-features", "--root", root, "--expert", "nope",
                   "--out", tmp_path / "s.h5")
    assert unknown.exit_code == 2 and "unknown CE expert(s) nope" in unknown.stderr
    (tmp_path / "videos.txt").write_text("video0\n")
    unnamed = _run("import", "ce-features", "--root", root, "--split-list",
                   tmp_path / "videos.txt", "--out", tmp_path / "s.h5")
    assert unnamed.exit_code == 2 and "cannot tell the split" in unnamed.stderr
    assert not (tmp_path / "s.h5").exists()


def _ce_release_from_corpus(corpus, folder):
    """The synthetic feature corpus's experts written as CE releases them: frame and motion
    pooled to one (D,) vector, audio and speech as rows, face pooled; NaN where absent."""
    experts = {"frame": "imagenet.senet154.0", "motion": "i3d.i3d.0", "audio": "audio",
               "speech": "speech", "face": "face"}
    with open_store(corpus.store) as store:
        for feature, expert in experts.items():
            data = {}
            for vid in store.ids:
                rows = store.read(vid, feature)
                if not len(rows):
                    data[vid] = float("nan")
                else:
                    data[vid] = rows if expert in ("audio", "speech") else rows.mean(0)
            path = folder / CE_EXPERT_FILES[expert][0]
            path.parent.mkdir(parents=True, exist_ok=True)
            write_ce_expert(path, data)
    return folder


@pytest.mark.parametrize("model", ["mmt", "ce"])
def test_imported_store_trains_retrieval(tmp_path, model):
    from avtool.tasks.retrieval.synth_features import write_feature_corpus

    corpus = write_feature_corpus(tmp_path / "corpus", videos=16, seed=0)
    root = _ce_release_from_corpus(corpus, tmp_path / "rel")
    store = tmp_path / "ce.h5"
    result = _run("import", "ce-features", "--root", root, "--out", store)
    assert result.exit_code == 0, result.output
    run = tmp_path / model
    result = _run("train", "retrieval", "--store", store, "--captions", corpus.captions,
                  "--model", model, "--out", run, *TINY, "--epochs", "2")
    assert result.exit_code == 0, result.output
    history = [json.loads(line) for line in (run / "history.jsonl").open()]
    assert len(history) == 2 and np.isfinite(history[-1]["train_loss"])
    result = _run("retrieve", "index", store, "--model", run, "--out", tmp_path / "idx.h5")
    assert result.exit_code == 0, result.output
    result = _run("retrieve", "query", tmp_path / "idx.h5", "a red star spins", "--json")
    assert result.exit_code == 0, result.output
    weights = json.loads(result.stdout)["weights"]
    assert set(weights) == {"audio", "face", "i3d_i3d_0", "imagenet_senet154_0", "speech"}
