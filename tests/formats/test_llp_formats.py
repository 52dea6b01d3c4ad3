"""LLP readers/writers on fixtures in the real formats (tests/fixtures/llp/), quirks included."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from avtool.errors import FormatError
from avtool.formats.llp import (
    LLP_CLASSES,
    LLP_FEATURE_SHAPES,
    DenseEvent,
    dense_to_events,
    events_to_masks,
    llp_video_id,
    load_llp_features,
    parse_clip_name,
    read_llp_events,
    read_llp_weak,
    write_llp_events,
)

FIX = Path(__file__).parent.parent / "fixtures" / "llp"
IDX = {c: i for i, c in enumerate(LLP_CLASSES)}


def test_class_list_is_the_llp_order():
    assert len(LLP_CLASSES) == 25 == len(set(LLP_CLASSES))
    assert LLP_CLASSES[0] == "Speech" and LLP_CLASSES[5] == "Frying_(food)"
    assert LLP_CLASSES[13] == "Violin_fiddle" and LLP_CLASSES[24] == "Clapping"
    assert LLP_CLASSES[21:23] == ("Telephone_bell_ringing", "Baby_cry_infant_cry")


def test_read_weak_keeps_order_and_odd_names():
    rows = read_llp_weak(FIX / "AVVP_train.csv")
    assert [r.filename for r in rows] == [
        "x-Ab_9Cd0eF_30_40", "AP0061o0Nvk_101.8_111.8", "-Q_rW9-zY0a_0_10"]
    assert rows[0].labels == ("Singing", "Speech")
    assert rows[1].labels == ("Dog",) and rows[1].line == 3


@pytest.mark.parametrize(("name", "expected"), [
    ("x-Ab_9Cd0eF_30_40", ("x-Ab_9Cd0eF", 30.0, 40.0)),
    ("AP0061o0Nvk_101.8_111.8", ("AP0061o0Nvk", 101.8, 111.8)),
    ("-Q_rW9-zY0a_0_10", ("-Q_rW9-zY0a", 0.0, 10.0)),
    ("_q1W-e2R_t3_0_10", ("_q1W-e2R_t3", 0.0, 10.0)),
])
def test_clip_names_split_on_the_first_11_characters(name, expected):
    assert parse_clip_name(name) == expected
    assert llp_video_id(name) == expected[0]


@pytest.mark.parametrize("bad", ["short_0_10", "x-Ab_9Cd0eF_30", "x-Ab_9Cd0eFz_30_40",
                                 "x-Ab_9Cd0eF_a_b"])
def test_bad_clip_names(bad):
    with pytest.raises(FormatError, match="clip name"):
        parse_clip_name(bad)


def test_read_events_keeps_quirky_rows():
    rows = read_llp_events(FIX / "AVVP_eval_audio.csv")
    assert len(rows) == 12
    assert rows[0] == DenseEvent("x-Ab_9Cd0eF_30_40", 0.0, 2.0, "Singing", 2)
    assert (rows[7].onset, rows[7].offset) == (9.0, 0.0)  # reversed row kept as written
    assert rows[10].filename == "Baby_cry_infant_cry"  # the pre-2024 filename bug
    assert rows[11].filename.endswith("`")


def test_masks_follow_the_official_slice_rule():
    clips = [r.filename for r in read_llp_weak(FIX / "AVVP_test_pd.csv")]
    m = events_to_masks(read_llp_events(FIX / "AVVP_eval_audio.csv"), clips)
    assert m.shape == (4, 25, 10)
    assert m[0, IDX["Singing"]].all()  # 0-2, 2-6, 6-10 merge into one 0-10 run
    assert m[0, IDX["Speech"]].tolist() == [False] * 5 + [True] + [False] * 4  # dup + 9-9
    assert m[1, IDX["Dog"], 2:5].all() and m[1, IDX["Dog"]].sum() == 3
    assert not m[1, IDX["Cheering"]].any()  # reversed 9-0 sets nothing
    assert m[2, IDX["Cat"]].sum() == 3  # the back-ticked duplicate name is an orphan
    assert not m[3].any()  # listed clip without rows
    assert m.sum() == 10 + 1 + 3 + 3


def test_masks_truncate_fractions_clip_past_grid_and_repeat_duplicates():
    ev = [DenseEvent("a", 1.9, 3.99, "Dog"), DenseEvent("a", 8, 25, "Cat"),
          DenseEvent("b", 12, 14, "Car")]
    m = events_to_masks(ev, ["a", "b", "a"])
    assert np.flatnonzero(m[0, IDX["Dog"]]).tolist() == [1, 2]  # int(1.9)=1, int(3.99)=3
    assert np.flatnonzero(m[0, IDX["Cat"]]).tolist() == [8, 9]
    assert not m[1].any()
    assert (m[2] == m[0]).all()


def _write(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(("text", "match"), [
    ("filename\tonset\toffset\tevent_labels\na_0_10\t0\t10\n", r"f\.csv:2: 3 tab-separated"),
    ("filename\tonset\toffset\tevent_labels\na_0_10\t0\t10\tDog\n\nb\tx\t3\tDog\n",
     r"f\.csv:4: onset 'x' is not a number"),
    ("filename\tonset\toffset\tevent_labels\na\t0\t10\tDog\na\t0\t10\tSpeeech\n",
     r"f\.csv:3: unknown class 'Speeech'"),
    ("filename\tonset\toffset\tevent_labels\na\t-1\t10\tDog\n", r"f\.csv:2: onset '-1'"),
    ("filename\tonset\toffset\tevent_labels\na\t0\tnan\tDog\n", r"f\.csv:2: offset 'nan'"),
    ("filename\tonset\toffset\tevent_labels\n\t0\t1\tDog\n", r"f\.csv:2: empty filename"),
    ("filename onset offset event_labels\na 0 1 Dog\n", r"f\.csv:1: header"),
    ("", r"f\.csv: empty file"),
])
def test_malformed_event_files_name_file_and_line(tmp_path, text, match):
    with pytest.raises(FormatError, match=match):
        read_llp_events(_write(tmp_path, text))


@pytest.mark.parametrize(("text", "match"), [
    ("filename\tevent_labels\na_0_10\tDog,Cow\n", r"f\.csv:2: unknown class 'Cow'"),
    ("filename\tevent_labels\na_0_10\tDog\tx\n", r"f\.csv:2: 3 tab-separated"),
    ("filename,event_labels\na_0_10,Dog\n", r"f\.csv:1: header"),
])
def test_malformed_weak_files(tmp_path, text, match):
    with pytest.raises(FormatError, match=match):
        read_llp_weak(_write(tmp_path, text))


def test_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(FormatError, match="nope.csv: no such file"):
        read_llp_weak(tmp_path / "nope.csv")


def test_crlf_bom_blank_lines_and_empty_labels(tmp_path):
    p = _write(tmp_path, "\ufefffilename\tevent_labels\r\n\r\na_0_10\t\r\nb_0_10\tDog, Cat\r\n")
    rows = read_llp_weak(p)
    assert [(r.filename, r.labels, r.line) for r in rows] == [
        ("a_0_10", (), 3), ("b_0_10", ("Dog", "Cat"), 4)]


def test_dense_to_events_is_maximal_runs_on_all_1024_sequences():
    seqs = np.array(list(itertools.product([False, True], repeat=10)))
    masks = np.zeros((len(seqs), 25, 10), dtype=bool)
    masks[:, 3] = seqs
    clips = [f"c{i}" for i in range(len(seqs))]
    events = dense_to_events(masks, clips)
    by_clip: dict[str, list[tuple[float, float]]] = {}
    for ev in events:
        assert ev.label == "Dog"
        by_clip.setdefault(ev.filename, []).append((ev.onset, ev.offset))
    for i, seq in enumerate(seqs.tolist()):
        expected, start = [], None
        for t, v in enumerate(seq + [False]):
            if v and start is None:
                start = t
            if not v and start is not None:
                expected.append((float(start), float(t)))
                start = None
        assert by_clip.get(f"c{i}", []) == expected
    assert (events_to_masks(events, clips) == masks).all()


def test_write_then_read_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    masks = rng.random((5, 25, 10)) < 0.2
    clips = ["x-Ab_9Cd0eF_30_40", "AP0061o0Nvk_101.8_111.8", "a", "b", "c"]
    out = tmp_path / "sub" / "pred.tsv"
    write_llp_events(out, dense_to_events(masks, clips))
    lines = out.read_text().splitlines()
    assert lines[0] == "filename\tonset\toffset\tevent_labels"
    assert all(len(line.split("\t")) == 4 for line in lines)
    assert "\t0\t" in out.read_text() or "\t1\t" in out.read_text()  # integer seconds
    back = events_to_masks(read_llp_events(out), clips)
    assert (back == masks).all()
    assert [p.name for p in out.parent.iterdir()] == ["pred.tsv"]  # no temp file left


def test_write_is_atomic_on_failure(tmp_path):
    out = tmp_path / "pred.tsv"

    def rows():
        yield DenseEvent("a", 0, 1, "Dog")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_llp_events(out, rows())
    assert list(tmp_path.iterdir()) == []


def _features(root: Path, vid: str, shapes=LLP_FEATURE_SHAPES) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    out = {}
    for stream, shape in shapes.items():
        (root / stream).mkdir(parents=True, exist_ok=True)
        out[stream] = rng.random(shape, dtype=np.float32)
        np.save(root / stream / f"{vid}.npy", out[stream])
    return out


def test_load_features_by_11_char_id(tmp_path):
    want = _features(tmp_path, "AP0061o0Nvk")
    _features(tmp_path, "-Q_rW9-zY0a")
    got = load_llp_features(tmp_path, "AP0061o0Nvk_101.8_111.8")
    assert list(got) == ["vggish", "res152", "r2plus1d_18"]
    for stream in got:
        np.testing.assert_array_equal(got[stream], want[stream])
    got = load_llp_features(tmp_path, "-Q_rW9-zY0a_0_10", streams=("vggish",), mmap=True)
    assert got["vggish"].shape == (10, 128) and isinstance(got["vggish"], np.memmap)


def test_load_features_errors(tmp_path):
    _features(tmp_path, "AP0061o0Nvk", {"vggish": (9, 128)})
    with pytest.raises(FormatError, match=r"vggish/AP0061o0Nvk\.npy: shape \(9, 128\), expected"):
        load_llp_features(tmp_path, "AP0061o0Nvk_0_10", streams=("vggish",))
    assert load_llp_features(tmp_path, "AP0061o0Nvk_0_10", ("vggish",), shapes=None)
    with pytest.raises(FormatError, match=r"res152/AP0061o0Nvk\.npy: no such feature file"):
        load_llp_features(tmp_path, "AP0061o0Nvk_0_10", streams=("res152",))
    (tmp_path / "vggish" / "Zz0Yy1Xx2Ww.npy").write_bytes(b"not numpy")
    with pytest.raises(FormatError, match="not a readable .npy"):
        load_llp_features(tmp_path, "Zz0Yy1Xx2Ww_1_11", streams=("vggish",))
    with pytest.raises(FormatError, match="shorter than an 11-character"):
        load_llp_features(tmp_path, "abc")
