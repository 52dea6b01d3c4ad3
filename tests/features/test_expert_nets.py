"""audio_net / appearance_net / motion_net: the shipped networks load, recognise what the
synthetic retrieval videos show, and extract through the CLI; missing weights are refused."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from avtool.errors import ModelError
from avtool.features import MediaSource, build_extractor, expert_nets
from avtool.tasks.retrieval import expert_data, expert_training


@pytest.mark.parametrize("kind", expert_nets.KINDS)
def test_shipped_weights_are_package_data_and_load(kind):
    shipped = resources.files("avtool") / "features" / "weights" / f"{kind}_net.pt"
    assert shipped.is_file()
    net, classes = expert_nets.load_net(expert_nets.weights_path(kind), kind)
    assert classes == getattr(expert_data, f"{kind}_classes")()
    assert not net.training


@pytest.fixture(scope="module")
def corpus_media():
    """Frames and audio of six rendered `synth retrieval` videos (a seed no network saw)."""
    from avtool.synth.retrieval import SynthRetrievalConfig, plan_videos
    from avtool.synth.retrieval_render import render_audio, render_frames

    cfg = SynthRetrievalConfig(videos=12, seed=4242, p_sound=1.0, p_speech=0.0)
    plans = plan_videos(cfg)[:6]
    out = []
    for k, plan in enumerate(plans):
        rng = np.random.default_rng(k)
        out.append((plan, render_frames(plan, cfg, rng), render_audio(plan, cfg, rng)))
    return out


def _resized(frames, size=64):
    import cv2

    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames])


def _top(scores, classes, among, k):
    ranked = sorted(among, key=lambda c: -scores[classes.index(c)])
    return set(ranked[:k])


def test_appearance_net_names_the_sprites_of_rendered_videos(corpus_media):
    import torch

    net, classes = expert_nets.load_net(expert_nets.weights_path("appearance"), "appearance")
    hits = total = 0
    for plan, frames, _ in corpus_media:
        x = torch.from_numpy(expert_nets.frames_to_input(_resized(frames[::4])))
        scores = torch.sigmoid(net(x)).mean(0).detach().numpy()
        k = len(plan.objects)
        shapes = _top(scores, classes, expert_data.video_lib.SHAPES, k)
        colors = _top(scores, classes, list(expert_data.video_lib.COLORS), k)
        hits += sum(o.shape in shapes for o in plan.objects)
        hits += sum(o.color in colors for o in plan.objects)
        total += 2 * k
    assert hits / total >= 0.75, (hits, total)


def test_motion_net_names_the_motions_of_rendered_videos(corpus_media):
    import torch

    net, classes = expert_nets.load_net(expert_nets.weights_path("motion"), "motion")
    hits = total = 0
    for plan, frames, _ in corpus_media:  # 8 fps: one clip a second
        x = expert_nets.frames_to_input(_resized(frames))
        clips = x.reshape(-1, 8, *x.shape[1:]).transpose(0, 2, 1, 3, 4)
        scores = torch.sigmoid(net(torch.from_numpy(np.ascontiguousarray(clips)))).mean(0).detach().numpy()
        top = _top(scores, classes, classes, len(plan.objects))
        hits += sum(o.motion in top for o in plan.objects)
        total += len(plan.objects)
    assert hits / total >= 0.5, (hits, total)


def test_audio_net_names_the_sound_of_rendered_videos(corpus_media):
    import torch

    from avtool.features.llp_audio import segment_logmel, vggish_examples

    net, classes = expert_nets.load_net(expert_nets.weights_path("audio"), "audio")
    hits = 0
    for plan, _, wav in corpus_media:
        x = torch.from_numpy(vggish_examples(segment_logmel(wav, 4)))
        scores = torch.sigmoid(net(x)).mean(0).detach().numpy()
        hits += classes[int(np.argmax(scores[:-1]))] == plan.sound
    assert hits >= 4, hits


def test_extractors_on_a_video_file(tmp_path, corpus_media):
    from avtool.media.video import write_video

    plan, frames, wav = corpus_media[0]
    path = tmp_path / "v.mp4"
    write_video(path, frames, 8, wav, 16_000)
    source = MediaSource(path)
    for spec, rows in (("audio_net:segments=4", 4), ("appearance_net:segments=4,fps=2", 8),
                       ("motion_net:segments=4", 4)):
        ex = build_extractor(spec)
        out = ex(source)
        assert out.shape == (rows, expert_nets.EMBED_DIM) and out.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
        info = ex.info()
        assert len(info.model_checksum) == 64
    # a short clip is padded (a still last frame), a long one trimmed: always `segments` rows
    assert build_extractor("motion_net:segments=6")(source).shape == (6, 128)


def test_missing_weights_are_one_clear_error(tmp_path):
    ex = build_extractor(f"appearance_net:weights={tmp_path / 'none.pt'}")
    with pytest.raises(ModelError, match="none.pt.*make expert-nets"):
        ex.info()
    other = tmp_path / "audio.pt"
    net = expert_nets.build_net("audio", 3)
    expert_nets.save_net(net, "audio", ["a", "b", "c"], {}, other)
    with pytest.raises(ModelError, match="not an avtool motion expert network"):
        expert_nets.load_net(other, "motion")


def test_cli_extraction_with_missing_weights_exits_2(tmp_path, corpus_media):
    from typer.testing import CliRunner

    from avtool.cli.app import app
    from avtool.media.video import write_video

    plan, frames, wav = corpus_media[0]
    write_video(tmp_path / "v.mp4", frames, 8, wav, 16_000)
    out = tmp_path / "s.h5"
    result = CliRunner().invoke(app, ["extract-features", str(tmp_path / "v.mp4"), "--out",
                                      str(out), "-f", f"motion_net:weights={tmp_path}/x.pt"])
    assert result.exit_code == 2, result.output
    assert "x.pt" in result.output and not out.exists()


def test_training_recipe_learns_and_writes_loadable_weights(tmp_path):
    recipe = expert_training.Recipe(train=256, val=64, epochs=3, batch=32)
    summary = expert_training.train_one("appearance", recipe, tmp_path, seed=1, log=lambda m: None)
    net, classes = expert_nets.load_net(tmp_path / "appearance_net.pt", "appearance")
    assert classes == expert_data.appearance_classes()
    assert summary["val_map"] > 0.25  # chance (the label frequency) is about 0.15
    ex = build_extractor(f"appearance_net:segments=1,fps=2,weights={tmp_path}/appearance_net.pt")
    frames = iter([(k / 2, np.zeros((64, 64, 3), np.uint8)) for k in range(2)])
    assert ex.compute(frames).shape == (2, 128)
