"""Retrieval id lists, caption -> video ground truth, and similarity-matrix opening."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from avtool.errors import FormatError
from avtool.formats.retrieval_lists import match_retrieval_gt, read_id_list, read_retrieval_gt
from avtool.formats.similarity import NpyMatrix, open_similarity, parse_sim_spec


def _write(path, text):
    path.write_text(text)
    return path


def test_id_list_allows_trailing_blank_lines_only(tmp_path):
    assert read_id_list(_write(tmp_path / "q.txt", "a\nb \n\n\n")) == ["a", "b"]
    with pytest.raises(FormatError, match=r"q\.txt:2: blank line"):
        read_id_list(_write(tmp_path / "q.txt", "a\n\nb\n"))
    with pytest.raises(FormatError, match=r"q\.txt:3: id 'a' repeats line 1"):
        read_id_list(_write(tmp_path / "q.txt", "a\nb\na\n"))
    with pytest.raises(FormatError, match="no id"):
        read_id_list(_write(tmp_path / "q.txt", "\n"))
    with pytest.raises(FormatError, match="no such file"):
        read_id_list(tmp_path / "missing.txt")


def test_gt_header_and_errors(tmp_path):
    pairs = read_retrieval_gt(_write(tmp_path / "gt.tsv",
                                     "caption_id\tvideo_id\nc0\tv0\n\nc1\tv0\n"))
    assert [(p.caption_id, p.video_id, p.line) for p in pairs] == [("c0", "v0", 2),
                                                                  ("c1", "v0", 4)]
    with pytest.raises(FormatError, match=r"gt\.tsv:2: expected 'caption_id<TAB>video_id'"):
        read_retrieval_gt(_write(tmp_path / "gt.tsv", "c0\tv0\nc1 v0\n"))


def test_match_maps_rows_to_columns_and_names_every_mismatch():
    q, v = ["c0", "c1", "c2"], ["v0", "v1"]
    ok = read_pairs([("c0", "v1"), ("c1", "v0"), ("c2", "v1")])
    assert match_retrieval_gt(q, v, ok).query_video.tolist() == [1, 0, 1]
    cases = [
        ([("c0", "v0"), ("cX", "v0")], r"gt:2: caption id 'cX' is not in q"),
        ([("c0", "vX")], r"gt:1: video id 'vX' is not in v"),
        ([("c0", "v0"), ("c0", "v1")], r"gt:2: caption id 'c0' already has a video on line 1"),
        ([("c0", "v0"), ("c2", "v1")], r"q:2: query id 'c1' has no video in gt"),
    ]
    for pairs, msg in cases:
        with pytest.raises(FormatError, match=msg):
            match_retrieval_gt(q, v, read_pairs(pairs), query_path="q", video_path="v",
                               gt_path="gt")


def read_pairs(pairs):
    from avtool.formats.retrieval_lists import GtPair

    return [GtPair(c, v, i + 1) for i, (c, v) in enumerate(pairs)]


def test_parse_sim_spec(tmp_path):
    assert parse_sim_spec("a.npy") == (tmp_path.__class__("a.npy"), None)
    path, ds = parse_sim_spec("dir/s.h5:test/t2v")
    assert str(path) == "dir/s.h5" and ds == "test/t2v"


def test_open_npy_memmaps_and_h5_datasets(tmp_path):
    sim = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "s.npy", sim)
    with open_similarity(str(tmp_path / "s.npy")) as m:
        assert isinstance(m, NpyMatrix) and m.shape == (3, 4) and m.dtype == np.float32
        np.testing.assert_array_equal(m[1:3], sim[1:3])
        np.testing.assert_array_equal(m[2:9], sim[2:])
        assert m[3:3].shape == (0, 4)
        np.testing.assert_array_equal(m.points(np.array([2, 0, 1]), np.array([3, 1, 0])),
                                      [11, 1, 4])
    with h5py.File(tmp_path / "s.h5", "w") as fh:
        fh["grp/sims"] = sim
        fh["other"] = sim[0]
    with open_similarity(f"{tmp_path / 's.h5'}:grp/sims") as m:
        np.testing.assert_array_equal(m[0:2], sim[0:2])
    with open_similarity(str(tmp_path / "s.h5")) as m:  # the only 2-D dataset
        assert m.shape == (3, 4)
    with pytest.raises(FormatError, match="no dataset 'nope'; 2-D datasets: grp/sims"):
        with open_similarity(f"{tmp_path / 's.h5'}:nope"):
            pass


def test_fortran_order_npy_reads_the_same_rows(tmp_path):
    sim = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4))
    np.save(tmp_path / "f.npy", sim)
    with open_similarity(str(tmp_path / "f.npy")) as m:
        np.testing.assert_array_equal(m[0:2], sim[0:2])
        np.testing.assert_array_equal(m.points(np.array([1]), np.array([2])), [6.0])


def test_open_similarity_errors(tmp_path):
    np.save(tmp_path / "v.npy", np.zeros(3))
    with pytest.raises(FormatError, match="2-D"):
        with open_similarity(str(tmp_path / "v.npy")):
            pass
    (tmp_path / "bad.npy").write_bytes(b"not an array")
    with pytest.raises(FormatError, match="not a readable .npy"):
        with open_similarity(str(tmp_path / "bad.npy")):
            pass
    with pytest.raises(FormatError, match="not found"):
        with open_similarity(str(tmp_path / "none.npy")):
            pass
