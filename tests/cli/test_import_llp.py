"""`avtool import llp` through the CLI: output, exit codes, error paths."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.store import open_store
from avtool.tasks.avvp.testing import write_features, write_weak

TRAIN = {"-0A9suni5YA_0_10": "Speech,Dog", "Ab_cD-ef_gh_30_40": "Car",
         "AP0061o0Nvk_101.8_111.8": "Cello,Violin_fiddle"}
VAL = {"KSRjje7GH44_60_70": "Blender,Speech"}
TEST = {"zz9_-YYabcd_10_20": "Clapping"}

runner = CliRunner()


def _setup(tmp_path):
    root = tmp_path / "feats"
    write_features(root, [*TRAIN, *VAL, *TEST])
    csvs = [write_weak(tmp_path / "AVVP_train.csv", TRAIN),
            write_weak(tmp_path / "AVVP_val_pd.csv", VAL),
            write_weak(tmp_path / "AVVP_test_pd.csv", TEST)]
    args = ["import", "llp", "--features", str(root)]
    for c in csvs:
        args += ["--csv", str(c)]
    return root, args


def test_import_llp_json_and_table(tmp_path):
    root, args = _setup(tmp_path)
    out = tmp_path / "llp.h5"
    result = runner.invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["imported"] == 5 and data["splits"] == {"train": 3, "val": 1, "test": 1}
    assert data["features"]["llp_frame"] == [80, 2048]
    with open_store(out) as store:
        assert len(store) == 5
    again = runner.invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 0
    assert "already done" in again.stdout and "5" in again.stdout


def test_import_llp_failed_clip_exit_1(tmp_path):
    root, args = _setup(tmp_path)
    np.save(root / "res152" / "KSRjje7GH44.npy", np.zeros((79, 2048), np.float32))
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "s.h5"), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failed"][0]["clip"] == "KSRjje7GH44_60_70"
    assert "failed KSRjje7GH44_60_70" in result.stderr
    strict = runner.invoke(app, [*args, "--out", str(tmp_path / "t.h5"), "--strict"])
    assert strict.exit_code == 2
    assert strict.stderr.startswith("avtool: error:") and "(79, 2048)" in strict.stderr


def test_import_llp_bad_inputs(tmp_path):
    _, args = _setup(tmp_path)
    missing = runner.invoke(app, ["import", "llp", "--features", str(tmp_path / "nope"),
                                  "--csv", str(tmp_path / "AVVP_train.csv"), "--out",
                                  str(tmp_path / "s.h5")])
    assert missing.exit_code == 2 and "no such feature folder" in missing.stderr
    bad = tmp_path / "AVVP_bad_train.csv"
    bad.write_text("filename\tevent_labels\nKSRjje7GH44_60_70\tNot_a_class\n")
    result = runner.invoke(app, [*args[:4], "--csv", str(bad), "--out", str(tmp_path / "s.h5")])
    assert result.exit_code == 2
    assert "AVVP_bad_train.csv:2: unknown class 'Not_a_class'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.h5").exists()
