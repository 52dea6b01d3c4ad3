"""llp_audio / llp_frame / llp_motion: LLP shapes, padding/trimming, informativeness, ONNX."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from avtool.errors import ModelError
from avtool.features import MediaSource, build_extractor, extractor_from_info

W = H = 112


def frames_of(n, draw=None, size=(W, H), seed=0):
    """(t, frame) pairs at 8 fps on a grey noisy background; draw(k, img) adds objects."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        img = np.full((size[1], size[0], 3), 110, np.uint8)
        img = np.clip(img + rng.integers(-4, 5, img.shape), 0, 255).astype(np.uint8)
        if draw is not None:
            draw(k, img)
        out.append((k / 8, img))
    return out


def square(colour, x_of_k, y=40, side=24):
    def draw(k, img):
        x = int(x_of_k(k))
        img[y:y + side, x:x + side] = colour
    return draw


def test_frame_shapes_pad_and_trim():
    ex = build_extractor("llp_frame")
    assert (ex.frame_rate, ex.frame_shape) == (8.0, (512,))
    full = ex.compute(iter(frames_of(80)))
    assert full.shape == (80, 512) and full.dtype == np.float32
    longer = ex.compute(iter(frames_of(86)))
    np.testing.assert_array_equal(longer, full)  # trimmed to the first 80 frames
    short = ex.compute(iter(frames_of(75)))
    assert short.shape == (80, 512)
    np.testing.assert_array_equal(short[:75], full[:75])
    np.testing.assert_array_equal(short[75:], np.repeat(short[74:75], 5, axis=0))


def test_frame_features_see_colour_and_place():
    ex = build_extractor("llp_frame")
    base = ex.compute(iter(frames_of(8)))
    red = ex.compute(iter(frames_of(8, square((220, 30, 30), lambda k: 10))))
    red_right = ex.compute(iter(frames_of(8, square((220, 30, 30), lambda k: 80))))
    blue = ex.compute(iter(frames_of(8, square((30, 30, 220), lambda k: 10))))
    colour = slice(0, 256)
    assert np.abs(red[0, colour] - base[0, colour]).sum() > 0.2
    assert np.abs(red[0, colour] - blue[0, colour]).sum() > 0.2
    np.testing.assert_allclose(red[0, colour], red_right[0, colour], atol=0.02)  # same colours
    assert np.abs(red[0, 256:] - red_right[0, 256:]).sum() > 0.5  # but another layout


def test_motion_shapes_and_direction():
    ex = build_extractor("llp_motion")
    assert (ex.frame_rate, ex.frame_shape) == (1.0, (256,))
    still = ex.compute(iter(frames_of(80, size=(96, 96))))
    assert still.shape == (10, 256)
    # a square moving right during seconds 2-4 only, static elsewhere
    def x(k):
        return 10 + 6 * min(max(k - 16, 0), 24)
    moving = ex.compute(iter(frames_of(80, square((40, 200, 40), x, side=20), size=(200, 96))))
    energy = moving.sum(axis=1) - still.sum(axis=1)
    assert energy[2:5].min() > 5 * max(energy[6:].max(), 1e-3)
    glob = moving[3, 192:].reshape(8, 8).sum(axis=1)  # orientation bins, angle 0 = +x
    assert glob.argmax() in (0, 7)
    short = ex.compute(iter(frames_of(50, size=(96, 96))))
    assert short.shape == (10, 256) and np.allclose(short[7:], 0)


def test_audio_shapes_grid_and_band(make_wav):
    ex = build_extractor("llp_audio")
    assert (ex.frame_rate, ex.frame_shape) == (1.0, (128,))
    sr = 16000
    rng = np.random.default_rng(0)
    wav = 0.01 * rng.normal(size=10 * sr).astype(np.float32)
    t = np.arange(3 * sr) / sr
    wav[3 * sr:6 * sr] += 0.3 * np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    out = ex.compute(wav)
    assert out.shape == (10, 128)
    band = np.argmax(out[4, :64] - out[0, :64])  # the tone's mel band
    assert out[3:6, band].min() > out[[0, 1, 2, 6, 7, 8, 9], band].max() + 2
    np.testing.assert_array_equal(ex.compute(np.concatenate([wav, wav[:6000]])), out)
    short = ex.compute(wav[: int(9.5 * sr)])
    np.testing.assert_array_equal(short[:9], out[:9])
    assert short[9, :64].mean() < out[9, :64].mean()  # half a second of zeros
    from_file = ex(MediaSource(make_wav(seconds=10.0, freq=1000.0)))
    assert from_file.shape == (10, 128)


# --------------------------------------------------------------------------- ONNX plug-in


def _onnx_mean_linear(path, in_shape, reduce_axes, weight):
    """A tiny ONNX model: mean over `reduce_axes`, flatten, times `weight`."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], axes=list(reduce_axes), keepdims=0),
        helper.make_node("Flatten", ["m"], ["f"], axis=1),
        helper.make_node("MatMul", ["f", "w"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", *in_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", weight.shape[1]])],
        [numpy_helper.from_array(weight.astype(np.float32), "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_onnx_frame_model(tmp_path):
    w = np.arange(15, dtype=np.float32).reshape(3, 5) / 10
    model = _onnx_mean_linear(tmp_path / "frame.onnx", (3, 32, 32), (2, 3), w)
    ex = build_extractor(f"llp_frame:model={model},model_size=32x32")
    assert ex.frame_shape == (5,)
    info = ex.info()
    assert info.model_checksum == hashlib.sha256(model.read_bytes()).hexdigest()
    frames = frames_of(83, square((200, 40, 40), lambda k: 2, side=8), size=(32, 32))
    out = ex.compute(iter(frames))
    assert out.shape == (80, 5)
    img = frames[0][1].astype(np.float32) / 255.0
    mean = (img.reshape(-1, 3).mean(0) - np.array([0.485, 0.456, 0.406])) / np.array(
        [0.229, 0.224, 0.225])
    np.testing.assert_allclose(out[0], mean @ w, rtol=1e-4, atol=1e-4)
    assert extractor_from_info(info).config == ex.config


def test_onnx_motion_and_audio_models(tmp_path):
    clip = _onnx_mean_linear(tmp_path / "clip.onnx", (3, 8, 16, 16), (2, 3, 4),
                             np.eye(3, 4, dtype=np.float32))
    ex = build_extractor(f"llp_motion:model={clip},model_size=16x16")
    assert ex.frame_shape == (4,) and ex.frame_rate == 1.0
    out = ex.compute(iter(frames_of(80, size=(16, 16))))
    assert out.shape == (10, 4) and np.allclose(out[:, 3], 0)
    audio = _onnx_mean_linear(tmp_path / "audio.onnx", (1, 96, 64), (1, 2),
                              np.ones((64, 7), np.float32))
    ax = build_extractor(f"llp_audio:model={audio}")
    assert ax.frame_shape == (7,)
    assert ax.compute(np.zeros(160000, np.float32)).shape == (10, 7)


def test_torch_exported_model(tmp_path):
    torch = pytest.importorskip("torch")
    import warnings

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=2), torch.nn.ReLU(),
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    path = tmp_path / "net.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, torch.zeros(1, 3, 32, 32), str(path), dynamo=False,
                          input_names=["x"], dynamic_axes={"x": {0: "n"}})
    ex = build_extractor(f"llp_frame:model={path},model_size=32x32")
    out = ex.compute(iter(frames_of(80, size=(32, 32))))
    assert out.shape == (80, 4)
    x = torch.from_numpy(((frames_of(1, size=(32, 32))[0][1] / 255.0 - ex.config.mean)
                          / ex.config.std).astype(np.float32)).permute(2, 0, 1)[None]
    np.testing.assert_allclose(out[0], net(x).detach().numpy()[0], rtol=1e-4, atol=1e-5)


def test_motion_needs_whole_frames_per_second():
    from avtool.errors import ConfigError

    with pytest.raises(ConfigError, match="whole number"):
        build_extractor("llp_motion:fps=7.5")


def test_onnx_model_errors(tmp_path):
    with pytest.raises(ModelError, match="model file .*missing.onnx not found"):
        build_extractor(f"llp_frame:model={tmp_path / 'missing.onnx'}").info()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="bad.onnx: not a loadable ONNX model"):
        build_extractor(f"llp_motion:model={bad}").info()
    w = np.ones((3, 2), np.float32)
    small = _onnx_mean_linear(tmp_path / "small.onnx", (3, 8, 8), (2, 3), w)
    ex = build_extractor(f"llp_motion:model={small}")  # an image model given clips
    with pytest.raises(ModelError, match="small.onnx"):
        ex.info()
