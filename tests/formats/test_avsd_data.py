"""DSTC7-AVSD files as the dialog task reads and writes them: typed dialogs (train, official
test with __UNDISCLOSED__, labelled test), result files, multiref COCO files and the released
<FeaType>/<ImageID>.npy features, on fixtures in exactly those formats."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from avtool.errors import FormatError
from avtool.formats.avsd import (
    UNDISCLOSED,
    AvsdDialog,
    AvsdTurn,
    read_avsd_data,
    read_avsd_dialogs,
    read_avsd_features,
    read_coco_captions,
    write_avsd_data,
    write_coco_references,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "avsd"


def test_training_file_is_read_turn_by_turn():
    dialogs = read_avsd_data(FIXTURES / "train_set4DSTC7-AVSD.json")
    assert [d.image_id for d in dialogs] == ["QXY12", "ZK9P3"]
    first = dialogs[0]
    assert first.summary.startswith("a man comes in") and first.caption.startswith("a person")
    assert first.turns[1] == AvsdTurn("what is he holding ?", "he is holding a cup of coffee .")
    assert first.turn_id(2) == "QXY12_2" and not any(t.undisclosed for t in first.turns)


def test_official_test_keeps_the_undisclosed_last_answer():
    dialogs = read_avsd_data(FIXTURES / "test_set4DSTC7-AVSD.json")
    assert [len(d.turns) for d in dialogs] == [2, 1]
    assert [d.turns[-1].undisclosed for d in dialogs] == [True, True]
    assert dialogs[0].turns[-1].answer == UNDISCLOSED
    labelled = read_avsd_data(FIXTURES / "lbl_test_set4DSTC7-AVSD.json")
    assert labelled[1].turns[0].answer == "it is a woman ."


def test_result_file_round_trip_scores_against_the_multiref(tmp_path):
    from avtool.tasks.dialog.evaluate import evaluate_caption_files

    dialogs = read_avsd_data(FIXTURES / "test_set4DSTC7-AVSD.json")
    answered = [AvsdDialog(d.image_id, d.caption, d.summary,
                           (*d.turns[:-1], AvsdTurn(d.turns[-1].question, "it is a woman")))
                for d in dialogs]
    out = write_avsd_data(tmp_path / "result.json", answered)
    assert read_avsd_data(out) == answered
    assert read_avsd_dialogs(out, last_only=True) == {"T0A11_1": ["it is a woman"],
                                                      "T0B22_0": ["it is a woman"]}
    scores = evaluate_caption_files(out, FIXTURES / "test_set4DSTC7-AVSD_multiref.json",
                                    last_only=True, meteor=False).to_dict()
    assert 0 < scores["BLEU-1"] <= 1 and scores["hypotheses"] == 2


def test_coco_references_round_trip(tmp_path):
    refs = {"V1_3": ["a dog barks", "the dog barks twice"], "V2_0": ["no"]}
    path = write_coco_references(tmp_path / "multiref.json", refs)
    got, id_to_key = read_coco_captions(path)
    assert got == refs and id_to_key == {"1": "V1_3", "2": "V2_0"}
    with pytest.raises(FormatError, match="no reference"):
        write_coco_references(tmp_path / "bad.json", {"V1_0": []})


@pytest.mark.parametrize("dialog, match", [
    ({"caption": "c", "dialog": [{"question": "q", "answer": "a"}]}, r"dialogs\[0\] has no"),
    ({"image_id": "V1", "dialog": []}, r"dialogs\[0\] \(V1\) needs a non-empty"),
    ({"image_id": "V1", "dialog": [{"question": "q", "answer": "a"}, {"question": "q2"}]},
     r"dialogs\[0\] \(V1\) turn 1 has no 'answer'"),
    ({"image_id": "V1", "dialog": [{"question": 3, "answer": "a"}]},
     r"dialogs\[0\] \(V1\) turn 0 question must be a string"),
    ({"image_id": "V1", "dialog": ["q a"]}, r"turn 0 is not an object"),
])
def test_schema_errors_name_the_dialog_and_turn(tmp_path, dialog, match):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"dialogs": [dialog]}))
    with pytest.raises(FormatError, match=match):
        read_avsd_data(path)


def test_whole_file_errors(tmp_path):
    for text, match in (("{", "invalid JSON"), ('{"dialogs": []}', "no dialog"),
                        ('{"x": 1}', "'dialogs' list")):
        (tmp_path / "f.json").write_text(text)
        with pytest.raises(FormatError, match=match):
            read_avsd_data(tmp_path / "f.json")
    two = {"dialogs": [{"image_id": "V", "dialog": [{"question": "q", "answer": "a"}]}] * 2}
    (tmp_path / "two.json").write_text(json.dumps(two))
    with pytest.raises(FormatError, match="second dialog"):
        read_avsd_data(tmp_path / "two.json")


def test_released_feature_layout(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "i3d_rgb").mkdir()
    (tmp_path / "i3d_flow").mkdir()
    (tmp_path / "vggish_testset").mkdir()
    np.save(tmp_path / "i3d_rgb" / "QXY12.npy", rng.normal(size=(5, 1, 2048)).astype("f4"))
    np.save(tmp_path / "i3d_flow" / "QXY12.npy", rng.normal(size=(5, 2048)))
    np.save(tmp_path / "vggish_testset" / "QXY12.npy", rng.normal(size=(3, 128)).astype("f4"))
    feats = read_avsd_features(tmp_path, "QXY12")
    assert {k: v.shape for k, v in feats.items()} == {"i3d_rgb": (5, 2048),
                                                       "i3d_flow": (5, 2048),
                                                       "vggish": (3, 128)}
    assert all(v.dtype == np.float32 for v in feats.values())
    with pytest.raises(FormatError, match=r"i3d_rgb/NOPE\.npy: no such feature file"):
        read_avsd_features(tmp_path, "NOPE")
    np.save(tmp_path / "i3d_rgb" / "BAD.npy", np.full((2, 4), np.nan, "f4"))
    with pytest.raises(FormatError, match="NaN"):
        read_avsd_features(tmp_path, "BAD", ["i3d_rgb"])
    (tmp_path / "i3d_rgb" / "TRUNC.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(FormatError, match="not a readable"):
        read_avsd_features(tmp_path, "TRUNC", ["i3d_rgb"])
