"""Collaborative Experts' per-expert feature files: the released layout, restricted
unpickling (hostile pickles refused), truncated files, CE's NaN for a missing expert."""

from __future__ import annotations

import codecs
import collections
import os
import pickle

import numpy as np
import pytest

from avtool.errors import FormatError
from avtool.formats.ce_features import (
    CE_EXPERT_FILES,
    ce_expert_of,
    ce_visual_path,
    find_ce_experts,
    load_ce_pickle,
    read_ce_expert,
    read_split_list,
    split_of_list,
    store_name,
    write_ce_expert,
)
from avtool.testing.ce_release import EXPERTS, write_ce_release


def _dump(path, obj, protocol=4):
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    return path


def test_release_layout_reads_back(tmp_path):
    root = write_ce_release(tmp_path / "rel", videos=6)
    found = find_ce_experts(root)
    assert set(found) == set(EXPERTS)
    face = read_ce_expert(found["face"])
    assert face.dim == 3 and face.aggregated
    assert face.missing == {"video1"} and len(face.rows) == 5
    assert face.rows["video0"].shape == (1, 3) and face.rows["video0"].dtype == np.float32
    audio = read_ce_expert(found["audio"])
    assert not audio.aggregated and audio.rows["video1"].shape == (4, 4)
    assert audio.order == [f"video{i}" for i in range(6)]
    speech = read_ce_expert(found["speech"])
    assert "video2" in speech.missing and "video2" not in speech.rows  # np.nan marks it too


def test_released_file_names():
    # the paths of CE's MSR-VTT tar (misc/datasets/msrvtt/tar_include.txt)
    assert CE_EXPERT_FILES["i3d.i3d.0"] == (
        "aggregated_i3d_25fps_256px_stride25_offset0_inner_stride1/i3d-avg.pickle",)
    assert CE_EXPERT_FILES["imagenet.senet154.0"] == (
        "aggregated_imagenet_25fps_256px_stride1_offset0/senet154-avg.pickle",)
    assert CE_EXPERT_FILES["r2p1d.r2p1d-ig65m.0"][0] == (
        "aggregated_r2p1d_30fps_256px_stride32_offset0_inner_stride1/r2p1d-ig65m-avg.pickle")
    assert CE_EXPERT_FILES["audio"][0] == "aggregated_audio_feats/Audio_MSRVTT_new.pickle"
    assert ce_visual_path("scene", "densenet161", fps=25, pixel_dim=256, stride=1,
                          offset=None) == "aggregated_scene_25fps_256px_stride1/densenet161-avg.pickle"
    assert ce_expert_of("x/aggregated_speech/speech-w2v.pickle") == "speech"
    assert ce_expert_of("x/aggregated_ocr_feats/ocr-w2v.pkl") == "ocr"
    assert ce_expert_of("elsewhere/my-feats.pkl") == "my-feats"
    assert store_name("imagenet.senet154.0") == "imagenet_senet154_0"
    assert store_name("r2p1d.r2p1d-ig65m.0") == "r2p1d_r2p1d-ig65m_0"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_pickle_protocol(tmp_path, protocol):
    """Protocols 0-2 rebuild bytes with _codecs.encode(..., 'latin1'); 5 uses _frombuffer."""
    data = collections.OrderedDict(
        a=np.arange(6, dtype=np.float64).reshape(2, 3), b=np.float64("nan"),
        c=np.asfortranarray(np.ones((2, 3), np.float16)))
    expert = read_ce_expert(_dump(tmp_path / "x.pickle", data, protocol))
    np.testing.assert_array_equal(expert.rows["a"], data["a"])
    assert expert.missing == {"b"} and expert.rows["c"].shape == (2, 3)


def _py2_pickle(values) -> bytes:
    """A dict {'v0': float32 array} as Python 2's pickle (protocol 2) writes it: numpy.core
    names and the buffer as an 8-bit str (MoEE's features in CE's release are such files)."""
    def short_str(b):
        return b"U" + bytes([len(b)]) + b

    raw = np.asarray(values, "<f4").tobytes()
    return (b"\x80\x02}" + short_str(b"v0") + b"cnumpy.core.multiarray\n_reconstruct\n"
            + b"cnumpy\nndarray\nK\x00\x85" + short_str(b"b") + b"\x87R(K\x01K"
            + bytes([len(values)]) + b"\x85cnumpy\ndtype\n" + short_str(b"f4")
            + b"K\x00K\x01\x87R(K\x03" + short_str(b"<")
            + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89" + short_str(raw)
            + b"tbs.")


def test_python2_pickle(tmp_path):
    path = tmp_path / "resnet_features.pickle"
    path.write_bytes(_py2_pickle([1.5, -2.0, 3.0]))
    expert = read_ce_expert(path)
    np.testing.assert_array_equal(expert.rows["v0"], [[1.5, -2.0, 3.0]])


def test_npy_dict_variant(tmp_path):
    """MMT's np_loader: a dict saved with np.save (a 0-d object array)."""
    path = tmp_path / "speech-w2v.npy"
    np.save(path, {"v0": np.ones((2, 4), np.float32), "v1": np.nan}, allow_pickle=True)
    expert = read_ce_expert(path)
    assert expert.dim == 4 and expert.missing == {"v1"}
    np.save(tmp_path / "plain.npy", np.ones((3, 4)))
    with pytest.raises(FormatError, match="plain.npy: holds one float64 array"):
        load_ce_pickle(tmp_path / "plain.npy")


class _System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _Eval:
    def __reduce__(self):
        return eval, ("__import__('os').getcwd()",)


class _Codec:
    def __reduce__(self):
        return codecs.encode, ("abc", "rot13")


@pytest.mark.parametrize("make", ["system", "eval", "codec", "in_array", "in_npy"])
def test_hostile_pickle_is_refused_naming_the_file(tmp_path, make):
    marker = tmp_path / "pwned"
    evil = {"system": _System(marker), "eval": _Eval(), "codec": _Codec(),
            "in_array": np.array([_System(marker)], dtype=object)}.get(make)
    if make == "in_npy":
        path = tmp_path / "feats.npy"
        np.save(path, {"video0": _System(marker)}, allow_pickle=True)
    else:
        path = _dump(tmp_path / "feats.pickle", {"video0": evil}, protocol=2)
    with pytest.raises(FormatError) as err:
        read_ce_expert(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "refused to unpickle" in message
    assert "\n" not in message
    assert not marker.exists()


def test_sanity_the_hostile_pickle_would_run(tmp_path):
    """The refused file really runs a command under plain pickle.load (so the test above
    can fail)."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(_System(marker)))
    assert marker.exists()


@pytest.mark.parametrize("cut", [1, 40, 300])
def test_truncated_file(tmp_path, cut):
    path = write_ce_expert(tmp_path / "x.pickle", {f"v{i}": np.ones((3, 16)) for i in range(4)})
    data = path.read_bytes()
    path.write_bytes(data[:len(data) - cut])
    with pytest.raises(FormatError, match=r"x\.pickle: (truncated|not a readable)"):
        read_ce_expert(path)


@pytest.mark.parametrize(("content", "match"), [
    (b"", "empty file"),
    (b"video_id,features\nv0,1\n", "not a readable pickle"),
    (pickle.dumps([np.ones(3)]), "holds a list"),
    (pickle.dumps({3: np.ones(3)}), "key 3 is not a video id"),
    (pickle.dumps({"v0": [np.ones((5, 3))]}), "per-caption text features"),
    (pickle.dumps({"v0": np.nan, "v1": np.nan}), "no video has features"),
    (pickle.dumps({}), "an empty dict"),
])
def test_malformed_files(tmp_path, content, match):
    path = tmp_path / "f.pickle"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=match) as err:
        read_ce_expert(path)
    assert str(path) in str(err.value)


def test_missing_and_nan_rows(tmp_path):
    nan_row = np.full(4, np.nan)
    data = {
        "pooled": np.ones(4),
        "rows_with_a_nan_row": np.stack([np.ones(4), nan_row, 2 * np.ones(4)]),
        "all_nan_rows": np.stack([nan_row, nan_row]),
        "empty": np.zeros((0, 4)),
        "nan_float": float("nan"),
        "nan_scalar_array": np.array(np.nan),
        "partly_nan_row": np.array([[1.0, np.nan, 1.0, 1.0]]),
        "inf": np.array([np.inf, 0, 0, 0]),
        "beyond_float32": np.full(4, 1e300),
        "other_dim": np.ones(5),
        "three_d": np.ones((2, 2, 4)),
        "strings": np.array(["a", "b", "c", "d"]),
        "none": None,
    }
    e = read_ce_expert(write_ce_expert(tmp_path / "x.pickle", data))
    assert e.dim == 4
    assert set(e.rows) == {"pooled", "rows_with_a_nan_row"}
    np.testing.assert_array_equal(e.rows["rows_with_a_nan_row"], [[1] * 4, [2] * 4])
    assert e.missing == {"all_nan_rows", "empty", "nan_float", "nan_scalar_array"}
    assert set(e.bad) == {"partly_nan_row", "inf", "beyond_float32", "other_dim", "three_d",
                          "strings", "none"}
    assert "row 0 is partly NaN" in e.bad["partly_nan_row"]
    assert "5-d features; the file's others have 4" in e.bad["other_dim"]
    assert all(r.startswith(str(tmp_path / "x.pickle")) for r in e.bad.values())


def test_find_experts_by_name(tmp_path):
    root = write_ce_release(tmp_path / "rel")
    assert list(find_ce_experts(root, ["audio"])) == ["audio"]
    with pytest.raises(FormatError, match="unknown CE expert.*nope"):
        find_ce_experts(root, ["nope"])
    with pytest.raises(FormatError, match="no file for CE expert.*ocr"):
        find_ce_experts(root, ["ocr"])
    with pytest.raises(FormatError, match="no CE expert file"):
        find_ce_experts(tmp_path)


def test_split_lists(tmp_path):
    assert split_of_list("train_list_jsfusion.txt") == "train"
    assert split_of_list("val_list_full.txt") == "val"
    assert split_of_list("MSRVTT_JSFUSION_test.csv") == "test"
    assert split_of_list("MSRVTT_train.9k.csv") == "train"
    assert split_of_list("videos.txt") == ""
    (tmp_path / "train_list_full.txt").write_text("video0\nvideo1\n")
    assert read_split_list(tmp_path / "train_list_full.txt") == ["video0", "video1"]
    (tmp_path / "MSRVTT_train.9k.csv").write_text("video_id\nvideo3\n")
    assert read_split_list(tmp_path / "MSRVTT_train.9k.csv") == ["video3"]
    (tmp_path / "MSRVTT_JSFUSION_test.csv").write_text(
        "key,vid_key,video_id,sentence\nret0,msr7,video7,a man sings\n")
    assert read_split_list(tmp_path / "MSRVTT_JSFUSION_test.csv") == ["video7"]
