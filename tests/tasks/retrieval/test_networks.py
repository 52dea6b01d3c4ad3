"""MMT, CE, GEU, similarity and loss: the digest's definitions, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from avtool.tasks.retrieval.ce import CEVideoEncoder, CollaborativeGating
from avtool.tasks.retrieval.embed import scores
from avtool.tasks.retrieval.experts import (
    ExpertSpec,
    VideoExperts,
    collate_experts,
    position_ids,
    subsample,
)
from avtool.tasks.retrieval.gating import GatedEmbeddingUnit, MaskedNetVLAD
from avtool.tasks.retrieval.mmt import MMTVideoEncoder
from avtool.tasks.retrieval.model import ranking_loss, similarity

SPECS = [ExpertSpec("audio", "llp_audio", 6, 1.0, True, {}),
         ExpertSpec("speech", "speech_minilm", 5, 1.0, False, {})]


def _video(vid, n_audio, n_speech, seed):
    rng = np.random.default_rng(seed)
    return VideoExperts(vid, {"audio": rng.normal(size=(n_audio, 6)).astype(np.float32),
                              "speech": rng.normal(size=(n_speech, 5)).astype(np.float32)},
                        {"audio": (np.arange(n_audio, dtype=np.float32) + 0.5),
                         "speech": np.full(n_speech, np.nan, np.float32)})


def test_temporal_ids_follow_the_released_code():
    # 7.4 s (thesis T_8) -> id 9; unknown time -> 1; clamped at max - 1
    assert position_ids(np.array([7.4, np.nan, 0.5, 100.0]), 32).tolist() == [9, 1, 2, 31]


def test_subsample_keeps_time_order_and_is_fixed_at_evaluation():
    assert subsample(5, 10, None).tolist() == [0, 1, 2, 3, 4]
    a = subsample(50, 8, None)
    assert a.tolist() == subsample(50, 8, None).tolist() and np.all(np.diff(a) > 0)


def test_collate_pools_before_subsampling_and_marks_missing_experts():
    videos = [_video("a", 4, 0, 0), _video("b", 2, 3, 1)]
    batch = collate_experts(videos, SPECS, max_tokens=2, max_positions=32)
    assert batch["audio"]["feats"].shape == (2, 2, 6)
    np.testing.assert_allclose(batch["audio"]["pooled"][0], videos[0].feats["audio"].max(0))
    assert batch["speech"]["present"].tolist() == [False, True]
    assert batch["speech"]["pos"][1].tolist() == [1, 1]  # untimed rows


def _mmt(temporal=True):
    torch.manual_seed(0)
    return MMTVideoEncoder([("audio", 6), ("speech", 5)], d_model=16, layers=2, heads=2, ff=32,
                           dropout=0.0, temporal=temporal).eval()


def test_mmt_outputs_unit_agg_vectors_and_ignores_padding():
    net = _mmt()
    videos = [_video("a", 3, 0, 0), _video("b", 2, 3, 1)]
    alone = net(collate_experts(videos[:1], SPECS, 30, 32))
    both = net(collate_experts(videos, SPECS, 30, 32))  # pads video a's audio? no: b is shorter
    assert both.shape == (2, 2, 16) and torch.isfinite(both).all()
    torch.testing.assert_close(alone[0], both[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(both.norm(dim=-1)[1], torch.ones(2))


def test_mmt_uses_time_but_is_equivariant_to_token_order():
    net = _mmt()
    v = _video("a", 4, 2, 0)
    base = net(collate_experts([v], SPECS, 30, 32))
    # permuting the audio rows together with their times changes nothing
    perm = np.array([2, 0, 3, 1])
    shuffled = VideoExperts("a", {"audio": v.feats["audio"][perm], "speech": v.feats["speech"]},
                            {"audio": v.times["audio"][perm], "speech": v.times["speech"]})
    torch.testing.assert_close(net(collate_experts([shuffled], SPECS, 30, 32)), base,
                               atol=1e-5, rtol=1e-5)
    # changing only the times changes the output
    moved = VideoExperts("a", v.feats, {"audio": v.times["audio"] + 5, "speech": v.times["speech"]})
    assert not torch.allclose(net(collate_experts([moved], SPECS, 30, 32)), base, atol=1e-4)
    # ...unless the encoder has no temporal embeddings (the Ch. 4 query encoder)
    flat = _mmt(temporal=False)
    torch.testing.assert_close(flat(collate_experts([moved], SPECS, 30, 32)),
                               flat(collate_experts([v], SPECS, 30, 32)), atol=1e-5, rtol=1e-5)


def test_masked_expert_contributes_no_token():
    net = _mmt()
    with_speech = collate_experts([_video("a", 3, 2, 0)], SPECS, 30, 32)
    without = collate_experts([_video("a", 3, 0, 0)], SPECS, 30, 32)
    torch.testing.assert_close(net(with_speech, drop=["speech"])[:, 0], net(without)[:, 0],
                               atol=1e-5, rtol=1e-5)


def test_ce_zeroes_missing_experts_and_gating_ignores_them():
    torch.manual_seed(0)
    ce = CEVideoEncoder([("audio", 6), ("speech", 5)], vlad=["audio"], d_model=8,
                        clusters=3, batch_norm=False).eval()
    out = ce(collate_experts([_video("a", 3, 0, 0)], SPECS, 30, 32))
    assert out.shape == (1, 2, 8) and float(out[0, 1].abs().sum()) == 0.0
    gate = CollaborativeGating(4)
    psi = torch.randn(1, 3, 4)
    a = gate(psi, torch.tensor([[True, True, False]]))
    psi2 = psi.clone()
    psi2[0, 2] = 100.0  # an absent expert's values do not reach the others
    torch.testing.assert_close(gate(psi2, torch.tensor([[True, True, False]]))[0, :2], a[0, :2])


def test_masked_netvlad_equals_the_unpadded_sequence():
    torch.manual_seed(0)
    vlad = MaskedNetVLAD(4, 3)
    x = torch.randn(1, 5, 4)
    padded = torch.cat([x, torch.zeros(1, 2, 4)], 1)
    valid = torch.tensor([[True] * 5 + [False] * 2])
    torch.testing.assert_close(vlad(padded, valid), vlad(x, torch.ones(1, 5, dtype=torch.bool)))


def test_geu_is_unit_norm():
    geu = GatedEmbeddingUnit(6, 4).eval()
    torch.testing.assert_close(geu(torch.randn(3, 6)).norm(dim=-1), torch.ones(3))


def test_similarity_renormalises_weights_over_present_experts():
    phi = torch.nn.functional.normalize(torch.randn(2, 3, 4), dim=-1)
    psi = torch.nn.functional.normalize(torch.randn(2, 3, 4), dim=-1)
    w = torch.softmax(torch.randn(2, 3), -1)
    present = torch.tensor([[True, True, True], [True, False, True]])
    s = similarity(phi, w, psi, present)
    cos = torch.einsum("ced,ved->cve", phi, psi)
    expected = (w[0, 0] * cos[0, 1, 0] + w[0, 2] * cos[0, 1, 2]) / (w[0, 0] + w[0, 2])
    torch.testing.assert_close(s[0, 1], expected)
    assert float(s.abs().max()) <= 1.0 + 1e-6
    # the index's one inner product / weight-sum form gives the same numbers
    np.testing.assert_allclose(scores(phi.numpy(), w.numpy(), psi.numpy(), present.numpy()),
                               s.numpy(), rtol=1e-5, atol=1e-6)


def test_ranking_loss_by_hand():
    s = torch.tensor([[0.5, 0.47, 0.1], [0.2, 0.3, 0.28], [0.0, 0.1, 0.9]])
    # t2v rows: (0.47-0.5+0.05)=0.02; (0.2-0.3+.05)<0, (0.28-0.3+.05)=0.03; none for row 2
    # v2t cols: col0 (0.2-0.5+.05)<0,(0-0.5)<0; col1 (0.47-0.3+.05)=0.22,(0.1-0.3+.05)<0;
    # col2 (0.1-0.9+.05)<0,(0.28-0.9+.05)<0
    total = 0.02 + 0.03 + 0.22
    torch.testing.assert_close(ranking_loss(s, 0.05, "batch"), torch.tensor(total / 3))
    torch.testing.assert_close(ranking_loss(s, 0.05, "mean"), torch.tensor(total / 12))
    assert float(ranking_loss(torch.eye(3), 0.05)) == pytest.approx(0.0)
