"""Readers: Kaldi text / aligned lines / utt2category, caption TSV, DSTC7-AVSD and COCO JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avtool.errors import FormatError
from avtool.formats.avsd import read_avsd_dialogs, read_coco_captions, read_coco_results
from avtool.formats.captions import load_captions, read_caption_tsv
from avtool.formats.kaldi_text import (
    detect_transcript_format,
    read_kaldi_text,
    read_transcripts,
    read_utt2category,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "metrics"


def _w(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ transcripts
def test_kaldi_text(tmp_path):
    p = _w(tmp_path / "text", "u1 hello  world\r\n\nu2\nu3 a b\n")
    assert read_kaldi_text(p) == {"u1": "hello  world", "u2": "", "u3": "a b"}


def test_kaldi_duplicate_id(tmp_path):
    p = _w(tmp_path / "text", "u1 a\nu2 b\nu1 c\n")
    with pytest.raises(FormatError, match=r"text:3: utterance id 'u1' repeats line 1"):
        read_kaldi_text(p)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(FormatError, match="file not found"):
        read_kaldi_text(tmp_path / "nope")
    bad = tmp_path / "bad"
    bad.write_bytes(b"u1 \xff\xfe\n")
    with pytest.raises(FormatError, match="not UTF-8"):
        read_kaldi_text(bad)


def test_detection_and_plain_lines(tmp_path):
    ref_k = _w(tmp_path / "ref_k", "spk1-001 the cat\nspk1-002 a dog\n")
    hyp_k = _w(tmp_path / "hyp_k", "spk1-002 a dog\nspk1-001 the hat\n")
    assert detect_transcript_format(hyp_k, ref_k) == "kaldi"
    ref_p = _w(tmp_path / "ref_p", "the cat sat\n\nthe dog\n")
    hyp_p = _w(tmp_path / "hyp_p", "the cat sat\nsomething\nthe dog\n")
    assert detect_transcript_format(hyp_p, ref_p) == "plain"
    hyps, refs, fmt = read_transcripts(hyp_p, ref_p)
    assert fmt == "plain"
    assert refs == {"1": "the cat sat", "2": "", "3": "the dog"}
    assert hyps["2"] == "something"


def test_plain_line_count_mismatch(tmp_path):
    ref = _w(tmp_path / "ref", "a\nb\n")
    hyp = _w(tmp_path / "hyp", "a\n")
    with pytest.raises(FormatError, match="1 lines but .* has 2"):
        read_transcripts(hyp, ref, "plain")


def test_kaldi_files_sharing_no_id(tmp_path):
    ref = _w(tmp_path / "ref", "u1 a\n")
    hyp = _w(tmp_path / "hyp", "x1 a\n")
    with pytest.raises(FormatError, match="--format plain"):
        read_transcripts(hyp, ref, "kaldi")


def test_utt2category(tmp_path):
    p = _w(tmp_path / "utt2cat", "u1 clean\nu2 env noise\n")
    assert read_utt2category(p) == {"u1": "clean", "u2": "env noise"}
    with pytest.raises(FormatError, match=":2: expected 'utt_id category'"):
        read_utt2category(_w(tmp_path / "bad", "u1 clean\nu2\n"))


# --------------------------------------------------------------------------------- captions
def test_caption_tsv(tmp_path):
    p = _w(tmp_path / "ref.tsv", "id\ttext\nv1\ta cup\nv1\tthe cup\n\nv2\t\n")
    assert read_caption_tsv(p) == {"v1": ["a cup", "the cup"], "v2": [""]}


@pytest.mark.parametrize(("text", "match"), [
    ("v1\ta cup\n", r":1: expected the header"),
    ("id\ttext\nv1 a cup\n", r":2: expected 'id<TAB>text' \(2 tab-separated fields\), got 1"),
    ("id\ttext\nv1\ta\tb\n", r":2: .* got 3"),
    ("id\ttext\n\t a\n", r":2: empty id"),
    ("id\ttext\n", "no 'id<TAB>text' row"),
])
def test_caption_tsv_errors(tmp_path, text, match):
    with pytest.raises(FormatError, match=match):
        read_caption_tsv(_w(tmp_path / "x.tsv", text))


def test_avsd_dialogs_fixture():
    refs = read_avsd_dialogs(FIXTURES / "avsd_result.json")
    assert list(refs) == ["QX1A2_0", "QX1A2_1", "QZ9B3_0", "QZ9B3_1", "QZ9B3_2"]
    last = read_avsd_dialogs(FIXTURES / "avsd_result.json", last_only=True)
    assert last == {"QX1A2_1": ["he holds a cup of coffee ."],
                    "QZ9B3_2": ["he walks to the right"]}


def test_avsd_undisclosed_and_errors(tmp_path):
    data = {"dialogs": [{"image_id": "V1", "dialog": [
        {"question": "q", "answer": "a"}, {"question": "q2", "answer": "__UNDISCLOSED__"}]}]}
    p = _w(tmp_path / "test.json", json.dumps(data))
    assert read_avsd_dialogs(p) == {"V1_0": ["a"]}
    data["dialogs"].append(data["dialogs"][0])
    with pytest.raises(FormatError, match=r"dialogs\[1\]: video 'V1' has a second dialog"):
        read_avsd_dialogs(_w(tmp_path / "dup.json", json.dumps(data)))
    with pytest.raises(FormatError, match=r"dialogs\[0\] \(V\) turn 0 has no 'answer'"):
        read_avsd_dialogs(_w(tmp_path / "noans.json", json.dumps(
            {"dialogs": [{"image_id": "V", "dialog": [{"question": "q"}]}]})))
    with pytest.raises(FormatError, match=r"bad.json:1: invalid JSON"):
        read_avsd_dialogs(_w(tmp_path / "bad.json", "{not json"))


def test_coco_multiref_fixture():
    refs, id_to_key = read_coco_captions(FIXTURES / "avsd_multiref.json")
    assert list(refs) == ["QX1A2_1", "QZ9B3_2"]
    assert len(refs["QX1A2_1"]) == 3 and id_to_key == {"1": "QX1A2_1", "2": "QZ9B3_2"}


def test_coco_errors(tmp_path):
    bad = {"images": [{"id": 1, "name": "a"}], "annotations": [{"image_id": 2, "caption": "x"}]}
    with pytest.raises(FormatError, match="image_id 2 is not in 'images'"):
        read_coco_captions(_w(tmp_path / "c.json", json.dumps(bad)))
    with pytest.raises(FormatError, match=r"\[1\]: image_id 1 has a second caption"):
        read_coco_results(_w(tmp_path / "r.json", json.dumps(
            [{"image_id": 1, "caption": "a"}, {"image_id": 1, "caption": "b"}])))


def test_load_captions_dialogs_vs_multiref():
    hyps, refs, fmts = load_captions(FIXTURES / "avsd_result.json",
                                     FIXTURES / "avsd_multiref.json")
    assert fmts == {"hyp": "avsd-dialogs", "ref": "coco"}
    assert set(refs) <= set(hyps) and len(hyps) == 5          # history turns are extra
    hyps_last, _, _ = load_captions(FIXTURES / "avsd_result.json",
                                    FIXTURES / "avsd_multiref.json", last_only=True)
    assert set(hyps_last) == set(refs)


def test_load_captions_coco_results_renamed_by_reference(tmp_path):
    res = _w(tmp_path / "hyp.json", json.dumps([{"image_id": 2, "caption": "to the left"},
                                                 {"image_id": 1, "caption": "a cup"}]))
    hyps, refs, fmts = load_captions(res, FIXTURES / "avsd_multiref.json")
    assert fmts["hyp"] == "coco-results"
    assert hyps == {"QZ9B3_2": "to the left", "QX1A2_1": "a cup"}


def test_load_captions_rejects_repeated_hypothesis_and_swapped_roles(tmp_path):
    hyp = _w(tmp_path / "hyp.tsv", "id\ttext\nv1\ta\nv1\tb\n")
    ref = _w(tmp_path / "ref.tsv", "id\ttext\nv1\ta\n")
    with pytest.raises(FormatError, match="'v1' appears 2 times"):
        load_captions(hyp, ref)
    with pytest.raises(FormatError, match="are references"):
        load_captions(FIXTURES / "avsd_multiref.json", ref)
    with pytest.raises(FormatError, match="holds hypotheses"):
        load_captions(ref, _w(tmp_path / "r.json", '[{"image_id": 1, "caption": "x"}]'))
