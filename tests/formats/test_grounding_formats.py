"""Charades-STA, ActivityNet Captions, prediction and duration readers on real-format fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avtool.errors import FormatError
from avtool.formats.activitynet_captions import read_activitynet_captions
from avtool.formats.charades_sta import read_charades_sta
from avtool.formats.moments import match_grounding, read_durations, read_moment_predictions

FIX = Path(__file__).parent.parent / "fixtures" / "grounding"


def test_charades_sta_ids_are_zero_based_line_numbers(tmp_path):
    qs = read_charades_sta(FIX / "charades_sta_test.txt")
    assert [q.query_id for q in qs] == ["0", "1", "2", "3", "4", "5"]
    assert (qs[0].video_id, qs[0].start, qs[0].end) == ("AO8RW", 0.0, 6.9)
    assert qs[0].sentence == "a person is putting a book on a shelf."
    f = tmp_path / "sta.txt"
    f.write_text("AO8RW 0.0 6.9##a\n\nY6R7T 1 2##b\n")  # a blank line still counts
    assert [q.query_id for q in read_charades_sta(f)] == ["0", "2"]


@pytest.mark.parametrize(("line", "msg"), [
    ("AO8RW 0.0 6.9 a person", "vid start end##sentence"),
    ("AO8RW zero 6.9##x", "must be numbers"),
    ("AO8RW 7.0 6.9##x", "after end"),
    ("AO8RW 1 nan##x", "finite"),
])
def test_charades_sta_errors_name_file_and_line(tmp_path, line, msg):
    f = tmp_path / "sta.txt"
    f.write_text(f"AO8RW 0.0 6.9##ok\n{line}\n")
    with pytest.raises(FormatError, match=rf"sta\.txt:2: .*{msg}"):
        read_charades_sta(f)


def test_activitynet_captions_queries_and_durations():
    qs, durations = read_activitynet_captions(FIX / "activitynet_val.json")
    assert [q.query_id for q in qs] == ["v_QOlSCBRmfWY#0", "v_QOlSCBRmfWY#1", "v_QOlSCBRmfWY#2",
                                        "v_ehGHCYKzyZ8#0", "v_ehGHCYKzyZ8#1"]
    assert durations == {"v_QOlSCBRmfWY": 82.73, "v_ehGHCYKzyZ8": 61.72}
    assert (qs[4].start, qs[4].end) == (55.0, 65.0)  # past the duration: kept, clipped later
    assert qs[1].sentence.startswith("The girl dances")


@pytest.mark.parametrize(("payload", "msg"), [
    ("{not json", r"a\.json:1:2: invalid JSON"),
    ('{"v": {"duration": 5, "timestamps": [[0, 1]], "sentences": []}}', "1 timestamps but 0"),
    ('{"v": {"duration": 5, "timestamps": [[3, 1]], "sentences": ["x"]}}', "timestamp 0: start"),
    ('{"v": {"duration": "5", "timestamps": [], "sentences": []}}', "duration must be"),
    ('{"v": {"timestamps": [[0, 1]], "sentences": ["x"]}}', "'duration' and 'timestamps'"),
    ('[1, 2]', "keyed by video id"),
])
def test_activitynet_errors(tmp_path, payload, msg):
    f = tmp_path / "a.json"
    f.write_text(payload)
    with pytest.raises(FormatError, match=msg):
        read_activitynet_captions(f)


def test_predictions_with_rank_and_extra_column():
    p = read_moment_predictions(FIX / "pred_activitynet.tsv")
    assert len(p) == 5 and p.rank.tolist() == [1, 1, 2, 1, 1]
    assert p.line.tolist() == [2, 3, 4, 5, 6]
    np.testing.assert_array_equal(p.start, [0.83, 40, 17.37, 0, 0])


@pytest.mark.parametrize(("text", "msg"), [
    ("query_id\tvideo_id\tstart\n", "header must name"),
    ("query_id\tvideo_id\tstart\tend\n0\tA\t1\n", r"p\.tsv:2: 3 fields"),
    ("query_id\tvideo_id\tstart\tend\n0\tA\t5\t1\n", r"p\.tsv:2: start 5.0 is after"),
    ("query_id\tvideo_id\tstart\tend\n0\tA\tx\t1\n", r"p\.tsv:2: start must be a number"),
    ("query_id\tvideo_id\tstart\tend\trank\n0\tA\t0\t1\t0\n", "rank must be an integer >= 1"),
    ("", "empty file"),
])
def test_prediction_errors(tmp_path, text, msg):
    f = tmp_path / "p.tsv"
    f.write_text(text)
    with pytest.raises(FormatError, match=msg):
        read_moment_predictions(f)


def test_durations_file(tmp_path):
    assert read_durations(FIX / "durations.tsv") == {"AO8RW": 33.67, "Y6R7T": 30.0,
                                                     "3MSZA": 29.5}
    f = tmp_path / "d.tsv"
    f.write_text("A\t3\nB\t-1\n")
    with pytest.raises(FormatError, match=r"d\.tsv:2: duration must be positive"):
        read_durations(f)


def test_match_checks_ids_videos_and_duplicates(tmp_path):
    qs = read_charades_sta(FIX / "charades_sta_test.txt")
    inputs = match_grounding(qs, read_moment_predictions(FIX / "pred_charades.tsv"),
                             read_durations(FIX / "durations.tsv"))
    assert inputs.pred_query.tolist() == [0, 1, 2, 4, 5]
    assert inputs.duration.tolist() == [33.67, 33.67, 30.0, 30.0, 29.5, 29.5]
    cases = {
        "9\tAO8RW\t0\t1\n": "query id '9' is not in the ground truth",
        "0\tY6R7T\t0\t1\n": "belongs to video 'AO8RW', not 'Y6R7T'",
        "0\tAO8RW\t0\t1\n0\tAO8RW\t0\t2\n": "two predictions",
    }
    for body, msg in cases.items():
        f = tmp_path / "p.tsv"
        f.write_text("query_id\tvideo_id\tstart\tend\n" + body)
        with pytest.raises(FormatError, match=msg):
            match_grounding(qs, read_moment_predictions(f))
    with pytest.raises(FormatError, match=r"d\.tsv: no duration for video 'Y6R7T'"):
        match_grounding(qs, read_moment_predictions(FIX / "pred_charades.tsv"),
                        {"AO8RW": 30.0, "3MSZA": 30.0}, durations_path="d.tsv")

