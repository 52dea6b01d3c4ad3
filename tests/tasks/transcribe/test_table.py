"""`make table-avatar` (`avtool.tasks.transcribe.table`): the whole route at toy sizes, the
noisy test audio against `avtool transcribe --model`'s, and the table's arithmetic."""

from __future__ import annotations

import json

import numpy as np
import pytest

from avtool.tasks import load_model
from avtool.tasks.transcribe import table
from avtool.tasks.transcribe.run import item_seed

TOY = ["--clips", "20", "--d-model", "32", "--layers", "2", "--fusion-layer", "1",
       "--decoder-layers", "1", "--epochs", "1", "--batch-size", "4", "--warmup-steps", "2",
       "--no-whisper", "--workers", "1"]


@pytest.fixture(scope="module")
def toy_table(tmp_path_factory):
    work = tmp_path_factory.mktemp("table-avatar")
    table.main(["--workdir", str(work), *TOY])
    return work


def test_the_table_runs_end_to_end_and_writes_every_cell(toy_table):
    results = json.loads((toy_table / "results.json").read_text())
    assert set(results["runs"]) == {"a-none", "av-none", "a-random", "av-random"}
    for strategy in table.STRATEGIES:
        for condition in table.CONDITIONS:
            cell = results["table"][strategy][condition]
            assert np.isfinite(cell["A"]) and np.isfinite(cell["A+V"])
            assert cell["rel"] == pytest.approx(table.rel_delta(cell["A"], cell["A+V"]))
    md = (toy_table / "table-avatar.md").read_text()
    assert "No masking (ours)" in md and "Random Word Masking | 9.19 | 9.11" in md
    assert "different data" in md and "orderings" in md
    # every run is reused by a second call: nothing is trained again
    before = {k: v["path"] for k, v in results["runs"].items()}
    table.main(["--workdir", str(toy_table), *TOY])
    again = json.loads((toy_table / "results.json").read_text())
    assert {k: v["path"] for k, v in again["runs"].items()} == before
    assert all(v["seconds"] is None for v in again["runs"].values())
    assert again["table"] == results["table"]


def test_noisy_test_audio_is_what_avtool_transcribe_feeds_the_model(toy_table):
    from avtool.store import open_store

    corpus = toy_table / "corpus"
    results = json.loads((toy_table / "results.json").read_text())
    model = load_model(results["runs"]["av-random"]["path"])
    clips = table.test_clips(corpus)
    item = next(iter(clips))
    info = open_store(toy_table / "features.h5").features["fbank"]
    ours = table.noisy_features({item: clips[item]}, "mixed", 3, 5.0, info)[item]
    theirs, _, _ = model.media_inputs(clips[item][0], noise="mixed", seed=item_seed(3, item),
                                      snr_db=5.0)
    np.testing.assert_allclose((ours - model.mean) / model.std, theirs, atol=1e-5)


def test_relative_delta_and_orderings():
    assert table.rel_delta(15.72, 15.62) == pytest.approx(0.636, abs=1e-3)
    cells = {c: {"A": 50.0, "A+V": 40.0, "rel": 20.0} for c in table.CONDITIONS}
    worse = {c: {"A": 50.0, "A+V": 55.0, "rel": -10.0} for c in table.CONDITIONS}
    lines = table.orderings({"No masking": worse, "Random word masking": cells})
    assert sum("A+V beats A holds" in line for line in lines) == 3
    assert sum("A+V beats A does NOT hold" in line for line in lines) == 3
    assert sum("masking widens the gap holds" in line for line in lines) == 3
