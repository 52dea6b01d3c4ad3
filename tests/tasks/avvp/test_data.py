"""Loading LLP clips for the AVVP tasks: clip choice, labels, pooling, validation sources."""

from __future__ import annotations

import numpy as np
import pytest

from avtool.errors import ConfigError, FormatError, StoreError
from avtool.formats.llp import LLP_CLASSES, read_llp_weak
from avtool.store import FeatureInfo, ItemInfo, StoreWriter, open_store
from avtool.tasks.avvp.data import load_clips, load_validation
from avtool.tasks.avvp.options import AvvpOptions
from avtool.tasks.avvp.synth_features import SynthFeaturesConfig, write_feature_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("avvp_data")
    return root, write_feature_corpus(root, SynthFeaturesConfig(clips=20, seed=1, dims=(4, 3, 2),
                                                                frame_rows=8))


def test_split_labels_and_frame_pooling(corpus):
    root, store = corpus
    clips, infos = load_clips(store, split="train")
    rows = read_llp_weak(root / "AVVP_train.csv")
    assert sorted(clips.ids) == sorted(r.filename for r in rows)
    assert clips.audio.shape == (len(rows), 10, 4) and clips.frame.shape == (len(rows), 10, 3)
    with open_store(store) as s:
        raw = s.read(clips.ids[0], "llp_frame")
    np.testing.assert_allclose(clips.frame[0], raw.reshape(10, 8, 3).mean(1), rtol=1e-6)
    want = {r.filename: set(r.labels) for r in rows}
    for i, clip in enumerate(clips.ids):
        assert {LLP_CLASSES[k] for k in np.nonzero(clips.labels[i])[0]} == want[clip]
    assert infos["llp_frame"]["frame_rate"] == 8.0 and infos["llp_audio"]["frame_shape"] == [4]


def test_labels_file_overrides_meta(corpus, tmp_path):
    _, store = corpus
    with open_store(store) as s:
        ids = s.ids[:2]
    csv = tmp_path / "weak.csv"
    csv.write_text(f"filename\tevent_labels\n{ids[1]}\tDog,Cat\n{ids[0]}\t\n")
    clips, _ = load_clips(store, labels_csv=csv)
    assert clips.ids == [ids[1], ids[0]]
    assert clips.labels[0, [3, 4]].tolist() == [1, 1] and clips.labels[0].sum() == 2
    assert clips.labels[1].sum() == 0
    csv.write_text("filename\tevent_labels\nNotInStore1_0_10\tDog\n")
    with pytest.raises(StoreError, match="not in the store"):
        load_clips(store, labels_csv=csv)
    csv.write_text("filename\tevent_labels\nx\tDogg\n")
    with pytest.raises(FormatError, match="unknown class 'Dogg'"):
        load_clips(store, labels_csv=csv)


def test_validation_sources(corpus):
    root, store = corpus
    train, _ = load_clips(store, split="train")
    assert load_validation(AvvpOptions(), store, train.ids) is None
    val, truth = load_validation(AvvpOptions(val_labels_dir=root), store, train.ids)
    assert sorted(val.ids) == sorted(r.filename for r in read_llp_weak(root / "AVVP_val_pd.csv"))
    assert truth.audio.shape == (len(val), 25, 10) and truth.audio.any()
    # explicit files and a separate val store (here the same file) give the same clips
    val2, truth2 = load_validation(AvvpOptions(val_store=store, val_clips=root / "AVVP_val_pd.csv",
                                    val_gt_audio=root / "AVVP_eval_audio.csv",
                                    val_gt_visual=root / "AVVP_eval_visual.csv"),
                                   store, train.ids)
    assert val2.ids == val.ids and (truth2.visual == truth.visual).all()
    with pytest.raises(ConfigError, match="validation needs dense labels"):
        load_validation(AvvpOptions(val_clips=root / "AVVP_val_pd.csv"), store, train.ids)
    with pytest.raises(ConfigError, match="are the training clips"):
        load_validation(AvvpOptions(val_labels_dir=root, val_clips=root / "AVVP_train.csv"), store,
                        train.ids)


def test_store_without_split_uses_all_items(tmp_path):
    infos = {n: FeatureInfo(n, "x", {}, r, (2,), "float32")
             for n, r in (("llp_audio", 1.0), ("llp_frame", 1.0), ("llp_motion", 1.0))}
    path = tmp_path / "s.h5"
    with StoreWriter(path, infos) as w:
        for k in range(3):
            w.add(ItemInfo(f"clip{k}", meta={"labels": "Speech,Dog"}),
                  {n: np.full((10, 2), k, np.float32) for n in infos})
    clips, _ = load_clips(path, split="train")
    assert len(clips) == 3 and clips.labels[:, :4].tolist()[0] == [1, 0, 0, 1]
    with StoreWriter(tmp_path / "bad.h5", infos) as w:
        w.add(ItemInfo("c"), {n: np.zeros((7, 2), np.float32) for n in infos})
    with pytest.raises(StoreError, match=r"shape \(7, 2\), expected \(10, 2\)"):
        load_clips(tmp_path / "bad.h5")
