"""`avtool evaluate transcription` end to end: formats, categories, alignments, errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app

runner = CliRunner()


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "ref.txt").write_text(
        "utt01 Now I will cut the tomato.\nutt02 add some salt\nutt03 stir it well\n"
        "utt04 the oven is hot\n", encoding="utf-8")
    (tmp_path / "hyp.txt").write_text(
        "utt02 add sum salt\nutt01 now i will cut the tomato\nutt04 the oven is hot hot\n"
        "utt99 stray line\n", encoding="utf-8")
    (tmp_path / "utt2noise").write_text(
        "utt01 clean\nutt02 burst\nutt03 burst\nutt04 clean\n", encoding="utf-8")
    return tmp_path


def _run(d: Path, *extra: str):
    return runner.invoke(app, ["evaluate", "transcription", "--hyp", str(d / "hyp.txt"),
                               "--ref", str(d / "ref.txt"), *extra])


def test_json_counts_missing_and_extra(files):
    res = _run(files, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # 16 reference words; S=1 (sum), D=3 (utt03 has no hypothesis), I=1 (hot)
    assert (out["substitutions"], out["deletions"], out["insertions"]) == (1, 3, 1)
    assert out["reference_words"] == 16
    assert out["wer"] == pytest.approx(100 * 5 / 16)
    assert 0 < out["cer"] < out["wer"]
    assert out["missing_hypotheses"] == ["utt03"] and out["extra_hypotheses"] == ["utt99"]
    assert out["normalization"] == "basic" and out["format"] == "kaldi"
    assert "utt03" in res.stderr and "counted as deletions" in res.stderr
    assert "utt99" in res.stderr and "not scored" in res.stderr


def test_categories_table_and_json(files):
    res = _run(files, "--categories", str(files / "utt2noise"))
    assert res.exit_code == 0, res.output
    assert "burst" in res.stdout and "clean" in res.stdout and "WER" in res.stdout
    out = json.loads(_run(files, "--categories", str(files / "utt2noise"), "--json").stdout)
    burst, clean = out["categories"]["burst"], out["categories"]["clean"]
    assert burst["utterances"] == 2 and burst["reference_words"] == 6
    assert burst["wer"] == pytest.approx(100 * 4 / 6)
    assert clean["wer"] == pytest.approx(100 * 1 / 10)


def test_alignments_text_and_json(files):
    res = _run(files, "--alignments")
    assert res.exit_code == 0, res.output
    assert "REF: add some salt" in res.stdout and "HYP: add sum  salt" in res.stdout
    assert "(no hypothesis)" in res.stdout
    out = json.loads(_run(files, "--alignments", "--json").stdout)
    first = out["alignments"][0]
    assert first["id"] == "utt01" and first["ops"] == ["="] * 6
    assert out["alignments"][3]["ops"][-1] == "I"


def test_normalisation_presets_change_the_result(files):
    none = json.loads(_run(files, "--normalize", "none", "--json").stdout)
    basic = json.loads(_run(files, "--json").stdout)
    assert none["normalization"] == "none" and none["wer"] > basic["wer"]
    custom = json.loads(_run(files, "--normalize", "lowercase+remove_punctuation",
                             "--json").stdout)
    assert custom["normalization"] == "lowercase+remove_punctuation"
    assert custom["wer"] == pytest.approx(basic["wer"])


def test_plain_lines_autodetected(tmp_path):
    (tmp_path / "ref.txt").write_text("the cat sat\nthe dog ran\n", encoding="utf-8")
    (tmp_path / "hyp.txt").write_text("the cat sat\nthe dog\n", encoding="utf-8")
    res = _run(tmp_path, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["format"] == "plain" and out["deletions"] == 1
    assert "as plain transcripts (auto-detected" in res.stderr


def test_append_rows(files, tmp_path):
    table = tmp_path / "results.tsv"
    for name in ("run-a", "run-b"):
        res = _run(files, "--append", str(table), "--name", name)
        assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(table.open(), delimiter="\t"))
    assert [r["name"] for r in rows] == ["run-a", "run-b"]
    assert float(rows[0]["wer"]) == pytest.approx(100 * 5 / 16)
    assert rows[0]["normalization"] == "basic" and rows[0]["missing_hypotheses"] == "1"


@pytest.mark.parametrize(("args", "message"), [
    (["--strict", "--format", "kaldi"], "1 reference ids have no hypothesis"),
    (["--normalize", "fancy", "--format", "kaldi"], "unknown normalisation 'fancy'"),
    (["--format", "plain"], "has 1 lines but"),
])
def test_error_paths(files, args, message):
    if args == ["--format", "plain"]:
        (files / "hyp.txt").write_text("one line\n", encoding="utf-8")
    res = _run(files, *args)
    assert res.exit_code == 2
    assert res.stderr.startswith("avtool: error:") and message in res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.output


def test_categories_missing_ids_is_an_error(files):
    (files / "utt2noise").write_text("utt01 clean\n", encoding="utf-8")
    res = _run(files, "--categories", str(files / "utt2noise"))
    assert res.exit_code == 2
    assert "no category for 3 of 4 utterances" in res.stderr and "utt02" in res.stderr


def test_missing_file_and_wordless_reference(files):
    res = runner.invoke(app, ["evaluate", "transcription", "--hyp", str(files / "nope.txt"),
                              "--ref", str(files / "ref.txt")])
    assert res.exit_code == 2 and "nope.txt: file not found" in res.stderr
    (files / "ref.txt").write_text("utt01 ...\nutt02 !\n", encoding="utf-8")
    (files / "hyp.txt").write_text("utt01 a\nutt02 b\n", encoding="utf-8")
    res = _run(files, "--format", "kaldi")
    assert res.exit_code == 2 and "no word after normalisation 'basic'" in res.stderr


def test_help_has_example():
    res = runner.invoke(app, ["evaluate", "transcription", "--help"])
    assert res.exit_code == 0 and "Example: avtool evaluate transcription" in res.stdout
