import json

import h5py
import numpy as np
import pytest

from avtool.errors import StoreError
from avtool.store import FeatureInfo, ItemInfo, StoreWriter, check_store, open_store

FBANK = FeatureInfo("fbank", "fbank", {"num_mel_bins": 4}, 100.0, (4,), "float32")


def _write(path, n=10, part_items=3, info=FBANK):
    rng = np.random.default_rng(0)
    arrays = {}
    with StoreWriter(path, {info.name: info}, part_items=part_items) as writer:
        for i in range(n):
            frames = rng.normal(size=(3 + i, *info.frame_shape)).astype(np.float32)
            arrays[f"u{i:02d}"] = frames
            writer.add(ItemInfo(f"u{i:02d}", f"/data/u{i}.wav", 0.03 + i / 100,
                                {"speaker": f"s{i % 3}"}), {info.name: frames})
    return arrays


def test_round_trip_with_metadata_and_batches(tmp_path):
    path = tmp_path / "s.h5"
    arrays = _write(path)
    with open_store(path) as store:
        assert store.ids == sorted(arrays)
        assert store.features["fbank"].frame_rate == 100.0
        assert store.features["fbank"].config == {"num_mel_bins": 4}
        for key, value in arrays.items():
            np.testing.assert_array_equal(store.read(key, "fbank"), value)
        np.testing.assert_array_equal(store.read("u05", "fbank", 2, 4), arrays["u05"][2:4])
        assert store.item("u04").meta == {"speaker": "s1"}
        assert store.item("u04").source == "/data/u4.wav"
        feat = store.read_feature("u02", "fbank")
        assert feat.duration == pytest.approx(0.05)
        seen = []
        for ids, batch in store.batches("fbank", batch_size=4):
            seen += ids
            for item_id, frames in zip(ids, batch, strict=True):
                np.testing.assert_array_equal(frames, arrays[item_id])
        assert seen == store.ids
    assert check_store(path)["items"] == 10


def test_readable_with_plain_h5py(tmp_path):
    path = tmp_path / "s.h5"
    arrays = _write(path)
    with h5py.File(path, "r") as h5:
        ids = [s.decode() for s in h5["items/id"][()]]
        i = ids.index("u07")
        off, n = h5["features/fbank/offset"][i], h5["features/fbank/length"][i]
        np.testing.assert_array_equal(h5["features/fbank/data"][off:off + n], arrays["u07"])
        assert json.loads(h5["features/fbank"].attrs["config"]) == {"num_mel_bins": 4}


def test_adding_a_feature_to_existing_items(tmp_path):
    path = tmp_path / "s.h5"
    arrays = _write(path)
    mfcc = FeatureInfo("mfcc", "mfcc", {}, 100.0, (2,), "float32")
    with StoreWriter(path, {"mfcc": mfcc}) as writer:
        assert writer.missing(sorted(arrays)) == sorted(arrays)
        writer.add(ItemInfo("u03", "/data/u3.wav", 0.06), {"mfcc": np.ones((5, 2))})
    with open_store(path) as store:
        assert store.has("u03", "mfcc") and not store.has("u04", "mfcc")
        np.testing.assert_array_equal(store.read("u03", "fbank"), arrays["u03"])
        assert store.count("mfcc") == 1 and store.count("fbank") == 10
        with pytest.raises(StoreError, match="has no feature 'mfcc'"):
            store.read("u04", "mfcc")


def test_second_writer_fails_at_once_and_store_survives(tmp_path):
    path = tmp_path / "s.h5"
    _write(path)
    with StoreWriter(path, {"fbank": FBANK}):
        with pytest.raises(StoreError, match="another writer"):
            StoreWriter(path, {"fbank": FBANK}).open()
    assert check_store(path)["items"] == 10


def test_same_name_other_parameters_is_refused(tmp_path):
    path = tmp_path / "s.h5"
    _write(path)
    other = FeatureInfo("fbank", "fbank", {"num_mel_bins": 8}, 100.0, (8,), "float32")
    with pytest.raises(StoreError, match="other parameters"):
        with StoreWriter(path, {"fbank": other}):
            pass


def test_a_refused_open_releases_the_lock(tmp_path):
    path = tmp_path / "s.h5"
    _write(path)
    other = FeatureInfo("fbank", "fbank", {"num_mel_bins": 8}, 100.0, (8,), "float32")
    for _ in range(2):  # the second attempt must not find a stale lock
        with pytest.raises(StoreError, match="other parameters"):
            with StoreWriter(path, {"fbank": other}):
                pass
    with StoreWriter(path, {"fbank": FBANK}) as writer:
        assert writer.has("u00", "fbank")


def test_validation_on_write(tmp_path):
    with StoreWriter(tmp_path / "s.h5", {"fbank": FBANK}) as writer:
        with pytest.raises(StoreError, match="frames of shape"):
            writer.add(ItemInfo("x"), {"fbank": np.zeros((3, 5))})
        with pytest.raises(StoreError, match="NaN"):
            writer.add(ItemInfo("y"), {"fbank": np.full((3, 4), np.nan)})
        with pytest.raises(StoreError, match="not declared"):
            writer.add(ItemInfo("z"), {"mfcc": np.zeros((3, 4))})


def test_an_exception_keeps_finished_items_for_the_next_run(tmp_path):
    path = tmp_path / "s.h5"
    with pytest.raises(RuntimeError):
        with StoreWriter(path, {"fbank": FBANK}, part_items=100) as writer:
            writer.add(ItemInfo("a"), {"fbank": np.zeros((2, 4))})
            raise RuntimeError("interrupted")
    assert len(open_store(path)) == 0  # not committed, but journaled
    with StoreWriter(path, {"fbank": FBANK}) as writer:
        assert writer.has("a", "fbank")
    assert open_store(path).ids == ["a"]


@pytest.mark.parametrize("content", [b"", b"not hdf5 at all"])
def test_not_a_store(tmp_path, content):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="bad.h5"):
        open_store(path)


def test_foreign_hdf5_file_is_refused(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as h5:
        h5["x"] = 1
    with pytest.raises(StoreError, match="not an avtool feature store"):
        check_store(path)


def test_check_detects_a_broken_index(tmp_path):
    path = tmp_path / "s.h5"
    _write(path)
    with h5py.File(path, "a") as h5:
        h5["features/fbank/length"][0] = 10**6
    with pytest.raises(StoreError, match="points past the data"):
        check_store(path)


def test_store_survives_pickling_for_dataloader_workers(tmp_path):
    import pickle

    path = tmp_path / "s.h5"
    arrays = _write(path)
    store = open_store(path)
    store.read("u01", "fbank")
    clone = pickle.loads(pickle.dumps(store))
    np.testing.assert_array_equal(clone.read("u01", "fbank"), arrays["u01"])


def test_shards_read_as_one_and_merge(tmp_path):
    from avtool.store import merge_stores

    rng = np.random.default_rng(0)
    arrays = {}
    for shard in range(3):
        with StoreWriter(tmp_path / "shards" / f"f-{shard}.h5", {"fbank": FBANK}) as writer:
            for i in range(4):
                item_id = f"s{shard}-{i}"
                arrays[item_id] = rng.normal(size=(2 + i, 4)).astype(np.float32)
                writer.add(ItemInfo(item_id, "", 0.1), {"fbank": arrays[item_id]})
    for spec in (tmp_path / "shards", str(tmp_path / "shards" / "f-*.h5")):
        with open_store(spec) as store:
            assert len(store) == 12 and sorted(store.ids) == sorted(arrays)
            np.testing.assert_array_equal(store.read("s2-3", "fbank"), arrays["s2-3"])
            assert sum(len(ids) for ids, _ in store.batches("fbank", 5)) == 12
    assert check_store(tmp_path / "shards")["shards"] == 3
    merged = tmp_path / "all.h5"
    assert merge_stores(merged, [tmp_path / "shards"])["items"] == 12
    with open_store(merged) as store:
        for key, value in arrays.items():
            np.testing.assert_array_equal(store.read(key, "fbank"), value)
    with pytest.raises(StoreError, match="exists"):
        merge_stores(merged, [tmp_path / "shards"])


def test_duplicate_ids_across_shards_are_refused(tmp_path):
    for shard in range(2):
        with StoreWriter(tmp_path / f"d{shard}.h5", {"fbank": FBANK}) as writer:
            writer.add(ItemInfo("same", "", 0.1), {"fbank": np.zeros((2, 4))})
    with pytest.raises(StoreError, match="in both"):
        open_store(str(tmp_path / "d*.h5")).item("same")
