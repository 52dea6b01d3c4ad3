"""Released feature layouts: `<stream>/<id>.npy` folders and ActivityNet-style `<stream>.h5`
(a group per video holding one dataset), trained on and aligned with ActivityNet JSON."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from avtool.errors import StoreError
from avtool.store import open_store
from avtool.tasks import load_model, train_task
from avtool.tasks.grounding.features import open_source
from avtool.tasks.grounding.options import GroundingOptions
from avtool.tasks.grounding.predictor import AlignInputs
from avtool.tasks.grounding.testing import write_feature_corpus


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    work = tmp_path_factory.mktemp("released")
    paths = write_feature_corpus(work / "c", videos=6, seed=2)
    root = work / "feats"
    (root / "aud").mkdir(parents=True)
    store = open_store(paths["store"])
    with h5py.File(root / "c3d.h5", "w") as f:
        for vid in store.ids:
            f.create_group(vid).create_dataset("c3d_features", data=store.read(vid, "vis"))
            np.save(root / "aud" / f"{vid}.npy", store.read(vid, "aud"))
    return paths, root


def test_source_lists_streams_and_reads_them(released):
    paths, root = released
    source = open_source(root)
    assert set(source.available) == {"c3d", "aud"}
    vid = open_store(paths["store"]).ids[0]
    frames, rate = source.read(vid, "c3d", 10.0)
    assert frames.shape[1] == 16 and rate == pytest.approx(len(frames) / 10.0)
    with pytest.raises(StoreError, match="no features for video 'nope'"):
        source.read("nope", "c3d", 10.0)


def test_train_and_align_on_released_features(released, tmp_path):
    paths, root = released
    anet = paths["train"].parent
    options = GroundingOptions(queries=str(anet / "activitynet_train.json"), model="malta",
                               video_features="c3d", audio_features="aud",
                               embeddings="random", embedding=8, hidden=8, attention=8,
                               segments=8)
    train_task("grounding", options, root, tmp_path / "run", quiet=True, epochs=1,
               batch_size=16)
    aligner = load_model(tmp_path / "run")
    result = aligner.predict(AlignInputs(anet / "activitynet_test.json", root))
    assert result.alignments and not result.failures
    assert all(a.query_id.count("#") == 1 and 0 <= a.start <= a.end <= a.duration
               for a in result.alignments)
