"""`avtool train retrieval` -> `retrieve index` -> `retrieve query` -> `evaluate retrieval`,
end to end on a feature-level synthetic corpus, with the bad-input paths."""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.tasks.retrieval.synth_features import write_feature_corpus

runner = CliRunner()
TINY = ["--d-model", "16", "--layers", "1", "--heads", "2", "--ff", "32", "--text-model", "tiny",
        "--tiny-hidden", "16", "--lr", "1e-3", "--epochs", "1", "--batch-size", "8",
        "--device", "cpu"]


def _ok(args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    work = tmp_path_factory.mktemp("retrieve")
    corpus = write_feature_corpus(work / "corpus", videos=24, seed=0)
    _ok(["train", "retrieval", "--store", corpus.store, "--captions", corpus.captions,
         "--out", work / "mmt", *TINY])
    _ok(["retrieve", "index", corpus.store, "--model", work / "mmt", "--out", work / "idx.h5"])
    return work, corpus


def test_query_prints_ranked_videos_with_expert_weights(trained):
    work, _ = trained
    result = _ok(["retrieve", "query", work / "idx.h5", "a dog barks while a red star spins",
                  "--top", "3", "--json"])
    out = json.loads(result.stdout)
    assert [r["rank"] for r in out["results"]] == [1, 2, 3]
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True)
    assert set(out["weights"]) == {"audio", "face", "frame", "motion", "speech"}
    assert sum(out["weights"].values()) == pytest.approx(1.0, abs=1e-4)
    assert out["truncated"] is False


def test_batch_rankings_are_what_evaluate_reads(trained):
    work, corpus = trained
    _ok(["retrieve", "query", work / "idx.h5", "--queries", corpus.test_queries, "--out",
         work / "rk"])
    rk = work / "rk"
    sims = np.load(rk / "sims.npy")
    assert sims.shape == (len((rk / "queries.txt").read_text().split()), 24)
    result = _ok(["evaluate", "retrieval", "--sim", rk / "sims.npy", "--query-ids",
                  rk / "queries.txt", "--video-ids", rk / "videos.txt", "--gt", rk / "gt.tsv",
                  "--json"])
    assert 1.0 <= json.loads(result.stdout)["t2v"]["MdR"] <= 24
    # the index gives the same scores as the predictor on the store (one exact path)
    from avtool.tasks import load_model
    from avtool.tasks.retrieval.predictor import RetrievalInputs

    ranked = load_model(work / "mmt").predict(RetrievalInputs(corpus.store, corpus.test_queries))
    np.testing.assert_allclose(ranked.sims, sims, rtol=1e-5, atol=1e-6)


def test_v2t_ranks_captions_for_a_video(trained):
    work, corpus = trained
    result = _ok(["retrieve", "query", work / "idx.h5", "video0", "--direction", "v2t",
                  "--captions", corpus.test_queries, "--top", "2", "--json"])
    assert len(json.loads(result.stdout)["video0"]) == 2


def test_long_caption_is_truncated_and_said_so(trained, caplog):
    work, _ = trained
    result = runner.invoke(app, ["retrieve", "query", str(work / "idx.h5"),
                                 " ".join(["a red star spins"] * 20), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["truncated"] is True
    assert any("truncated" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("caption", ["", "   "])
def test_empty_query(trained, caption):
    work, _ = trained
    result = runner.invoke(app, ["retrieve", "query", str(work / "idx.h5"), caption])
    assert result.exit_code == 2 and "empty caption" in result.output


def test_non_utf8_queries_file(trained, tmp_path):
    work, _ = trained
    bad = tmp_path / "q.txt"
    bad.write_bytes(b"a red \xff star\n")
    result = runner.invoke(app, ["retrieve", "query", str(work / "idx.h5"), "--queries",
                                 str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "not UTF-8" in result.output and str(bad) in result.output
    assert not (tmp_path / "out" / "sims.npy").exists()


def test_index_of_another_model(trained, tmp_path):
    from avtool.train.checkpoints import load_checkpoint, save_checkpoint

    work, _ = trained
    checkpoint = load_checkpoint(work / "mmt" / "best.pt")
    name = next(k for k in checkpoint["model_state"] if k.startswith("video."))
    checkpoint["model_state"][name] = checkpoint["model_state"][name] + 1.0
    (tmp_path / "other").mkdir()
    save_checkpoint(tmp_path / "other" / "best.pt", checkpoint)
    result = runner.invoke(app, ["retrieve", "query", str(work / "idx.h5"), "a red star",
                                 "--model", str(tmp_path / "other")])
    assert result.exit_code == 2 and "built with another model" in result.output


def test_corrupt_index(trained, tmp_path):
    work, _ = trained
    broken = tmp_path / "idx.h5"
    shutil.copy(work / "idx.h5", broken)
    with h5py.File(broken, "r+") as h5:
        del h5["present"]
    result = runner.invoke(app, ["retrieve", "query", str(broken), "a red star"])
    assert result.exit_code == 2 and "corrupt retrieval index" in result.output
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    result = runner.invoke(app, ["retrieve", "query", str(junk), "a red star"])
    assert result.exit_code == 2 and str(junk) in result.output


def test_store_missing_an_expert(trained, tmp_path):
    work, _ = trained
    other = write_feature_corpus(tmp_path / "c", videos=6, seed=1)
    with h5py.File(other.store, "r+") as h5:
        del h5["features/speech"]
    result = runner.invoke(app, ["retrieve", "index", str(other.store), "--model",
                                 str(work / "mmt"), "--out", str(tmp_path / "i.h5")])
    assert result.exit_code == 2 and "speech" in result.output
    assert not (tmp_path / "i.h5").exists()


def test_ce_and_masking_pretraining_then_finetuning(trained, tmp_path):
    work, corpus = trained
    _ok(["train", "retrieval", "--store", corpus.store, "--captions", corpus.captions,
         "--model", "ce", "--out", tmp_path / "ce", *TINY])
    _ok(["train", "retrieval", "--store", corpus.store, "--pretrain-masking", "0.8",
         "--out", tmp_path / "pre", *TINY])
    history = [json.loads(line) for line in (tmp_path / "pre" / "history.jsonl").open()]
    assert 0.0 <= history[-1]["train_speech_sup"] <= 1.0
    _ok(["train", "retrieval", "--store", corpus.store, "--captions", corpus.captions,
         "--init", tmp_path / "pre", "--out", tmp_path / "ft", *TINY])
    bad = runner.invoke(app, ["train", "retrieval", "--store", str(corpus.store),
                              "--pretrain-masking", "0.8", "--speech-expert", "nope",
                              "--out", str(tmp_path / "x"), *TINY])
    assert bad.exit_code == 2 and "--speech-expert nope" in bad.output


def test_approximate_mode_matches_exact_when_it_scans_every_cell(trained, tmp_path):
    pytest.importorskip("faiss")
    work, corpus = trained
    _ok(["retrieve", "index", corpus.store, "--model", work / "mmt", "--out",
         tmp_path / "idx.h5", "--approximate", "--lists", "2"])
    args = ["retrieve", "query", tmp_path / "idx.h5", "a blue circle bounces around",
            "--top", "5", "--json"]
    exact = json.loads(_ok(args).stdout)["results"]
    approx = json.loads(_ok([*args, "--approximate", "--nprobe", "2"]).stdout)["results"]
    assert [r["video_id"] for r in approx] == [r["video_id"] for r in exact]
    missing = runner.invoke(app, ["retrieve", "query", str(work / "idx.h5"), "a red star",
                                  "--approximate"])
    assert missing.exit_code == 2 and "no approximate index" in missing.output


def test_activitynet_paragraph_queries(trained):
    work, corpus = trained
    val = corpus.captions.parent / "activitynet" / "val_1.json"
    _ok(["retrieve", "query", work / "idx.h5", "--queries", val, "--out", work / "para"])
    queries = (work / "para" / "queries.txt").read_text().split()
    assert queries == (work / "para" / "gt.tsv").read_text().split()[::2]  # id = its video
    assert set(queries) == set(corpus.test_videos.read_text().split())
