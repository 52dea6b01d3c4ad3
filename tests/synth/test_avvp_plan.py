"""The synthetic LLP-like corpus: label sampling and the LLP label files (no rendering)."""

from __future__ import annotations

import csv
import json
from collections import Counter

import numpy as np
import pytest

from avtool.errors import ConfigError
from avtool.formats.llp import (
    LLP_CLASSES,
    events_to_masks,
    llp_video_id,
    parse_clip_name,
    read_llp_events,
    read_llp_weak,
)
from avtool.synth.avvp import (
    SynthAvvpConfig,
    plan_corpus,
    sample_runs,
    write_label_files,
)


def test_plan_is_deterministic_and_llp_like():
    cfg = SynthAvvpConfig(clips=120, seed=3)
    plans = plan_corpus(cfg)
    assert plans == plan_corpus(cfg)
    assert plans != plan_corpus(SynthAvvpConfig(clips=120, seed=4))
    assert Counter(p.split for p in plans) == {"train": 72, "val": 24, "test": 24}
    vids = [llp_video_id(p.filename) for p in plans]
    assert len(set(vids)) == len(vids) and not any(v.startswith("-") for v in vids)
    for p in plans:
        vid, start, end = parse_clip_name(p.filename)
        assert end - start == 10 and 1 <= len(p.events) <= 3
        assert len({e.label for e in p.events}) == len(p.events)
        for e in p.events:
            assert e.audio or e.visual
    kinds = Counter(e.kind for p in plans for e in p.events)
    assert kinds["audio"] > 0 and kinds["visual"] > 0 and kinds["audio-visual"] > 0
    assert any(e.kind == "audio-visual" and e.audio != e.visual for p in plans for e in p.events)
    counts = Counter(e.label for p in plans for e in p.events)
    assert set(counts) == set(LLP_CLASSES) and max(counts.values()) - min(counts.values()) <= 2


def test_runs_never_touch():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        runs = sample_runs(rng, (0.3, 0.4, 0.3), 0.1)
        assert all(0 <= on < off <= 10 for on, off in runs)
        assert all(a[1] < b[0] for a, b in zip(runs, runs[1:], strict=False))  # gap >= 1 s


def test_label_files_round_trip(tmp_path):
    plans = plan_corpus(SynthAvvpConfig(clips=30, seed=1))
    write_label_files(plans, tmp_path)
    by_name = {p.filename: p for p in plans}
    for split, name in (("train", "AVVP_train.csv"), ("val", "AVVP_val_pd.csv"),
                        ("test", "AVVP_test_pd.csv")):
        rows = read_llp_weak(tmp_path / name)
        assert [r.filename for r in rows] == [p.filename for p in plans if p.split == split]
        for r in rows:
            assert r.labels == by_name[r.filename].labels
    scored = [p.filename for p in plans if p.split in ("val", "test")]
    for modality in ("audio", "visual"):
        events = read_llp_events(tmp_path / f"AVVP_eval_{modality}.csv")
        assert {e.filename for e in events} <= set(scored)
        masks = events_to_masks(events, scored)
        for i, clip in enumerate(scored):
            want = np.zeros((25, 10), bool)
            for e in by_name[clip].events:
                for on, off in getattr(e, modality):
                    want[LLP_CLASSES.index(e.label), on:off] = True
            np.testing.assert_array_equal(masks[i], want)
    with open(tmp_path / "clips.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == [p.filename for p in plans]
    assert rows[0]["path"] == f"clips/{plans[0].filename}.mp4"
    assert rows[0]["labels"] == ",".join(plans[0].labels)
    truth = [json.loads(line) for line in (tmp_path / "truth.jsonl").read_text().splitlines()]
    assert truth[0]["events"][0]["label"] == plans[0].events[0].label


def test_bad_configs():
    with pytest.raises(ConfigError, match="no train clips"):
        plan_corpus(SynthAvvpConfig(clips=10, val_fraction=0.6, test_fraction=0.5))
    with pytest.raises(ConfigError, match="clips must be"):
        plan_corpus(SynthAvvpConfig(clips=0))
