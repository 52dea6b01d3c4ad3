"""`avtool train dialog` then `avtool answer` on a tiny feature-level corpus: the batch result
file `evaluate captioning` scores (one and several references), single questions with a
history, and every bad-input rule (one line, exit 2; batch failures listed, exit 1; nothing
half-written)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.formats.avsd import UNDISCLOSED, read_avsd_data
from avtool.tasks.dialog.synth_features import write_feature_corpus

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("dialog_answer")
    store = write_feature_corpus(root, videos=20, seed=2)
    run = root / "run"
    res = runner.invoke(app, [
        "train", "dialog", "--store", str(store), "--out", str(run), "--dialogs",
        str(root / "train_set4DSTC7-AVSD.json"), "--val-dialogs",
        str(root / "valid_set4DSTC7-AVSD.json"), "--embedding", "8", "--hidden", "8",
        "--projections", "8,8,8", "--attention", "8", "--fusion", "8", "--decoder", "16",
        "--min-count", "1", "--max-history", "3", "--epochs", "1", "--batch-size", "32",
        "--device", "cpu"])
    torch.set_num_threads(threads)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["best"]["metric"] == "perplexity"
    return root, store, run


def _answer(*args: str):
    return runner.invoke(app, ["answer", *args, "--device", "cpu"])


def test_batch_result_file_scores_with_multiple_references(trained, tmp_path):
    root, store, run = trained
    out = tmp_path / "result.json"
    res = _answer("--dialogs", str(root / "test_set4DSTC7-AVSD.json"), "--videos", str(store),
                  "--model", str(run), "--out", str(out), "--last-only", "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["failed"] == [] and summary["decoding"]["beam"] == 5
    given = read_avsd_data(root / "test_set4DSTC7-AVSD.json")
    result = read_avsd_data(out)
    assert summary["answered"] == len(given)
    for before, after in zip(given, result, strict=True):
        assert after.turns[:-1] == before.turns[:-1]  # earlier turns keep the file's answers
        assert not after.turns[-1].undisclosed and after.turns[-1].answer.strip()
    res = runner.invoke(app, ["evaluate", "captioning", "--hyp", str(out), "--ref",
                              str(root / "test_set4DSTC7-AVSD_multiref.json"), "--last-only",
                              "--no-meteor", "--json"])
    assert res.exit_code == 0, res.output
    scores = json.loads(res.stdout)
    assert 0 <= scores["BLEU-4"] <= 1 and 0 <= scores["CIDEr"] <= 10
    assert scores["hypotheses"] == len(given) and scores["references"] > len(given)


def test_batch_every_turn_single_reference(trained, tmp_path):
    root, store, run = trained
    out = tmp_path / "trial.json"
    res = _answer("--dialogs", str(root / "test_set.json"), "--videos", str(store), "--model",
                  str(run), "--out", str(out), "--greedy")
    assert res.exit_code == 0, res.output
    assert "greedy" in res.stdout
    res = runner.invoke(app, ["evaluate", "captioning", "--hyp", str(out), "--ref",
                              str(root / "test_set.json"), "--no-meteor", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hypotheses"] == 10 * len(read_avsd_data(out))


def test_single_question_with_history(trained, tmp_path):
    root, store, run = trained
    dialog = read_avsd_data(root / "test_set.json")[0]
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"question": t.question, "answer": t.answer}
                                   for t in dialog.turns[:2]]))
    args = (dialog.image_id, "--question", "what color is it ?", "--history", str(history),
            "--videos", str(store), "--model", str(run), "--json")
    res = _answer(*args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["video"] == dialog.image_id and out["history_pairs"] == 2
    assert out["answer"] and out["history_dropped"] == 0
    assert json.loads(_answer(*args).stdout)["answer"] == out["answer"]  # deterministic
    plain = _answer(*args[:-1])
    assert plain.exit_code == 0 and plain.stdout.strip() == out["answer"]


def test_a_long_history_is_cut_with_a_warning(trained):
    root, store, run = trained
    dialog = read_avsd_data(root / "test_set.json")[0]
    res = _answer(dialog.image_id, "--question", "how many objects are there ?", "--history",
                  str(root / "test_set.json"), "--videos", str(store), "--model", str(run),
                  "--json")
    assert res.exit_code == 0, res.output
    assert "the history has 10 QA pairs, the model reads at most 3" in res.output
    assert json.loads(res.stdout)["history_dropped"] == 7


@pytest.mark.parametrize("question, video, message", [
    ("   ", None, "the question is empty"),
    ("zebra giraffe ?", None, "only words the model does not know"),
    ("what color is it ?", "NO_SUCH_VIDEO", "no features for video 'NO_SUCH_VIDEO'"),
])
def test_single_question_bad_input(trained, question, video, message):
    root, store, run = trained
    vid = video or read_avsd_data(root / "test_set.json")[0].image_id
    res = _answer(vid, "--question", question, "--videos", str(store), "--model", str(run))
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_bad_history_and_missing_model(trained, tmp_path, monkeypatch):
    root, store, run = trained
    vid = read_avsd_data(root / "test_set.json")[0].image_id
    bad = tmp_path / "history.json"
    bad.write_text(json.dumps([{"question": "what is it ?"}]))
    res = _answer(vid, "--question", "what is it ?", "--history", str(bad), "--videos",
                  str(store), "--model", str(run))
    assert res.exit_code == 2 and "turn 0 has no 'answer'" in res.output
    monkeypatch.delenv("AVTOOL_DIALOG_MODEL", raising=False)
    res = _answer(vid, "--question", "what is it ?", "--videos", str(store))
    assert res.exit_code == 2 and "give --model" in res.output


def test_batch_schema_error_writes_nothing(trained, tmp_path):
    root, store, run = trained
    data = json.loads((root / "test_set.json").read_text())
    del data["dialogs"][1]["dialog"][3]["question"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    out = tmp_path / "result.json"
    res = _answer("--dialogs", str(bad), "--videos", str(store), "--model", str(run), "--out",
                  str(out))
    assert res.exit_code == 2 and not out.exists()
    vid = data["dialogs"][1]["image_id"]
    assert f"dialogs[1] ({vid}) turn 3 has no 'question'" in res.output


def test_batch_lists_failures_and_exits_1(trained, tmp_path):
    root, store, run = trained
    data = json.loads((root / "test_set.json").read_text())
    data["dialogs"][0]["image_id"] = "NOT_IN_STORE"
    data["dialogs"][1]["dialog"][2]["question"] = "zebra giraffe ?"
    data["dialogs"][1]["dialog"][4]["question"] = ""
    path = tmp_path / "dialogs.json"
    path.write_text(json.dumps(data))
    out = tmp_path / "result.json"
    res = _answer("--dialogs", str(path), "--videos", str(store), "--model", str(run), "--out",
                  str(out))
    assert res.exit_code == 1
    assert "failed: NOT_IN_STORE:" in res.output
    second = data["dialogs"][1]["image_id"]
    assert f"failed: {second} turn 2: the question has only words" in res.output
    assert f"failed: {second} turn 4: the question is empty" in res.output
    result = read_avsd_data(out)
    assert all(t.answer == UNDISCLOSED for t in result[0].turns)
    assert result[1].turns[2].answer == UNDISCLOSED and not result[1].turns[3].undisclosed
    res = _answer("--dialogs", str(path), "--videos", str(store), "--model", str(run), "--out",
                  str(tmp_path / "strict.json"), "--strict")
    assert res.exit_code == 2 and not (tmp_path / "strict.json").exists()


def test_batch_needs_videos_and_out(trained):
    root, store, run = trained
    res = _answer("--dialogs", str(root / "test_set.json"), "--model", str(run))
    assert res.exit_code == 2 and "needs --videos" in res.output
    res = _answer("x.mp4", "--model", str(run))
    assert res.exit_code == 2 and "give VIDEO and --question" in res.output
