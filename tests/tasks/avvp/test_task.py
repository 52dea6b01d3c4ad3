"""AVVP task pieces: label smoothing, loss, inference rule, events, schedules, presets, AVG."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from avtool.errors import ConfigError
from avtool.tasks.avvp.config import HPARAMS, AvgConfig, AvvpHparams, resolve_hparams
from avtool.tasks.avvp.data import ClipSet
from avtool.tasks.avvp.han import HanOutput
from avtool.tasks.avvp.predictor import masks_to_events, parse_masks
from avtool.tasks.avvp.pretrain import avg_loss, pseudo_truth
from avtool.tasks.avvp.task import avvp_loss, grl_alpha, smooth_targets


def test_label_smoothing_targets():
    y = torch.tensor([[1.0, 0.0]])
    torch.testing.assert_close(smooth_targets(y, 0.1), torch.tensor([[0.95, 0.05]]))
    torch.testing.assert_close(smooth_targets(y, 0.0), y)


def _output(p, pa, pv, logits=None):
    fp = torch.zeros(1, 10, 2, p.shape[-1])
    return HanOutput(p, pa, pv, fp, torch.zeros(1, 10, 2, 4), logits)


def test_loss_is_han_loss_with_weights_and_visual_smoothing():
    y = torch.tensor([[1.0, 0.0, 1.0]])
    p = torch.tensor([[0.8, 0.3, 1.4]])  # p may exceed 1: clamped
    pa = torch.tensor([[0.6, 0.2, 0.9]])
    pv = torch.tensor([[0.7, 0.1, 0.5]])
    hp = AvvpHparams(1e-3, 5, 0.5, 10, 8, lambda_g=0.6, lambda_ad=0.4)

    def bce(x, t):
        x = x.clamp(1e-7, 1 - 1e-7)
        return float(-(t * torch.log(x) + (1 - t) * torch.log(1 - x)).mean())

    want = bce(p, y) + 0.6 * (bce(pa, y) + bce(pv, 0.9 * y + 0.05))
    loss, stats = avvp_loss(_output(p, pa, pv), y, hp)
    assert float(loss) == pytest.approx(want, rel=1e-5)
    assert stats["wsl"] == pytest.approx(bce(p, y), rel=1e-5)
    # adversarial term: BCE of the discriminator logits, audio 0 / visual 1, weight lambda_ad
    logits = torch.tensor([[[2.0, -1.0]] * 10])
    loss_adv, stats = avvp_loss(_output(p, pa, pv, logits), y, hp)
    adv = float(torch.nn.functional.softplus(torch.tensor(2.0))
                + torch.nn.functional.softplus(torch.tensor(1.0))) / 2
    assert float(loss_adv) == pytest.approx(want + 0.4 * adv, rel=1e-5)
    assert stats["disc_acc"] == 0.0


def test_inference_rule_on_hand_made_probabilities():
    # 1 clip, 3 classes, 4 snippets
    p = np.array([[0.9, 0.4, 0.5]])
    fp = np.zeros((1, 4, 2, 3))
    fp[0, :, 0, 0] = [0.6, 0.7, 0.2, 0.5]  # class 0 audio: seconds 0, 1, 3
    fp[0, :, 1, 0] = [0.1, 0.8, 0.9, 0.9]  # class 0 visual: seconds 1-3
    fp[0, :, 0, 1] = [0.9, 0.9, 0.9, 0.9]  # class 1 audio loud, but p = 0.4: filtered out
    fp[0, :, 1, 2] = [0.49, 0.5, 0.51, 0.0]  # class 2 (p = 0.5 kept) visual: 1, 2
    audio, visual = parse_masks(p, fp)
    assert audio.shape == visual.shape == (1, 3, 4)
    assert audio[0].astype(int).tolist() == [[1, 1, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert visual[0].astype(int).tolist() == [[0, 1, 1, 1], [0, 0, 0, 0], [0, 1, 1, 0]]
    events = masks_to_events(["c"], audio, visual, fp, ["A", "B", "C"])
    rows = [(e.modality, e.label, e.onset, e.offset, round(e.confidence, 3)) for e in events]
    assert rows == [("audio", "A", 0, 2, 0.65), ("audio", "A", 3, 4, 0.5),
                    ("visual", "A", 1, 4, 0.867), ("visual", "C", 1, 3, 0.505),
                    ("audio-visual", "A", 1, 2, 0.7), ("audio-visual", "A", 3, 4, 0.5)]
    # stricter thresholds
    audio, visual = parse_masks(p, fp, clip_threshold=0.6, segment_threshold=0.75)
    assert audio[0].sum() == 0 and visual[0].astype(int).tolist()[0] == [0, 1, 1, 1]


def test_grl_schedule_matches_released_code():
    # first step of 40 epochs: q = 1/40 -> 0.1244; end -> ~1
    assert grl_alpha(0, 10, 40) == pytest.approx(2 / (1 + math.exp(-10 / 40)) - 1)
    assert grl_alpha(0, 10, 40) == pytest.approx(0.1244, abs=1e-4)
    assert grl_alpha(399, 10, 40) == pytest.approx(0.99993, abs=1e-4)
    assert grl_alpha(5, 10, 40) > grl_alpha(4, 10, 40)


def test_presets():
    assert resolve_hparams("paper", "base+adv+skip+gcaa") == HPARAMS["paper"]["base"]
    paper = HPARAMS["paper"]["base"]
    assert (paper.lr, paper.lr_step, paper.lr_gamma, paper.batch_size, paper.lambda_g,
            paper.lambda_ad) == (3e-4, 5, 0.5, 64, 0.6, 0.4)
    code = resolve_hparams("code", "base+gcaa")
    assert (code.lr, code.lr_step, code.lambda_g, code.lambda_ad) == (6e-4, 6, 0.3, 0.3)
    han = resolve_hparams("paper", "han")
    assert (han.lr, han.lr_step, han.lr_gamma, han.batch_size, han.lambda_g) == (
        3e-4, 10, 0.1, 16, 1.0)
    assert resolve_hparams("han", "base").lr_gamma == 0.1
    assert resolve_hparams("paper", "han", lr=1e-3, lambda_g=None).lr == 1e-3
    with pytest.raises(ConfigError, match="--hparams"):
        resolve_hparams("nope", "han")


def test_lr_schedule_steps_per_epoch():
    from avtool.tasks.avvp.task import AvvpTask

    clips = ClipSet(["a"], np.zeros((1, 10, 3), np.float32), np.zeros((1, 10, 3), np.float32),
                    np.zeros((1, 10, 3), np.float32), np.zeros((1, 25), np.float32))
    task = AvvpTask(clips, {}, "base", resolve_hparams("paper", "base"))
    model = task.build_model()
    opt, sched = task.configure_optimizers(model, steps_per_epoch=3, epochs=40)
    lrs = []
    for _ in range(3 * 12):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    per_epoch = lrs[::3]
    assert per_epoch[:5] == [3e-4] * 5 and per_epoch[5] == pytest.approx(1.5e-4)
    assert per_epoch[10] == pytest.approx(7.5e-5)


def test_pseudo_truth_components():
    # one-hot features: audio links snippets 0-1 and 4..9, frames link 1-2 and 4..9
    audio = np.eye(4, dtype=np.float32)[[0, 0, 1, 2, 3, 3, 3, 3, 3, 3]][None]
    frame = np.eye(5, dtype=np.float32)[[3, 1, 1, 2, 4, 4, 4, 4, 4, 4]][None]
    clips = ClipSet(["c"], audio, frame, np.zeros((1, 10, 2), np.float32),
                    np.zeros((1, 25), np.float32))
    g_or = pseudo_truth(clips, AvgConfig(edge="or"))[0]  # paper: {0,1,2} {3} {4..9}
    assert g_or[0, 2] and g_or[2, 0] and not g_or[0, 3] and g_or[4, 9] and not g_or[3, 4]
    assert g_or.diagonal().all() and (g_or == g_or.T).all()
    g_and = pseudo_truth(clips, AvgConfig(edge="and"))[0]  # code: only {4..9} linked
    assert not g_and[0, 1] and not g_and[1, 2] and g_and[4, 9]
    assert g_and.sum() == 4 + 36


def test_avg_loss_zero_when_embeddings_match_truth():
    truth = torch.zeros(1, 10, 10, dtype=torch.bool)
    truth[0, :5, :5] = True
    truth[0, 5:, 5:] = True
    e = torch.zeros(1, 10, 2, 4)
    e[0, :5, :, 0] = 1.0  # both modalities of snippets 0-4 along axis 0
    e[0, 5:, :, 1] = 1.0
    anchors = torch.tensor([2])
    for objective in ("uni", "cross", "multi"):
        assert float(avg_loss(e, truth, anchors, AvgConfig(), objective)) == 0.0
    e2 = e.clone()
    e2[0, :, 1] = e[0, torch.arange(9, -1, -1), 1]  # visual swapped in time
    assert float(avg_loss(e2, truth, anchors, AvgConfig(), "cross")) > 0
    assert float(avg_loss(e2, truth, anchors, AvgConfig(), "uni")) == 0.0
