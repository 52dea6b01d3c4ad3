"""`avtool evaluate retrieval` end to end: npy and HDF5 inputs, several runs, error paths."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app

runner = CliRunner()


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    """MSR-VTT-style: 3 videos x 2 captions plus one caption-less distractor video."""
    captions = [f"video{j}_{c}" for j in range(3) for c in range(2)]
    videos = ["video0", "video1", "video2", "video9"]
    (tmp_path / "q.txt").write_text("\n".join(captions) + "\n")
    (tmp_path / "v.txt").write_text("\n".join(videos) + "\n")
    (tmp_path / "gt.tsv").write_text("".join(f"{c}\t{c.split('_')[0]}\n" for c in captions))
    sim = np.zeros((6, 4), dtype=np.float32)
    sim[np.arange(6), np.arange(6) // 2] = [1.0, 0.9] * 3  # every caption's video on top
    sim[1, 3] = 2.0                                 # caption video0_1 prefers the distractor
    np.save(tmp_path / "perfect.npy", sim)
    np.save(tmp_path / "constant.npy", np.zeros((6, 4), dtype=np.float32))
    with h5py.File(tmp_path / "sims.h5", "w") as fh:
        fh["test/sims"] = sim
    return tmp_path


def _args(d: Path, *sims: str) -> list[str]:
    args = ["evaluate", "retrieval"]
    for s in sims:
        args += ["--sim", s if ":" in s else str(d / s)]
    return args + ["--query-ids", str(d / "q.txt"), "--video-ids", str(d / "v.txt"),
                   "--gt", str(d / "gt.tsv")]


def test_json_schema_and_values(data):
    res = runner.invoke(app, [*_args(data, "perfect.npy"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out["t2v"]) == ["R@1", "R@5", "R@10", "R@50", "MdR", "MnR"]
    # t2v ranks 1,2,1,1,1,1 -> R@1 5/6; MdR 1; MnR 7/6
    assert out["t2v"]["R@1"] == pytest.approx(500 / 6) and out["t2v"]["MdR"] == 1.0
    assert out["t2v"]["MnR"] == pytest.approx(7 / 6)
    assert out["v2t"] == {"R@1": 100.0, "R@5": 100.0, "R@10": 100.0, "R@50": 100.0,
                          "MdR": 1.0, "MnR": 1.0}
    assert out["counts"]["videos_without_caption"] == 1 and out["counts"]["v2t_queries"] == 3
    assert out["params"]["ties"] == "averaging"


def test_hdf5_dataset_spec_gives_the_same_numbers(data):
    a = json.loads(runner.invoke(app, [*_args(data, "perfect.npy"), "--json"]).stdout)
    res = runner.invoke(app, [*_args(data, f"{data / 'sims.h5'}:test/sims"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["t2v"] == a["t2v"]


def test_tie_flag_changes_constant_matrix_result(data):
    avg = json.loads(runner.invoke(app, [*_args(data, "constant.npy"), "--json"]).stdout)
    assert avg["t2v"]["MdR"] == 2.5 and avg["t2v"]["R@1"] == 0.0   # (4 + 1) / 2
    assert avg["v2t"]["MdR"] == 3.5                                   # (6 + 1) / 2
    opt = json.loads(runner.invoke(
        app, [*_args(data, "constant.npy"), "--ties", "optimistic", "--json"]).stdout)
    assert opt["t2v"]["R@1"] == 100.0 and opt["params"]["ties"] == "optimistic"


def test_several_runs_mean_std_table_and_append(data):
    out_tsv = data / "results.tsv"
    res = runner.invoke(app, [*_args(data, "perfect.npy", "constant.npy"),
                              "--append", str(out_tsv), "--name", "MMT scratch"])
    assert res.exit_code == 0, res.output
    assert "text→video" in res.stdout and "±" in res.stdout and "2 runs" in res.stdout
    rows = list(csv.DictReader(out_tsv.open(), delimiter="\t"))
    assert rows[0]["name"] == "MMT scratch"
    assert float(rows[0]["t2v.MdR"]) == pytest.approx((1.0 + 2.5) / 2)
    assert float(rows[0]["std.t2v.MdR"]) == pytest.approx(0.75)


def test_table_is_default_output(data):
    res = runner.invoke(app, _args(data, "perfect.npy"))
    assert res.exit_code == 0
    assert "R@50" in res.stdout and "83.33" in res.stdout and "ties: averaging" in res.stdout


def test_shape_mismatch_is_exit_2(data):
    np.save(data / "wide.npy", np.zeros((6, 5), dtype=np.float32))
    res = runner.invoke(app, _args(data, "wide.npy"))
    assert res.exit_code == 2
    assert "wide.npy: shape (6, 5) does not match 6 query ids" in res.stderr
    assert "Traceback" not in res.output


def test_unknown_ids_in_gt_are_exit_2(data):
    with (data / "gt.tsv").open("a") as fh:
        fh.write("video5_0\tvideo0\n")
    res = runner.invoke(app, _args(data, "perfect.npy"))
    assert res.exit_code == 2
    assert "gt.tsv:7: caption id 'video5_0' is not in" in res.stderr
    (data / "gt.tsv").write_text("video0_0\tvideoX\n")
    res = runner.invoke(app, _args(data, "perfect.npy"))
    assert res.exit_code == 2 and "gt.tsv:1: video id 'videoX' is not in" in res.stderr


def test_malformed_gt_line_is_exit_2_with_file_and_line(data):
    (data / "gt.tsv").write_text("video0_0\tvideo0\nvideo0_1 video0\n")
    res = runner.invoke(app, _args(data, "perfect.npy"))
    assert res.exit_code == 2
    assert res.stderr.strip().endswith(
        "gt.tsv:2: expected 'caption_id<TAB>video_id', got 'video0_1 video0'")
    assert res.stderr.startswith("avtool: error:") and res.stderr.count("\n") == 1


def test_nan_and_missing_files_are_exit_2(data):
    sim = np.load(data / "perfect.npy")
    sim[4, 2] = np.nan
    np.save(data / "nan.npy", sim)
    res = runner.invoke(app, _args(data, "nan.npy"))
    assert res.exit_code == 2 and "row 4 (0-based) holds NaN" in res.stderr
    res = runner.invoke(app, _args(data, "missing.npy"))
    assert res.exit_code == 2 and "missing.npy: similarity file not found" in res.stderr
    res = runner.invoke(app, _args(data, f"{data / 'sims.h5'}:nope"))
    assert res.exit_code == 2 and "no dataset 'nope'" in res.stderr


def test_readme_example_on_repository_fixtures():
    fix = Path(__file__).resolve().parents[2] / "fixtures" / "retrieval"
    res = runner.invoke(app, [
        "evaluate", "retrieval", "--sim", str(fix / "sims_seed1.npy"),
        "--sim", str(fix / "sims_seed2.npy"), "--query-ids", str(fix / "queries.txt"),
        "--video-ids", str(fix / "videos.txt"), "--gt", str(fix / "gt.tsv"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # seed 1 t2v ranks 1,2,1,1,1,1; seed 2 ranks 1,1,1,1,1.5,1 (a tie averaged)
    assert out["t2v"]["R@1"] == pytest.approx(500 / 6)
    assert out["t2v"]["MnR"] == pytest.approx((7 / 6 + 6.5 / 6) / 2)
    assert out["std"]["t2v"]["MnR"] == pytest.approx(0.5 / 12)
    assert out["n_runs"] == 2 and [r["source"] for r in out["runs"]] == [
        str(fix / "sims_seed1.npy"), str(fix / "sims_seed2.npy")]
