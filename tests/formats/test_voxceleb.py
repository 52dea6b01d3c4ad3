"""VoxCeleb readers on fixtures written in the real formats (tests/fixtures/speaker/)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avtool.errors import FormatError
from avtool.formats.voxceleb import (
    read_iden_split,
    read_scores,
    read_trials,
    read_voxceleb_dir,
    read_voxceleb_meta,
    scores_in_trial_order,
    voxceleb_speaker_root,
    write_scores,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "speaker"


def test_voxceleb1_wav_tree():
    utts = read_voxceleb_dir(FIX / "vox1")
    assert voxceleb_speaker_root(FIX / "vox1") == FIX / "vox1" / "wav"
    assert [u.key for u in utts] == [
        "id10270/8jEAjG6SegY/00008.wav",
        "id10270/x6uYqmx31kE/00001.wav",
        "id10300/ize_eiCFEg0/00003.wav",
    ]
    first = utts[0]
    assert (first.speaker, first.video, first.utterance) == ("id10270", "8jEAjG6SegY", "00008")
    assert first.path == FIX / "vox1/wav/id10270/8jEAjG6SegY/00008.wav"
    # The speaker-level folder itself works too, with the same keys.
    assert [u.key for u in read_voxceleb_dir(FIX / "vox1/wav")] == [u.key for u in utts]


def test_voxceleb2_dev_aac_tree():
    utts = read_voxceleb_dir(FIX / "vox2")
    assert voxceleb_speaker_root(FIX / "vox2") == FIX / "vox2/dev/aac"
    assert [u.key for u in utts] == [
        "id00012/21Uxsk56VDQ/00001.m4a",
        "id00012/21Uxsk56VDQ/00002.m4a",
        "id00015/0fijmz4vTVU/00001.m4a",
    ]
    assert {u.speaker for u in utts} == {"id00012", "id00015"}


def _wav(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(160, dtype=np.float32), 16000)


def test_tree_errors(tmp_path):
    with pytest.raises(FormatError, match="not a directory"):
        read_voxceleb_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="no .wav"):
        read_voxceleb_dir(tmp_path / "empty")
    _wav(tmp_path / "bad/wav/id10001/abc/00001.wav")
    _wav(tmp_path / "bad/wav/id10001/00002.wav")  # video folder missing
    with pytest.raises(FormatError, match=r"id10001/00002\.wav: expected <speaker>/<video>"):
        read_voxceleb_dir(tmp_path / "bad")


def test_tree_ignores_hidden_and_non_audio(tmp_path):
    _wav(tmp_path / "wav/id10001/abc/00001.wav")
    (tmp_path / "wav/id10001/abc/notes.txt").write_text("x")
    (tmp_path / "wav/.DS_Store").write_text("x")
    assert [u.key for u in read_voxceleb_dir(tmp_path)] == ["id10001/abc/00001.wav"]


def test_vox1_meta_tab_separated():
    rows = read_voxceleb_meta(FIX / "vox1_meta.csv")
    assert len(rows) == 4
    assert rows[0].speaker == "id10001" and rows[0].name == "A.J._Buckley"
    assert (rows[2].gender, rows[2].nationality, rows[2].set) == ("f", "USA", "test")


def test_vox2_meta_comma_separated_padded():
    rows = read_voxceleb_meta(FIX / "vox2_meta.csv")
    assert [(r.speaker, r.name, r.gender, r.set) for r in rows] == [
        ("id00012", "n000012", "m", "dev"),
        ("id00015", "n000015", "m", "test"),
        ("id00016", "n000016", "f", "dev"),
    ]
    assert rows[0].nationality is None


def test_meta_errors(tmp_path):
    bad = tmp_path / "meta.csv"
    bad.write_text("ID\tName\nid1\tx\n")
    with pytest.raises(FormatError, match=r"meta\.csv:1: header lacks"):
        read_voxceleb_meta(bad)
    bad.write_text("VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\nid1\tx\tq\tUK\tdev\n")
    with pytest.raises(FormatError, match=r"meta\.csv:2: gender 'q'"):
        read_voxceleb_meta(bad)
    bad.write_text("VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\nid1\tx\tm\n")
    with pytest.raises(FormatError, match=r"meta\.csv:2: 3 fields"):
        read_voxceleb_meta(bad)


@pytest.mark.parametrize(("name", "n", "n_target"), [
    ("veri_test.txt", 8, 4), ("veri_test2.txt", 7, 3),
    ("list_test_all2.txt", 4, 2), ("list_test_hard2.txt", 4, 2),
])
def test_trial_lists(name, n, n_target):
    trials = read_trials(FIX / name)
    assert len(trials) == n
    assert (trials.n_target, trials.n_nontarget) == (n_target, n - n_target)
    assert trials.sha256 == hashlib.sha256((FIX / name).read_bytes()).hexdigest()
    assert trials.lines[0] == 1


def test_veri_test_first_trial():
    trials = read_trials(FIX / "veri_test.txt")
    assert trials.labels[0] and not trials.labels[1]
    assert trials.path1[0] == "id10270/x6uYqmx31kE/00001.wav"
    assert trials.path2[0] == "id10270/8jEAjG6SegY/00008.wav"


def test_trial_errors(tmp_path):
    with pytest.raises(FormatError, match=r"bad_trials_two_columns\.txt:1: expected 'label "
                                          r"path1 path2', got 2"):
        read_trials(FIX / "bad_trials_two_columns.txt")
    with pytest.raises(FormatError, match=r"bad_trials_label\.txt:2: label '2'"):
        read_trials(FIX / "bad_trials_label.txt")
    f = tmp_path / "t.txt"
    f.write_text("\n\n")
    with pytest.raises(FormatError, match="no trials"):
        read_trials(f)
    f.write_text("1 a b\n\n0 a b\n")
    with pytest.raises(FormatError, match=r"t\.txt:3: pair 'a b' is labelled 0 here and 1 on "
                                          r"line 1"):
        read_trials(f)
    with pytest.raises(FormatError, match="no such file"):
        read_trials(tmp_path / "nope.txt")
    f.write_bytes(b"1 a \xff\n")
    with pytest.raises(FormatError, match="not UTF-8"):
        read_trials(f)


def test_iden_split():
    rows = read_iden_split(FIX / "iden_split.txt")
    assert rows[0] == ("train", "id10001/1zcIwhmdeo4/00001.wav")
    assert [r[0] for r in rows] == ["train", "train", "val", "test"]


def test_scores_paired_by_key_not_line_order():
    trials = read_trials(FIX / "veri_test.txt")
    scores = read_scores(FIX / "scores.txt")
    assert len(scores) == 9  # one pair belongs to no list here
    paired = scores_in_trial_order(trials, scores)
    np.testing.assert_allclose(paired, [0.9, 0.7, 0.85, 0.3, 0.8, 0.2, 0.4, 0.41])


def test_missing_score_names_trial_line(tmp_path):
    trials = read_trials(FIX / "list_test_all2.txt")
    with pytest.raises(FormatError, match=r"list_test_all2\.txt:2: no score for "
                                          r"'id10001/1zcIwhmdeo4/00001\.wav id10943.* \(3 of 4"):
        scores_in_trial_order(trials, read_scores(FIX / "scores.txt"))
    f = tmp_path / "s.txt"
    f.write_text("b a 0.5\n")
    t = tmp_path / "t.txt"
    t.write_text("1 a b\n")
    with pytest.raises(FormatError, match="pair order must match"):
        scores_in_trial_order(read_trials(t), read_scores(f))


def test_score_errors(tmp_path):
    with pytest.raises(FormatError, match=r"bad_scores_value\.txt:2: score 'high' is not a "
                                          "number"):
        read_scores(FIX / "bad_scores_value.txt")
    f = tmp_path / "s.txt"
    f.write_text("a b nan\n")
    with pytest.raises(FormatError, match=r"s\.txt:1: score 'nan' is not finite"):
        read_scores(f)
    f.write_text("1 a b 0.3\n")
    with pytest.raises(FormatError, match=r"s\.txt:1: expected 'path1 path2 score', got 4"):
        read_scores(f)
    f.write_text("a b 0.3\na b 0.4\n")
    with pytest.raises(FormatError, match=r"s\.txt:2: pair 'a b' scored 0.4 here and 0.3"):
        read_scores(f)
    f.write_text("a b 0.3\na b 0.3\n")  # the same score twice is consistent
    assert read_scores(f).scores == {("a", "b"): 0.3}


def test_write_scores_round_trip(tmp_path):
    values = np.random.default_rng(0).normal(size=5).astype(np.float32)
    p1 = [f"id1/v/{i:05d}.wav" for i in range(5)]
    p2 = [f"id2/v/{i:05d}.wav" for i in range(5)]
    out = tmp_path / "scores.txt"
    write_scores(out, p1, p2, values)
    back = read_scores(out)
    assert [back.scores[(a, b)] for a, b in zip(p1, p2, strict=True)] == values.tolist()
    with pytest.raises(FormatError, match="whitespace"):
        write_scores(tmp_path / "x.txt", ["a b"], ["c"], [0.1])
    assert not (tmp_path / "x.txt").exists()
