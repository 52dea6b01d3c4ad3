"""extract-features with the LLP extractors on real mp4 files: lengths, ONNX plug-in, errors."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.media.video import write_video
from avtool.store import open_store

runner = CliRunner()


def _clip(path, seconds, fps=8, size=(64, 48), sr=16000):
    rng = np.random.default_rng(0)
    n = int(round(seconds * fps))
    frames = []
    for k in range(n):
        img = np.full((size[1], size[0], 3), 90, np.uint8)
        img[10:30, 5 + k % 30:25 + k % 30] = (230, 40, 40)
        frames.append(img)
    audio = 0.1 * rng.normal(size=int(seconds * sr)).astype(np.float32)
    return write_video(path, frames, fps, audio=audio, sample_rate=sr)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    _clip(root / "short.mp4", 9.5)
    _clip(root / "long.mp4", 10.6)
    return root


def test_llp_shapes_for_shorter_and_longer_clips(clips, tmp_path):
    out = tmp_path / "s.h5"
    result = runner.invoke(app, ["extract-features", str(clips), "--out", str(out), "--feature",
                                 "llp_audio", "--feature", "llp_frame", "--feature",
                                 "llp_motion", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["extracted"] == 2
    with open_store(out) as store:
        assert sorted(store.ids) == ["long", "short"]
        for item in ("long", "short"):
            assert store.read(item, "llp_audio").shape == (10, 128)
            assert store.read(item, "llp_frame").shape == (80, 512)
            assert store.read(item, "llp_motion").shape == (10, 256)
        frame = store.read("short", "llp_frame")
        np.testing.assert_array_equal(frame[76:], np.repeat(frame[75:76], 4, axis=0))
        assert np.allclose(store.read("short", "llp_motion")[9], 0)  # repeated frames: still


def _tiny_onnx(path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["x"], ["m"], axes=[2, 3], keepdims=0),
         helper.make_node("MatMul", ["m", "w"], ["y"])],
        "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])],
        [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_onnx_frame_model_through_the_cli(clips, tmp_path):
    model = _tiny_onnx(tmp_path / "tiny.onnx")
    out = tmp_path / "s.h5"
    result = runner.invoke(app, ["extract-features", str(clips / "short.mp4"), "--out", str(out),
                                 "--feature", f"llp_frame:model={model},model_size=32x32"])
    assert result.exit_code == 0, result.output
    with open_store(out) as store:
        info = store.features["llp_frame"]
        assert info.frame_shape == (2,) and info.frame_rate == 8.0
        assert info.model_checksum == hashlib.sha256(model.read_bytes()).hexdigest()
        assert info.config["model"] == str(model)
        assert store.read("short", "llp_frame").shape == (80, 2)


def test_missing_onnx_model_is_a_clear_error(clips, tmp_path):
    result = runner.invoke(app, ["extract-features", str(clips / "short.mp4"), "--out",
                                 str(tmp_path / "s.h5"), "--feature",
                                 f"llp_motion:model={tmp_path / 'nope.onnx'}"])
    assert result.exit_code == 2
    assert "llp_motion: model file" in result.stderr and "nope.onnx not found" in result.stderr
    assert not (tmp_path / "s.h5").exists()
    bad = runner.invoke(app, ["extract-features", str(clips / "short.mp4"), "--out",
                              str(tmp_path / "s.h5"), "--feature", "llp_audio:segmnts=5"])
    assert bad.exit_code == 2 and "unknown option 'segmnts'" in bad.stderr
