"""Importing released LLP per-clip features (tiny random .npy fixtures with LLP's quirks)."""

from __future__ import annotations

import numpy as np
import pytest

from avtool.errors import FormatError
from avtool.store import open_store
from avtool.tasks.avvp.llp_store import (
    FEATURE_NAMES,
    import_llp_features,
    item_labels,
    item_split,
    llp_label_files,
    split_of_file,
)
from avtool.tasks.avvp.testing import write_features, write_weak

# LLP quirks: ids starting with '-', containing '_' and '-', fractional clip times.
TRAIN = {"-0A9suni5YA_0_10": "Speech,Dog", "Ab_cD-ef_gh_30_40": "Car",
         "AP0061o0Nvk_101.8_111.8": "Cello,Violin_fiddle"}
VAL = {"KSRjje7GH44_60_70": "Blender,Speech"}
TEST = {"zz9_-YYabcd_10_20": "Clapping"}


@pytest.fixture
def llp(tmp_path):
    root = tmp_path / "feats"
    arrays = write_features(root, [*TRAIN, *VAL, *TEST], dtype=np.float64)
    csvs = [write_weak(tmp_path / "AVVP_train.csv", TRAIN, bom=True),
            write_weak(tmp_path / "AVVP_val_pd.csv", VAL),
            write_weak(tmp_path / "AVVP_test_pd.csv", TEST)]
    return root, csvs, arrays


def test_import_contract(llp, tmp_path):
    root, csvs, arrays = llp
    out = tmp_path / "llp.h5"
    report = import_llp_features(root, csvs, out)
    assert (report.total, report.imported, report.skipped, report.failed) == (5, 5, 0, [])
    assert report.splits == {"train": 3, "val": 1, "test": 1}
    with open_store(out) as store:
        assert sorted(store.ids) == sorted([*TRAIN, *VAL, *TEST])
        info = store.features
        assert set(info) == set(FEATURE_NAMES)
        assert (info["llp_audio"].frame_rate, info["llp_audio"].frame_shape) == (1.0, (128,))
        assert (info["llp_frame"].frame_rate, info["llp_frame"].frame_shape) == (8.0, (2048,))
        assert (info["llp_motion"].frame_rate, info["llp_motion"].frame_shape) == (1.0, (512,))
        assert info["llp_audio"].extractor == "llp_import"
        assert info["llp_frame"].config["stream"] == "res152"
        for clip in ("-0A9suni5YA_0_10", "AP0061o0Nvk_101.8_111.8"):
            audio = store.read(clip, "llp_audio")
            assert audio.dtype == np.float32 and audio.shape == (10, 128)
            np.testing.assert_allclose(audio, arrays[(clip, "vggish")], rtol=1e-6)
            np.testing.assert_allclose(store.read(clip, "llp_frame"),
                                       arrays[(clip, "res152")], rtol=1e-6)
            assert store.read(clip, "llp_motion").shape == (10, 512)
        item = store.item("AP0061o0Nvk_101.8_111.8")
        assert item_split(item.meta) == "train"
        assert item_labels(item.meta) == ("Cello", "Violin_fiddle")
        assert item.meta["video_id"] == "AP0061o0Nvk"
        assert item.duration == pytest.approx(10.0)
        assert item_split(store.item("zz9_-YYabcd_10_20").meta) == "test"


def test_import_resumes_and_pools(llp, tmp_path):
    root, csvs, arrays = llp
    out = tmp_path / "llp.h5"
    import_llp_features(root, csvs[:1], out)
    report = import_llp_features(root, csvs, out)
    assert (report.imported, report.skipped) == (2, 3)
    pooled = tmp_path / "pooled.h5"
    import_llp_features(root, csvs, pooled, pool_frames=True)
    with open_store(pooled) as store:
        info = store.features["llp_frame"]
        assert (info.frame_rate, info.frame_shape) == (1.0, (2048,))
        got = store.read("KSRjje7GH44_60_70", "llp_frame")
        want = arrays[("KSRjje7GH44_60_70", "res152")].reshape(10, 8, 2048).mean(1)
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_bad_feature_files_are_reported(llp, tmp_path):
    root, csvs, _ = llp
    (root / "r2plus1d_18" / "KSRjje7GH44.npy").unlink()
    np.save(root / "vggish" / "zz9_-YYabcd.npy", np.zeros((9, 128), np.float32))
    report = import_llp_features(root, csvs, tmp_path / "s.h5")
    failed = dict(report.failed)
    assert report.imported == 3 and set(failed) == {"KSRjje7GH44_60_70", "zz9_-YYabcd_10_20"}
    assert "KSRjje7GH44.npy: no such feature file" in failed["KSRjje7GH44_60_70"]
    assert "shape (9, 128), expected (10, 128)" in failed["zz9_-YYabcd_10_20"]
    with pytest.raises(FormatError, match="no such feature file"):
        import_llp_features(root, csvs, tmp_path / "strict.h5", strict=True)


def test_shared_video_id_and_duplicates_are_errors(llp, tmp_path):
    root, csvs, _ = llp
    extra = write_weak(tmp_path / "extra_test_pd.csv", {"KSRjje7GH44_70_80": "Speech"})
    with pytest.raises(FormatError, match="share the video id 'KSRjje7GH44'"):
        import_llp_features(root, [*csvs, extra], tmp_path / "s.h5")
    with pytest.raises(FormatError, match=r"already listed at .*AVVP_val_pd.csv:2"):
        import_llp_features(root, [csvs[1], csvs[1]], tmp_path / "s.h5")
    bad = write_weak(tmp_path / "bad_train.csv", {"short_1_2": "Speech"})
    with pytest.raises(FormatError, match="bad_train.csv:2: clip name 'short_1_2'"):
        import_llp_features(root, [bad], tmp_path / "s.h5")
    with pytest.raises(FormatError, match="missing feature folder"):
        import_llp_features(tmp_path, csvs, tmp_path / "s.h5")
    assert not (tmp_path / "s.h5").exists()


def test_helpers(tmp_path):
    assert [split_of_file(p) for p in ("AVVP_train.csv", "x/AVVP_val_pd.csv",
                                       "AVVP_test_pd.csv", "AVVP_dataset_full.csv")] == [
        "train", "val", "test", ""]
    assert item_labels({"labels": "Dog, Speech"}) == ("Dog", "Speech")
    assert item_labels({"labels": ["Dog"]}) == ("Dog",)
    assert item_labels({}) == () and item_labels({"labels": ""}) == ()
    assert item_split({}) == ""
    write_weak(tmp_path / "AVVP_train.csv", {})
    assert set(llp_label_files(tmp_path)) == {"train"}
