"""`avtool evaluate speaker` end to end through Typer's CliRunner, error paths included."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "speaker"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    monkeypatch.delenv("AVTOOL_DEBUG", raising=False)


def _run(*args):
    return runner.invoke(app, ["evaluate", "speaker", *map(str, args)])


@pytest.fixture
def toy(tmp_path):
    """The digest's worked vector as a trial list and a score file (scores in another order)."""
    tar = [0.9, 0.8, 0.4]
    non = [0.7, 0.3, 0.2, 0.1]
    trials = tmp_path / "toy_trials.txt"
    scores = tmp_path / "toy_scores.txt"
    lines = [(1, f"id1/v/{i:05d}.wav", "id1/w/00001.wav", s) for i, s in enumerate(tar)]
    lines += [(0, f"id2/v/{i:05d}.wav", "id1/w/00001.wav", s) for i, s in enumerate(non)]
    trials.write_text("".join(f"{lab} {a} {b}\n" for lab, a, b, _ in lines))
    scores.write_text("".join(f"{a} {b} {s}\n" for _, a, b, s in reversed(lines)))
    return trials, scores


def test_table_prints_parameters_beside_numbers():
    res = _run("--scores", FIX / "scores.txt", "--trials", FIX / "veri_test2.txt",
               "--p-target", "0.01", "--p-target", "0.05")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "EER (%)" in out and "33.3333" in out
    assert "P_target=0.01, C_miss=1, C_fa=1" in out
    assert "P_target=0.05, C_miss=1, C_fa=1" in out
    assert "3 target, 4 non-target" in out


@pytest.mark.parametrize(("mode", "eer"), [("roc", 25.0), ("max", 100 / 3), ("mean", 175 / 6)])
def test_json_golden_vector(toy, mode, eer):
    trials, scores = toy
    res = _run("--scores", scores, "--trials", trials, "--json", "--eer-mode", mode)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["eer"] == pytest.approx(eer)
    assert data["eer_mode"] == mode
    assert list(data["min_dcf"]) == ["0.01"]  # default: the thesis's P_target
    assert data["min_dcf"]["0.01"] == pytest.approx(1 / 3)
    assert (data["n_target"], data["n_nontarget"]) == (3, 4)
    assert (data["c_miss"], data["c_fa"]) == (1.0, 1.0)
    assert len(data["trial_list_sha256"]) == 64


def test_json_two_p_targets_and_costs(toy):
    trials, scores = toy
    res = _run("--scores", scores, "--trials", trials, "--json", "--p-target", "0.05",
               "--p-target", "0.01", "--c-miss", "10")
    data = json.loads(res.stdout)
    assert list(data["min_dcf"]) == ["0.05", "0.01"]
    assert data["c_miss"] == 10.0
    assert all(0.0 <= v <= 1.0 for v in data["min_dcf"].values())


def test_det_plot_written(tmp_path):
    det = tmp_path / "plots" / "det.png"
    res = _run("--scores", FIX / "scores.txt", "--trials", FIX / "veri_test.txt", "--det", det)
    assert res.exit_code == 0, res.output
    assert det.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert det.stat().st_size > 10_000
    assert "DET curve written" in res.stderr
    assert [p.name for p in det.parent.iterdir()] == ["det.png"]  # no temp file left


def test_det_bad_format_leaves_nothing(tmp_path):
    det = tmp_path / "det.xyz"
    res = _run("--scores", FIX / "scores.txt", "--trials", FIX / "veri_test.txt", "--det", det)
    assert res.exit_code == 2
    assert "unknown format '.xyz'" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_append_rows(tmp_path, toy):
    trials, scores = toy
    tsv = tmp_path / "results.tsv"
    for name in ("first", "second"):
        res = _run("--scores", scores, "--trials", trials, "--append", tsv, "--name", name)
        assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(tsv.open(), delimiter="\t"))
    assert [r["name"] for r in rows] == ["first", "second"]
    assert float(rows[0]["eer"]) == pytest.approx(25.0)
    assert float(rows[0]["min_dcf.0.01"]) == pytest.approx(1 / 3)
    assert rows[0]["eer_mode"] == "roc"


def test_missing_score_is_one_line_error():
    res = _run("--scores", FIX / "scores.txt", "--trials", FIX / "list_test_all2.txt")
    assert res.exit_code == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("avtool: error: ")
    assert "list_test_all2.txt:2: no score for" in lines[0]
    assert "Traceback" not in res.output


@pytest.mark.parametrize(("args", "message"), [
    (("--trials", FIX / "bad_trials_two_columns.txt"), "bad_trials_two_columns.txt:1: expected"),
    (("--trials", FIX / "bad_trials_label.txt"), "bad_trials_label.txt:2: label '2'"),
    (("--trials", FIX / "missing.txt"), "missing.txt: no such file"),
    (("--trials", FIX / "veri_test.txt", "--p-target", "1.5"), "--p-target 1.5: is out of range"),
])
def test_bad_inputs_exit_2(args, message):
    res = _run("--scores", FIX / "scores.txt", *args)
    assert res.exit_code == 2
    assert message in res.stderr
    assert res.stdout == ""


def test_bad_scores_file_exit_2():
    res = _run("--scores", FIX / "bad_scores_value.txt", "--trials", FIX / "veri_test.txt")
    assert res.exit_code == 2
    assert "bad_scores_value.txt:2: score 'high' is not a number" in res.stderr


def test_only_targets_exit_2(tmp_path):
    trials = tmp_path / "t.txt"
    trials.write_text("1 id10270/x6uYqmx31kE/00001.wav id10270/8jEAjG6SegY/00008.wav\n")
    res = _run("--scores", FIX / "scores.txt", "--trials", trials)
    assert res.exit_code == 2
    assert "1 target and 0 non-target" in res.stderr


def test_help_has_example():
    res = runner.invoke(app, ["evaluate", "speaker", "--help"])
    assert res.exit_code == 0
    assert "Example: avtool evaluate speaker --scores" in res.stdout
