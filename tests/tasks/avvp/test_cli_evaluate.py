"""`avtool evaluate avvp` end to end on the LLP-format fixtures, error paths included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "llp"
runner = CliRunner()

# Hand-worked for the fixture (4 clips; the 4th has no rows and scores 1.0 everywhere):
# segment A (1 + .8 + .5 + 1)/4, V (2/3 + 1 + 0 + 1)/4, AV (2/3 + 2/3 + 1 + 1)/4,
# Ev@AV (30/35 + 1)/2, 12/13, 2/6, 1; event A/V (1 + 1 + 0 + 1)/4, AV 1, Ev@AV (1+1+0+1)/4.
# Event audio of clip 1 is 1 only because the adjacent Singing rows 0-2, 2-6, 6-10 merge.
SEGMENT = {"audio": 82.5, "visual": 200 / 3, "av": 250 / 3, "type_av": 77.5,
           "event_av": 100 * ((30 / 35 + 1) / 2 + 12 / 13 + 1 / 3 + 1) / 4}
EVENT = {"audio": 75.0, "visual": 75.0, "av": 100.0, "type_av": 250 / 3, "event_av": 75.0}


def _args(d: Path = FIX, **over: str) -> list[str]:
    files = {"clips": "AVVP_test_pd.csv", "gt-audio": "AVVP_eval_audio.csv",
             "gt-visual": "AVVP_eval_visual.csv", "pred-audio": "pred_audio.tsv",
             "pred-visual": "pred_visual.tsv"}
    files.update(over)
    args = ["evaluate", "avvp"]
    for opt, name in files.items():
        args += [f"--{opt}", str(d / name)]
    return args


def test_json_matches_hand_worked_scores():
    res = runner.invoke(app, [*_args(), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["segment"] == pytest.approx(SEGMENT)
    assert out["event"] == pytest.approx(EVENT)
    assert out["n_clips"] == 4
    assert out["parameters"]["iou_threshold"] == 0.5
    assert out["parameters"]["ignored_pred_rows"] == 0


def test_table_is_the_papers_layout():
    res = runner.invoke(app, _args())
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    header = next(line for line in lines if "Type@AV" in line)
    assert [h in header for h in ("Audio", "Visual", "AV", "Event@AV")] == [True] * 4
    seg = next(line for line in lines if "Segment-level" in line)
    evt = next(line for line in lines if "Event-level" in line)
    assert ["82.5", "66.7", "83.3", "77.5", "79.6"] == [c.strip() for c in seg.split("│")[2:7]]
    assert ["75.0", "75.0", "100.0", "83.3", "75.0"] == [c.strip() for c in evt.split("│")[2:7]]
    assert "4 clips" in res.stdout


def test_append_rows(tmp_path):
    tsv = tmp_path / "results.tsv"
    for name in ("run1", None):
        extra = ["--append", str(tsv)] + (["--name", name] if name else [])
        res = runner.invoke(app, [*_args(), "--json", *extra])
        assert res.exit_code == 0, res.output
    header, row1, row2 = [line.split("\t") for line in tsv.read_text().splitlines()]
    assert header[:3] == ["name", "segment.audio", "segment.visual"]
    assert "event.event_av" in header and header[-1] == "n_clips"
    assert row1[0] == "run1" and float(row1[1]) == 82.5
    assert row2[0] == "pred_audio.tsv+pred_visual.tsv"


def test_missing_file_exit_2_one_line():
    res = runner.invoke(app, _args(**{"gt-visual": "nope.csv"}))
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0
    assert "nope.csv: no such file" in res.stderr and "Traceback" not in res.output


def test_malformed_row_names_file_and_line(tmp_path):
    d = tmp_path / "llp"
    shutil.copytree(FIX, d)
    with (d / "pred_visual.tsv").open("a") as fh:
        fh.write("Zz0Yy1Xx2Ww_101.8_111.8\t4\tCat\n")
    res = runner.invoke(app, _args(d))
    assert res.exit_code == 2
    assert "pred_visual.tsv:5: 3 tab-separated field(s)" in res.stderr
    (d / "AVVP_eval_audio.csv").write_text(
        "filename\tonset\toffset\tevent_labels\nx-Ab_9Cd0eF_30_40\t0\t2\tSingin\n")
    res = runner.invoke(app, _args(d))
    assert res.exit_code == 2
    assert "AVVP_eval_audio.csv:2: unknown class 'Singin'" in res.stderr


def test_prediction_for_unlisted_clip(tmp_path):
    d = tmp_path / "llp"
    shutil.copytree(FIX, d)
    with (d / "pred_audio.tsv").open("a") as fh:
        fh.write("Orph4nClip0_0_10\t0\t10\tSpeech\n")
    res = runner.invoke(app, [*_args(d), "--json"])
    assert res.exit_code == 2
    assert "pred_audio.tsv:6: clip 'Orph4nClip0_0_10' is not in" in res.stderr
    assert "--allow-extra" in res.stderr and res.stdout == ""
    res = runner.invoke(app, [*_args(d), "--json", "--allow-extra"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["segment"] == pytest.approx(SEGMENT)  # the extra row changes nothing
    assert out["parameters"]["ignored_pred_rows"] == 1
    assert "ignored 1 prediction row" in res.stderr


def test_missing_predictions_count_as_predicting_nothing(tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("filename\tonset\toffset\tevent_labels\n")
    res = runner.invoke(app, [*_args(), "--json", "--pred-audio", str(empty),
                              "--pred-visual", str(empty)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # only the clip without rows scores (1.0) in audio; visual: it and the clip without visual
    assert out["segment"]["audio"] == 25.0 and out["segment"]["visual"] == 50.0
    assert out["event"]["event_av"] == 25.0
