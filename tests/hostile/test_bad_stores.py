"""Damaged or odd feature stores through every command that reads a store. The readers check
what they rely on when they open it (`avtool.store.reader`), with the messages of
`avtool store check`: one line naming the store, exit 2, nothing written."""

from __future__ import annotations

import pytest

from avtool.testing.hostile import STORE_DEFECTS, STORE_FEATURE

DEFECTS = list(STORE_DEFECTS)

# Defects a command does not look at, because it does not use what they damage: `store
# info` reads metadata only (not the values, not the ids).
UNSEEN = {("store", "info"): {"store_nan_rows.h5", "store_duplicate_ids.h5"}}

READERS = {
    ("store", "info"): lambda store, out, ws: [store],
    ("store", "check"): lambda store, out, ws: [store],
    ("store", "merge"): lambda store, out, ws: [out / "merged.h5", store],
    ("extract-features",): lambda store, out, ws: [ws.wav, "--out", store, "--feature",
                                                   STORE_FEATURE],
    ("train", "speaker"): lambda store, out, ws: [
        "--store", store, "--out", out / "run", "--model", "debug", "--pool", "tap",
        "--epochs", "1", "--batch-size", "4", "--crop-seconds", "0.2", "--device", "cpu"],
}

CASES = [(cmd, defect) for cmd in READERS for defect in DEFECTS]


@pytest.mark.parametrize(("command", "defect"), CASES,
                         ids=[f"{' '.join(c)} {d}" for c, d in CASES])
def test_damaged_store_is_one_line_naming_it(check, ws, tmp_path, command, defect):
    store = check.copy_into(ws.stores[defect], tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    before = check.snapshot(tmp_path)
    result = check.run(*command, *READERS[command](store, out, ws))
    if defect in UNSEEN.get(command, ()):
        check.assert_clean(result, 0)
        return
    check.assert_clean(result, 2, store)
    after = check.snapshot(tmp_path)
    if command == ("extract-features",) and defect == "store_nan_rows.h5":
        # Values are only read when the new items are committed, after the extraction: the
        # store is left as it was, and the journal keeps the new item.
        after = {k: v for k, v in after.items() if ".journal" not in k}
    assert after == before


def test_good_store_passes_every_reader(check, ws, tmp_path):
    """The defects above are the only thing wrong: the store they come from is read fine."""
    from avtool.testing.hostile import good_store

    for n, (command, args) in enumerate(READERS.items()):
        store = good_store(tmp_path / f"in{n}" / "good.h5")
        out = tmp_path / f"out{n}"
        out.mkdir()
        result = check.run(*command, *args(store, out, ws))
        check.assert_clean(result, 0)
