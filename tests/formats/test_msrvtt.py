"""MSR-VTT files: MSRVTT_data.json, the 9k/7k train CSVs, the JSFusion 1k-A test CSV."""

from __future__ import annotations

import json

import pytest

from avtool.errors import FormatError
from avtool.formats.msrvtt import (
    JsfusionQuery,
    MsrvttSentence,
    MsrvttVideo,
    read_jsfusion_test,
    read_msrvtt_data,
    read_msrvtt_split,
    write_jsfusion_test,
    write_msrvtt_data,
    write_msrvtt_split,
)

# the real files' shape, abridged (MSRVTT_data.json as shipped with CLIP4Clip / MMT)
DATA = {
    "info": {"contributor": "Microsoft MSM group", "year": "2016"},
    "videos": [
        {"category": 9, "url": "https://www.youtube.com/watch?v=9lZi22qLlEo",
         "video_id": "video0", "start time": 137.72, "end time": 149.44, "split": "train",
         "id": 0},
        {"category": 16, "url": "https://www.youtube.com/watch?v=w4JM08PDEng",
         "video_id": "video9770", "start time": 0.0, "end time": 11.4, "split": "test",
         "id": 9770},
    ],
    "sentences": [
        {"caption": "a car is shown", "video_id": "video0", "sen_id": 0},
        {"caption": "a man drives a car", "video_id": "video0", "sen_id": 1},
        {"caption": "a person is connecting something to system", "video_id": "video9770",
         "sen_id": 195000},
    ],
}
JSFUSION = ("key,vid_key,video_id,sentence\n"
            "ret0,msr9770,video9770,a person is connecting something to system\n")


def test_read_data(tmp_path):
    path = tmp_path / "MSRVTT_data.json"
    path.write_text(json.dumps(DATA))
    data = read_msrvtt_data(path)
    assert [v.video_id for v in data.videos] == ["video0", "video9770"]
    assert data.videos[0].start == 137.72 and data.videos[1].split == "test"
    assert [s.caption for s in data.captions_of()["video0"]] == ["a car is shown",
                                                                 "a man drives a car"]
    assert data.sentences[2].sen_id == 195000


@pytest.mark.parametrize("raw, message", [
    ("{", "not JSON"),
    ('{"videos": []}', "'videos' and 'sentences'"),
    ('{"videos": [{"video_id": "v"}], "sentences": [{"caption": "x", "video_id": "w"}]}',
     "not in 'videos'"),
    ('{"videos": [{"video_id": "v"}, {"video_id": "v"}], "sentences": []}', "duplicate"),
])
def test_bad_data(tmp_path, raw, message):
    path = tmp_path / "MSRVTT_data.json"
    path.write_text(raw)
    with pytest.raises(FormatError, match=message) as err:
        read_msrvtt_data(path)
    assert str(path) in str(err.value)


def test_bad_data_not_utf8(tmp_path):
    path = tmp_path / "MSRVTT_data.json"
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(FormatError, match="UTF-8"):
        read_msrvtt_data(path)


def test_split_and_jsfusion(tmp_path):
    (tmp_path / "MSRVTT_train.9k.csv").write_text("video_id\nvideo0\nvideo1\n")
    assert read_msrvtt_split(tmp_path / "MSRVTT_train.9k.csv") == ["video0", "video1"]
    (tmp_path / "test.csv").write_text(JSFUSION)
    q = read_jsfusion_test(tmp_path / "test.csv")
    assert q == [JsfusionQuery("ret0", "msr9770", "video9770",
                               "a person is connecting something to system")]
    (tmp_path / "bad.csv").write_text("key,video_id\nret0,video1\n")
    with pytest.raises(FormatError, match="missing column"):
        read_jsfusion_test(tmp_path / "bad.csv")


def test_round_trip(tmp_path):
    videos = [MsrvttVideo("video0", "train", 1, "u", 0.0, 4.0)]
    sentences = [MsrvttSentence(0, "video0", "a red star spins")]
    data = read_msrvtt_data(write_msrvtt_data(tmp_path / "d.json", videos, sentences))
    assert data.videos == tuple(videos) and data.sentences == tuple(sentences)
    assert read_msrvtt_split(write_msrvtt_split(tmp_path / "s.csv", ["video0"])) == ["video0"]
    q = [JsfusionQuery("ret0", "msr0", "video0", "a, quoted \"caption\"")]
    assert read_jsfusion_test(write_jsfusion_test(tmp_path / "t.csv", q)) == q


def test_activitynet_paragraphs(tmp_path):
    from avtool.formats.activitynet_paragraphs import (
        read_activitynet_paragraphs,
        write_activitynet_captions,
    )

    path = write_activitynet_captions(tmp_path / "val_1.json", {
        "v_QOlSCBRmfWY": (82.73, [(17.37, 60.81), (0.83, 19.86)],
                          ["She then dances.", "A young woman is seen standing."]),
        "v_b": (10.0, [(0.0, 5.0)], ["A dog barks."])})
    paragraphs = read_activitynet_paragraphs(path)
    assert paragraphs[0].text == "A young woman is seen standing. She then dances."
    assert paragraphs[0].duration == 82.73 and paragraphs[1].video_id == "v_b"
