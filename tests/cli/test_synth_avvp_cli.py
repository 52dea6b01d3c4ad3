"""`avtool synth avvp` through the CLI: a tiny corpus end to end, and the error paths."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app

runner = CliRunner()


@pytest.mark.parametrize("args,message", [
    (["--size", "big"], "expected WIDTHxHEIGHT"),
    (["--size", "33x40"], "even and >= 64"),
    (["--val-fraction", "0.5", "--test-fraction", "0.5"], "leave some train clips"),
])
def test_synth_avvp_bad_options(tmp_path, args, message):
    result = runner.invoke(app, ["synth", "avvp", "--out", str(tmp_path / "c"), "--clips", "3",
                                 *args])
    assert result.exit_code == 2
    assert result.stderr.startswith("avtool: error:") and message in result.stderr
    assert not (tmp_path / "c").exists()


def test_synth_avvp_needs_out():
    result = runner.invoke(app, ["synth", "avvp", "--clips", "3"])
    assert result.exit_code == 2 and "--out" in result.output


def test_synth_then_extract_features_store_contract(tmp_path):
    import json

    import numpy as np

    from avtool.store import open_store
    from avtool.tasks.avvp.llp_store import FEATURE_NAMES, item_labels, item_split

    out = tmp_path / "avvp"
    result = runner.invoke(app, ["synth", "avvp", "--out", str(out), "--clips", "3", "--seed",
                                 "7", "--workers", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["clips"] == 3 and report["splits"] == {"train": 1, "val": 1, "test": 1}
    assert len(list((out / "clips").glob("*.mp4"))) == 3
    store_path = tmp_path / "feats.h5"
    result = runner.invoke(app, ["extract-features", "--manifest", str(out / "clips.csv"),
                                 "--out", str(store_path), "--feature", "llp_audio",
                                 "--feature", "llp_frame", "--feature", "llp_motion", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["extracted"] == 3
    truth = {json.loads(line)["filename"]: json.loads(line)
             for line in (out / "truth.jsonl").read_text().splitlines()}
    with open_store(store_path) as store:
        assert sorted(store.ids) == sorted(truth)
        assert tuple(sorted(store.features)) == FEATURE_NAMES
        rows = {"llp_audio": (10, 128), "llp_frame": (80, 512), "llp_motion": (10, 256)}
        for item in store.items():
            assert item_split(item.meta) == truth[item.id]["split"]
            assert item_labels(item.meta) == tuple(truth[item.id]["labels"])
            for name, shape in rows.items():
                x = store.read(item.id, name)
                assert x.shape == shape and np.isfinite(x).all()
        assert store.features["llp_frame"].frame_rate == 8.0
        assert store.features["llp_motion"].frame_rate == 1.0


def test_synth_avvp_table_output(tmp_path):
    result = runner.invoke(app, ["synth", "avvp", "--out", str(tmp_path / "c"), "--clips", "1",
                                 "--workers", "1", "--val-fraction", "0", "--test-fraction",
                                 "0"])
    assert result.exit_code == 0, result.output
    assert "train 1, val 0, test 0" in result.stdout
    assert (tmp_path / "c" / "AVVP_val_pd.csv").read_text() == "filename\tevent_labels\n"
