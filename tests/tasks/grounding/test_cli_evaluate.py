"""`avtool evaluate grounding` end to end on Charades-STA and ActivityNet Captions fixtures."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "grounding"
runner = CliRunner()

# Hand-worked for charades_sta_test.txt + pred_charades.tsv + durations.tsv (clipped):
# q0 1.0; q1 [8,12] vs [8,16] 0.5; q2 [23,30] vs [20.8,30] 7/9.2; q3 no prediction 0;
# q4 [26,29.5] vs GT clipped [24.3,29.5] 3.5/5.2; q5 [0,1] vs [0,4] 0.25.
IOUS = [1.0, 0.5, 7 / 9.2, 0.0, 3.5 / 5.2, 0.25]
CHARADES = ["evaluate", "grounding", "--pred", str(FIX / "pred_charades.tsv"),
            "--gt", str(FIX / "charades_sta_test.txt")]


def test_charades_json_with_durations():
    res = runner.invoke(app, [*CHARADES, "--durations", str(FIX / "durations.tsv"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["recall"] == pytest.approx({"0.1": 5 / 6, "0.3": 4 / 6, "0.5": 4 / 6,
                                           "0.7": 2 / 6})
    assert out["miou"] == pytest.approx(sum(IOUS) / 6)
    assert out["counts"] == {"queries": 6, "predictions": 5, "missing": 1, "pred_clipped": 2,
                             "gt_clipped": 1, "unknown_duration": 0}
    assert "recall@5" not in out
    assert "1 of 6 queries have no prediction and score 0: 3" in res.stderr


def test_strict_rule_drops_exact_half():
    res = runner.invoke(app, [*CHARADES, "--durations", str(FIX / "durations.tsv"),
                              "--iou-rule", "gt", "--iou", "0.5", "--json"])
    out = json.loads(res.stdout)
    assert out["recall"] == {"0.5": pytest.approx(3 / 6)} and out["params"]["iou_rule"] == ">"


def test_charades_without_durations_clips_at_zero_only():
    res = runner.invoke(app, [*CHARADES, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    ious = [1.0, 0.5, 7 / 14.2, 0.0, 3.5 / 6.1, 0.25]
    assert out["miou"] == pytest.approx(sum(ious) / 6)
    assert out["counts"]["pred_clipped"] == 1 and out["counts"]["unknown_duration"] == 6
    assert "pass --durations" in res.stderr


def test_activitynet_ranked_predictions_give_recall_at_5(tmp_path):
    per_video = tmp_path / "per_video.tsv"
    per_query = tmp_path / "per_query.tsv"
    res = runner.invoke(app, ["evaluate", "grounding", "--pred",
                              str(FIX / "pred_activitynet.tsv"), "--gt",
                              str(FIX / "activitynet_val.json"), "--iou", "0.3,0.5",
                              "--per-video", str(per_video), "--per-query", str(per_query),
                              "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # top-1 IoUs: 1, 20.81/43.44, 0, 1, missing -> R@1 at .3 and .5 = 2/5; rank 2 of #1 is exact.
    assert out["recall"] == pytest.approx({"0.3": 0.6, "0.5": 0.4})
    assert out["recall@5"] == pytest.approx({"0.3": 0.6, "0.5": 0.6})
    assert out["miou"] == pytest.approx((2 + 20.81 / 43.44) / 5)
    assert out["counts"]["gt_clipped"] == 1 and out["counts"]["missing"] == 1
    rows = list(csv.DictReader(per_video.open(), delimiter="\t"))
    assert [r["video_id"] for r in rows] == ["v_QOlSCBRmfWY", "v_ehGHCYKzyZ8"]
    assert rows[1]["queries"] == "2" and float(rows[1]["miou"]) == 0.5
    q = list(csv.DictReader(per_query.open(), delimiter="\t"))
    assert q[4]["query_id"] == "v_ehGHCYKzyZ8#1" and q[4]["pred_start"] == ""
    assert float(q[1]["best_iou@5"]) == 1.0


def test_table_output_and_append(tmp_path):
    out_tsv = tmp_path / "results.tsv"
    res = runner.invoke(app, [*CHARADES, "--durations", str(FIX / "durations.tsv"),
                              "--append", str(out_tsv), "--name", "MALTA"])
    assert res.exit_code == 0, res.output
    assert "IoU>=0.5" in res.stdout and "mIoU" in res.stdout and "0.6667" in res.stdout
    row = next(csv.DictReader(out_tsv.open(), delimiter="\t"))
    assert row["name"] == "MALTA" and float(row["recall.0.7"]) == pytest.approx(1 / 3)


@pytest.mark.parametrize(("body", "msg"), [
    ("0\tAO8RW\t0.0\n", "pred.tsv:2: 3 fields, header has 4"),
    ("0\tAO8RW\t9\t1\n", "pred.tsv:2: start 9.0 is after end 1.0"),
    ("77\tAO8RW\t0\t1\n", "pred.tsv:2: query id '77' is not in the ground truth"),
    ("0\tY6R7T\t0\t1\n", "pred.tsv:2: query '0' belongs to video 'AO8RW', not 'Y6R7T'"),
])
def test_bad_predictions_exit_2_naming_file_and_line(tmp_path, body, msg):
    pred = tmp_path / "pred.tsv"
    pred.write_text("query_id\tvideo_id\tstart\tend\n" + body)
    res = runner.invoke(app, ["evaluate", "grounding", "--pred", str(pred), "--gt",
                              str(FIX / "charades_sta_test.txt")])
    assert res.exit_code == 2
    assert msg in res.stderr and "Traceback" not in res.output


def test_bad_gt_and_options_exit_2(tmp_path):
    gt = tmp_path / "sta.txt"
    gt.write_text("AO8RW 0.0 6.9##ok\nAO8RW 0.0 6.9 no separator\n")
    res = runner.invoke(app, ["evaluate", "grounding", "--pred", str(FIX / "pred_charades.tsv"),
                              "--gt", str(gt)])
    assert res.exit_code == 2 and "sta.txt:2: expected 'vid start end##sentence'" in res.stderr
    res = runner.invoke(app, [*CHARADES, "--iou", "0.5,1.5"])
    assert res.exit_code == 2 and "--iou: thresholds must lie in (0, 1]" in res.stderr
    res = runner.invoke(app, [*CHARADES, "--durations", str(tmp_path / "none.tsv")])
    assert res.exit_code == 2 and "none.tsv: file not found" in res.stderr
