"""Outputs: nothing silently overwritten, nothing left behind by a run that failed before its
result, and the library refusing unwritable outputs with the same one error type as the CLI
(`OutputError`, never an OSError traceback)."""

from __future__ import annotations

import pytest

from avtool.errors import OutputError


def _train_avvp(check, ws, out, *extra):
    return check.run("train", "avvp", "--store", ws.avvp / "store.h5", "--out", out,
                     "--d-model", "16", "--ffn", "16", "--epochs", "1", "--batch-size", "8",
                     "--device", "cpu", *extra)


def test_train_into_a_run_folder_needs_resume_or_overwrite(check, ws, tmp_path):
    out = tmp_path / "run"
    check.assert_clean(_train_avvp(check, ws, out), 0)
    before = check.snapshot(out)
    refused = _train_avvp(check, ws, out)
    check.assert_clean(refused, 2, out)
    assert "--resume" in refused.stderr and "--overwrite" in refused.stderr
    assert check.snapshot(out) == before
    check.assert_clean(_train_avvp(check, ws, out, "--overwrite"), 0)
    assert check.snapshot(out) != before
    resumed = _train_avvp(check, ws, out, "--resume", "--epochs", "2")
    check.assert_clean(resumed, 0)
    check.assert_clean(_train_avvp(check, ws, out, "--resume", "--overwrite"), 2, "--resume")


def test_train_that_fails_before_an_epoch_leaves_no_run_folder(check, ws, tmp_path):
    out = tmp_path / "run"
    result = _train_avvp(check, ws, out, "--heads", "3")  # 16 is not divisible by 3
    check.assert_clean(result, 2, "--heads")
    assert list(tmp_path.iterdir()) == []


def test_train_resume_without_a_run_is_refused_before_reading_the_store(check, tmp_path):
    result = check.run("train", "speaker", "--store", tmp_path / "nope.h5", "--out",
                       tmp_path / "run", "--resume")
    check.assert_clean(result, 2, "last.pt")
    assert list(tmp_path.iterdir()) == []


def test_parse_events_writes_all_outputs_or_none(check, ws, tmp_path):
    """A later error (a malformed --gt-visual) used to leave the events file written."""
    bad = tmp_path / "gt_visual.csv"
    bad.write_text("filename\tonset\toffset\tevent_labels\nclip\tnot-a-number\t3\tDog\n")
    out = tmp_path / "out"
    result = check.run("parse-events", ws.avvp / "store.h5", "--model", ws.avvp / "run",
                       "--out", out / "events.tsv", "--plot", out / "t.png", "--gt-audio",
                       ws.avvp / "AVVP_eval_audio.csv", "--gt-visual", bad)
    check.assert_clean(result, 2, bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gt_visual.csv"]


def test_parse_events_plot_of_unknown_format_is_refused_before_any_work(check, ws, tmp_path):
    result = check.run("parse-events", ws.avvp / "store.h5", "--model", ws.avvp / "run",
                       "--out", tmp_path / "events.tsv", "--plot", tmp_path / "p.xyz")
    check.assert_clean(result, 2, "p.xyz")
    assert list(tmp_path.iterdir()) == []


def test_evaluate_plot_appears_only_with_its_row(check, ws, tmp_path):
    trials, scores = ws.speaker_lists
    table = tmp_path / "results.tsv"
    table.write_text("name\tsomething else\n")
    result = check.run("evaluate", "speaker", "--scores", scores, "--trials", trials,
                       "--det", tmp_path / "det.png", "--append", table)
    check.assert_clean(result, 2, table)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.tsv"]
    assert table.read_text() == "name\tsomething else\n"


def test_library_writers_refuse_a_read_only_folder(ws, readonly_dir):
    """Library callers get OutputError naming the path, as the CLI does, before any work."""
    from avtool.store import StoreWriter, merge_stores
    from avtool.train import check_run_dir

    with pytest.raises(OutputError, match="not writable"):
        with StoreWriter(readonly_dir / "s.h5", {}):
            pass
    with pytest.raises(OutputError, match="not writable"):
        merge_stores(readonly_dir / "m.h5", [ws.store])
    with pytest.raises(OutputError, match="not writable"):
        check_run_dir(readonly_dir / "run")


def test_library_refuses_out_of_range_options(ws, tmp_path):
    """`train_task` checks the options' declared ranges for library callers too."""
    from avtool.errors import ConfigError
    from avtool.tasks import train_task
    from avtool.tasks.avvp.options import AvvpOptions

    with pytest.raises(ConfigError, match="--dropout"):
        train_task("avvp", AvvpOptions(dropout=1.5), ws.avvp / "store.h5", tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_extractor_config_ranges_hold_for_library_callers():
    from avtool.errors import ConfigError
    from avtool.features.logmel import LogMelConfig, LogMelExtractor

    with pytest.raises(ConfigError, match="n_mels=0"):
        LogMelExtractor(LogMelConfig(n_mels=0))
    with pytest.raises(ConfigError, match="f_max"):
        LogMelExtractor(LogMelConfig(f_max=20_000.0))
