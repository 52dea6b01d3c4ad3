"""`avtool evaluate captioning` end to end: TSV and DSTC7-AVSD JSON, METEOR, errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.metrics import meteor
from avtool.metrics.coco_java import CORENLP_JAR, resource_status

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "metrics"

REFS = {
    "v1_0": ["yes he is holding a cup", "yes he holds a cup of coffee"],
    "v2_3": ["no there is no sound", "i do not hear any sound", "no sound at all"],
    "v3_9": ["a dog barks twice", "the dog barks two times"],
    "v4_1": ["he walks to the left", "he moves to the left side of the room"],
}
HYPS = {"v4_1": "He walks to the right.", "v2_3": "No, there is no sound in the video!",
        "v1_0": "Yes -- he is holding a cup.", "v3_9": "I hear a dog barking..."}
GOLDEN = {"BLEU-1": 0.708333, "BLEU-2": 0.678540, "BLEU-3": 0.637418, "BLEU-4": 0.599875,
          "ROUGE-L": 0.764041, "CIDEr": 3.433594}


@pytest.fixture()
def tsv(tmp_path: Path) -> Path:
    rows = ["id\ttext"] + [f"{k}\t{r}" for k, rs in REFS.items() for r in rs]
    (tmp_path / "ref.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    rows = ["id\ttext"] + [f"{k}\t{v}" for k, v in HYPS.items()]
    (tmp_path / "hyp.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path


def _run(hyp: Path, ref: Path, *extra: str):
    return runner.invoke(app, ["evaluate", "captioning", "--hyp", str(hyp), "--ref", str(ref),
                               *extra])


def test_tsv_golden_json(tsv):
    res = _run(tsv / "hyp.tsv", tsv / "ref.tsv", "--no-meteor", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key, value in GOLDEN.items():
        assert out[key] == pytest.approx(value, abs=1e-6), key
    assert out["METEOR"] is None and "disabled" in out["meteor_note"]
    assert out["tokenizer"] == "ptb" and out["formats"] == {"hyp": "tsv", "ref": "tsv"}
    assert out["hypotheses"] == 4 and out["references"] == 9


@pytest.mark.skipif(bool(meteor.unavailable_reason()), reason="java/pycocoevalcap missing")
def test_tsv_golden_with_meteor_table(tsv):
    res = _run(tsv / "hyp.tsv", tsv / "ref.tsv")
    assert res.exit_code == 0, res.output
    assert "0.4598" in res.stdout and "3.4336" in res.stdout and "0.7083" in res.stdout
    out = json.loads(_run(tsv / "hyp.tsv", tsv / "ref.tsv", "--json").stdout)
    assert out["METEOR"] == pytest.approx(0.459786, abs=1e-6)


def test_meteor_unavailable_is_null_with_warning(tsv, monkeypatch):
    monkeypatch.setattr("avtool.metrics.coco_java.java_executable", lambda: None)
    res = _run(tsv / "hyp.tsv", tsv / "ref.tsv", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["METEOR"] is None and "no 'java'" in out["meteor_note"]
    assert "warning: METEOR unavailable" in res.stderr
    assert out["CIDEr"] == pytest.approx(GOLDEN["CIDEr"], abs=1e-6)


def test_avsd_result_against_multiref(tmp_path):
    hyp, ref = FIXTURES / "avsd_result.json", FIXTURES / "avsd_multiref.json"
    res = _run(hyp, ref, "--no-meteor", "--json")
    assert res.exit_code == 0, res.output
    assert "3 hypothesis ids" in res.stderr and "QX1A2_0" in res.stderr
    out = json.loads(res.stdout)
    assert out["hypotheses"] == 2 and out["references"] == 6
    assert out["formats"] == {"hyp": "avsd-dialogs", "ref": "coco"}
    assert len(out["extra_hypotheses"]) == 3
    last = _run(hyp, ref, "--no-meteor", "--json", "--last-only")
    assert last.exit_code == 0 and "warning" not in last.stderr
    assert json.loads(last.stdout)["CIDEr"] == out["CIDEr"]
    strict = _run(hyp, ref, "--no-meteor", "--strict")
    assert strict.exit_code == 2 and "(--strict)" in strict.stderr


def test_per_item_stopwords_and_append(tsv, tmp_path):
    table = tmp_path / "res.tsv"
    res = _run(tsv / "hyp.tsv", tsv / "ref.tsv", "--no-meteor", "--per-item",
               "--stopwords", "dstc7", "--append", str(table), "--name", "sys1")
    assert res.exit_code == 0, res.output
    assert "v3_9" in res.stdout and "dstc7" in res.stdout
    rows = list(csv.DictReader(table.open(), delimiter="\t"))
    assert rows[0]["name"] == "sys1" and rows[0]["stopwords"].startswith("dstc7:")
    assert rows[0]["METEOR"] == ""
    out = json.loads(_run(tsv / "hyp.tsv", tsv / "ref.tsv", "--no-meteor", "--per-item",
                          "--stopwords", "dstc7", "--json").stdout)
    assert [it["id"] for it in out["items"]] == list(REFS)
    assert out["stopwords"]["name"] == "dstc7"
    # the DSTC7 filter drops one-character words ("a", "i"), so the scores move
    assert out["BLEU-1"] != pytest.approx(GOLDEN["BLEU-1"], abs=1e-6)
    hyp_only = json.loads(_run(tsv / "hyp.tsv", tsv / "ref.tsv", "--no-meteor", "--json",
                               "--stopwords", "dstc7", "--stopwords-on", "hyp").stdout)
    assert hyp_only["stopwords"]["applied_to"] == "hyp"
    assert hyp_only["ROUGE-L"] < out["ROUGE-L"]   # references keep "a" and "i"


def test_ptb_java_tokenizer_gives_same_scores(tsv):
    if resource_status(CORENLP_JAR)[0] is None:
        pytest.skip("java or the CoreNLP jar is missing")
    res = _run(tsv / "hyp.tsv", tsv / "ref.tsv", "--no-meteor", "--json",
               "--tokenizer", "ptb-java")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["tokenizer"] == "ptb-java"
    for key, value in GOLDEN.items():
        assert out[key] == pytest.approx(value, abs=1e-6), key


def test_missing_hypothesis_is_an_error(tsv):
    lines = (tsv / "hyp.tsv").read_text().splitlines()
    (tsv / "hyp.tsv").write_text("\n".join(lines[:-1]) + "\n")
    res = _run(tsv / "hyp.tsv", tsv / "ref.tsv", "--no-meteor")
    assert res.exit_code == 2
    assert res.stderr.startswith("avtool: error: 1 of 4 reference ids")
    assert "v3_9" in res.stderr and res.stderr.count("\n") == 1


@pytest.mark.parametrize(("content", "message"), [
    ("id\ttext\nv1_0 no tab\n", "hyp.tsv:2: expected 'id<TAB>text'"),
    ("v1_0\tx\n", "hyp.tsv:1: expected the header"),
    ('{"foo": 1}', "neither DSTC7-AVSD dialogs"),
    ("id\ttext\nv1_0\ta\nv1_0\tb\n", "'v1_0' appears 2 times"),
])
def test_malformed_hypotheses(tsv, content, message):
    (tsv / "hyp.tsv").write_text(content, encoding="utf-8")
    res = _run(tsv / "hyp.tsv", tsv / "ref.tsv", "--no-meteor")
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.output


def test_missing_stopword_file(tsv):
    res = _run(tsv / "hyp.tsv", tsv / "ref.tsv", "--no-meteor", "--stopwords",
               str(tsv / "nope.txt"))
    assert res.exit_code == 2 and "nope.txt: cannot read the stop-word file" in res.stderr


def test_help_has_example():
    res = runner.invoke(app, ["evaluate", "captioning", "--help"])
    assert res.exit_code == 0 and "Example: avtool evaluate captioning" in res.stdout
