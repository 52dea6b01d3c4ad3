import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.store import check_store, open_store

runner = CliRunner()


def _corpus(root: Path, n: int, seconds: float = 1.0) -> Path:
    rng = np.random.default_rng(1)
    for i in range(n):
        spk = root / f"id1000{i % 3}" / "vid"
        spk.mkdir(parents=True, exist_ok=True)
        sf.write(spk / f"{i:05d}.wav", (0.1 * rng.normal(size=int(16000 * seconds)))
                 .astype(np.float32), 16000)
    return root


def test_extract_directory_info_and_check(tmp_path):
    root = _corpus(tmp_path / "wav", 4)
    out = tmp_path / "f.h5"
    result = runner.invoke(app, ["extract-features", str(root), "--out", str(out),
                                 "-f", "fbank", "-f", "spectrogram", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["extracted"] == 4 and summary["failed"] == []
    store = open_store(out)
    assert store.ids[0] == "id10000/vid/00000"  # relative path without extension
    assert store.features["spectrogram"].frame_shape == (257,)
    info = runner.invoke(app, ["store", "info", str(out), "--json"])
    data = json.loads(info.stdout)
    assert data["items"] == 4
    assert {f["name"]: f["frame_rate"] for f in data["features"]} == {
        "fbank": 100.0, "spectrogram": 100.0}
    assert data["features"][0]["config"]["type"] in ("fbank", "spectrogram")
    human = runner.invoke(app, ["store", "info", str(out)])
    assert "spectrogram" in human.stdout and "num_mel_bins=80" in human.stdout
    check = runner.invoke(app, ["store", "check", str(out)])
    assert check.exit_code == 0 and "valid (4 items" in check.stdout
    again = runner.invoke(app, ["extract-features", str(root), "--out", str(out),
                                "-f", "fbank", "--json"])
    assert json.loads(again.stdout)["already_done"] == 4


def test_manifest_labels_and_time_ranges(tmp_path):
    root = _corpus(tmp_path / "wav", 2, seconds=2.0)
    manifest = tmp_path / "m.csv"
    manifest.write_text("id,path,start,end,speaker,split\n"
                        "a,wav/id10000/vid/00000.wav,0.5,1.5,spk1,train\n"
                        "b,wav/id10001/vid/00001.wav,,,spk2,test\n")
    out = tmp_path / "f.h5"
    result = runner.invoke(app, ["extract-features", "--manifest", str(manifest),
                                 "--out", str(out), "-f", "mfcc"])
    assert result.exit_code == 0, result.output
    store = open_store(out)
    meta = store.item("a").meta
    stat = meta.pop("source_stat")  # what a rerun compares to notice a changed file
    assert set(stat) == {"size", "mtime_ns"} and stat["size"] > 0
    assert meta == {"speaker": "spk1", "split": "train", "start": 0.5, "end": 1.5}
    assert store.item("a").duration == pytest.approx(1.0)
    assert store.num_frames("a", "mfcc") == 98 and store.num_frames("b", "mfcc") == 198
    assert root.exists()


def test_bad_items_are_reported_and_exit_1(tmp_path):
    root = _corpus(tmp_path / "wav", 2)
    (root / "broken.wav").write_bytes(b"RIFF....WAVEjunk")
    (root / "empty.flac").write_bytes(b"")
    out = tmp_path / "f.h5"
    result = runner.invoke(app, ["extract-features", str(root), "--out", str(out), "-f", "fbank"])
    assert result.exit_code == 1
    assert "broken.wav" in result.stderr and "empty.flac: empty file" in result.stderr
    assert len(open_store(out)) == 2
    strict = runner.invoke(app, ["extract-features", str(root), "--out", str(tmp_path / "g.h5"),
                                 "-f", "fbank", "--strict"])
    assert strict.exit_code == 2 and "avtool: error:" in strict.stderr


@pytest.mark.parametrize("args,message", [
    (["missing_dir"], "no such file or directory"),
    (["--manifest", "nope.csv"], "no such manifest"),
])
def test_bad_inputs_exit_2_with_one_line(tmp_path, args, message):
    result = runner.invoke(app, ["extract-features", *args, "--out", str(tmp_path / "x.h5"),
                                 "-f", "fbank"])
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_unknown_feature_lists_valid_names(tmp_path):
    root = _corpus(tmp_path / "wav", 1)
    result = runner.invoke(app, ["extract-features", str(root), "--out", str(tmp_path / "x.h5"),
                                 "-f", "fbnk"])
    assert result.exit_code == 2 and "valid names:" in result.stderr and "fbank" in result.stderr


def test_two_workers_give_the_same_store(tmp_path):
    root = _corpus(tmp_path / "wav", 6)
    for workers, name in ((1, "one.h5"), (2, "two.h5")):
        result = runner.invoke(app, ["extract-features", str(root), "--out", str(tmp_path / name),
                                     "-f", "fbank", "--workers", str(workers)])
        assert result.exit_code == 0, result.output
    _assert_same_store(tmp_path / "one.h5", tmp_path / "two.h5")


def test_dask_local_cluster_gives_the_same_store_and_resumes(tmp_path):
    root = _corpus(tmp_path / "wav", 6)
    one, dask = tmp_path / "one.h5", tmp_path / "dask.h5"
    assert runner.invoke(app, ["extract-features", str(root), "--out", str(one),
                               "-f", "fbank"]).exit_code == 0
    cmd = ["extract-features", str(root), "--out", str(dask), "-f", "fbank", "--dask", "local",
           "--workers", "2", "--json"]
    first = runner.invoke(app, cmd)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["extracted"] == 6
    _assert_same_store(one, dask)
    assert not dask.with_name(dask.name + ".journal").exists()
    again = runner.invoke(app, cmd)
    assert json.loads(again.stdout)["already_done"] == 6


def test_unreachable_dask_scheduler_is_one_line_and_leaves_no_store(tmp_path):
    root = _corpus(tmp_path / "wav", 1)
    out = tmp_path / "x.h5"
    result = runner.invoke(app, ["extract-features", str(root), "--out", str(out), "-f", "fbank",
                                 "--dask", "nonsense://scheduler"])
    assert result.exit_code == 2
    assert "--dask nonsense://scheduler: cannot reach the scheduler" in result.stderr
    assert result.stderr.strip().count("\n") == 0 and not out.exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_changed_source_is_extracted_again(tmp_path, workers):
    root = _corpus(tmp_path / "wav", 4, seconds=1.5)
    out = tmp_path / "feats.h5"
    cmd = ["extract-features", str(root), "--out", str(out), "-f", "fbank", "--workers",
           str(workers), "--json"]
    assert runner.invoke(app, cmd).exit_code == 0
    order = open_store(out).ids
    changed = root / "id10001" / "vid" / "00001.wav"
    sf.write(changed, 0.3 * np.sin(np.arange(32000) / 7.0).astype(np.float32), 16000)
    result = runner.invoke(app, cmd)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["extracted"], summary["already_done"]) == (1, 3)
    store = open_store(out)
    assert store.ids == order and store.item("id10001/vid/00001").duration == pytest.approx(2.0)
    fresh = tmp_path / "fresh.h5"
    assert runner.invoke(app, ["extract-features", str(root), "--out", str(fresh),
                               "-f", "fbank"]).exit_code == 0
    _assert_same_store(out, fresh)
    assert json.loads(runner.invoke(app, cmd).stdout)["extracted"] == 0


def test_a_changed_source_with_other_features_is_refused(tmp_path):
    root = _corpus(tmp_path / "wav", 2)
    out = tmp_path / "feats.h5"
    base = ["extract-features", str(root), "--out", str(out)]
    assert runner.invoke(app, [*base, "-f", "fbank", "-f", "mfcc"]).exit_code == 0
    sf.write(root / "id10000" / "vid" / "00000.wav", np.zeros(8000, np.float32) + 0.1, 16000)
    result = runner.invoke(app, [*base, "-f", "fbank"])
    assert result.exit_code == 2
    assert "00000.wav changed since it was extracted" in result.stderr
    assert "(also mfcc)" in result.stderr


def _assert_same_store(a: Path, b: Path) -> None:
    sa, sb = open_store(a), open_store(b)
    assert sa.ids == sb.ids
    assert sa.features == sb.features
    assert sa.items() == sb.items()
    for name in sa.features:
        for item_id in sa.ids:
            np.testing.assert_array_equal(sa.read(item_id, name), sb.read(item_id, name))


def _extract_cmd(root: Path, out: Path, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "avtool.cli.app", "extract-features", str(root), "--out",
            str(out), "-f", "fbank", "-f", "spectrogram", "-f", "mfcc",
            "--checkpoint-every", "2", "--workers", str(workers)]


def _journal_parts(out: Path) -> int:
    journal = out.with_name(out.name + ".journal")
    return len(list(journal.glob("part-*.h5"))) if journal.exists() else 0


@pytest.mark.parametrize(("moment", "workers"), [
    ("store-created", 1), ("two-parts", 1), ("six-parts", 1),
    ("two-parts", 2), ("six-parts", 2),  # workers write their own journal parts
])
def test_sigkill_at_any_moment_leaves_a_store_and_a_rerun_completes_it(tmp_path, moment,
                                                                       workers):
    root = _corpus(tmp_path / "wav", 24, seconds=4.0)
    reference = tmp_path / "ref.h5"
    subprocess.run(_extract_cmd(root, reference), check=True, capture_output=True)

    out = tmp_path / "killed.h5"
    proc = subprocess.Popen(_extract_cmd(root, out, workers), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    ready = {"store-created": lambda: out.exists(),
             "two-parts": lambda: _journal_parts(out) >= 2,
             "six-parts": lambda: _journal_parts(out) >= 6}[moment]
    deadline = time.time() + 120
    while not ready() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    check_store(out)  # opens and validates after the kill
    subprocess.run(_extract_cmd(root, out, workers), check=True, capture_output=True)
    assert _journal_parts(out) == 0
    _assert_same_store(out, reference)


def test_shards_cover_the_inputs_and_merge(tmp_path):
    root = _corpus(tmp_path / "wav", 7)
    for i in range(3):
        result = runner.invoke(app, ["extract-features", str(root), "--out",
                                     str(tmp_path / "shards" / f"f-{i}.h5"), "-f", "mfcc",
                                     "--shard", f"{i}/3"])
        assert result.exit_code == 0, result.output
    info = json.loads(runner.invoke(app, ["store", "info", str(tmp_path / "shards"),
                                          "--json"]).stdout)
    assert info["items"] == 7 and len(info["shards"]) == 3
    merged = runner.invoke(app, ["store", "merge", str(tmp_path / "all.h5"),
                                 str(tmp_path / "shards" / "f-*.h5")])
    assert merged.exit_code == 0 and "7 items from 3 shards" in merged.stdout
    one = tmp_path / "one.h5"
    runner.invoke(app, ["extract-features", str(root), "--out", str(one), "-f", "mfcc"])
    _assert_same_store(tmp_path / "all.h5", one)
    bad = runner.invoke(app, ["extract-features", str(root), "--out", str(tmp_path / "x.h5"),
                              "-f", "mfcc", "--shard", "3/3"])
    assert bad.exit_code == 2 and "0..N-1" in bad.stderr
