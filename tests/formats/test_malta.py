"""The MALTA layout: ActivityNet Captions JSON per split with caption kinds and language."""

from __future__ import annotations

import json

import pytest

from avtool.errors import FormatError
from avtool.formats.malta import malta_kinds, read_malta, write_malta_json


def test_round_trip_and_activitynet_compatibility(tmp_path):
    path = write_malta_json(tmp_path / "TFT_av" / "test.json",
                            {"v1": (80.0, [(0.0, 5.5, "कागदाची होडी", "speech"),
                                           (5.5, 9.0, "a red star", "visual")])}, "mr")
    queries, durations, kinds = read_malta(path)
    assert [q.query_id for q in queries] == ["v1#0", "v1#1"]
    assert queries[0].sentence == "कागदाची होडी" and durations == {"v1": 80.0}
    assert kinds == {"v1#0": "speech", "v1#1": "visual"}
    assert json.loads(path.read_text())["v1"]["language"] == "mr"


def test_kinds_are_optional_but_must_match(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"v": {"duration": 9, "timestamps": [[0, 1]],
                                      "sentences": ["x"]}}))
    assert malta_kinds(path) == {"v#0": ""}
    path.write_text(json.dumps({"v": {"duration": 9, "timestamps": [[0, 1]],
                                      "sentences": ["x"], "kinds": ["a", "b"]}}))
    with pytest.raises(FormatError, match="one kind per timestamp"):
        malta_kinds(path)
