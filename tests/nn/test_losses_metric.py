"""AAM-softmax, angular prototypical and softmax + angular prototypical (avtool.nn.losses)."""

import math

import pytest
import torch
import torch.nn.functional as F

from avtool.nn.losses import (
    AAMSoftmaxHead,
    AMSoftmaxHead,
    AngularPrototypicalLoss,
    SoftmaxPrototypicalLoss,
    prototype_logits,
)


def test_aam_softmax_adds_the_margin_to_the_true_class_angle_only():
    torch.manual_seed(0)
    head = AAMSoftmaxHead(8, 5, margin=0.2, scale=30.0)
    emb, labels = torch.randn(6, 8), torch.tensor([0, 1, 2, 3, 4, 0])
    cos = head.cosines(emb)
    logits = head.logits(emb, labels)
    true = cos.gather(1, labels[:, None]).squeeze(1)
    expected = torch.where(true > math.cos(math.pi - 0.2),
                           torch.cos(torch.acos(true.clamp(-1, 1)) + 0.2),
                           true - 0.2 * math.sin(0.2))
    assert torch.allclose(logits.gather(1, labels[:, None]).squeeze(1), 30 * expected, atol=1e-4)
    other = torch.ones_like(cos, dtype=torch.bool).scatter(1, labels[:, None], False)
    assert torch.allclose(logits[other], 30 * cos[other])


def test_aam_softmax_without_margin_is_the_normalised_softmax():
    torch.manual_seed(1)
    aam, am = AAMSoftmaxHead(4, 3, 0.0, 10.0), AMSoftmaxHead(4, 3, 0.0, 10.0)
    am.weight.data.copy_(aam.weight.data)
    emb, labels = torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0])
    assert torch.allclose(aam.logits(emb, labels), am.logits(emb, labels), atol=1e-5)


def test_aam_softmax_defaults_are_chung_et_al_2020():
    head = AAMSoftmaxHead(4, 3)
    assert (head.margin, head.scale) == (0.2, 30.0)


def test_prototypes_are_the_mean_of_the_other_utterances_and_queries_the_last():
    emb = torch.tensor([[1.0, 0.0], [0.0, 1.0], [3.0, 4.0], [1.0, 1.0], [2.0, 0.0], [5.0, 5.0],
                        [9.0, 9.0]])
    labels = torch.tensor([7, 3, 7, 3, 7, 3, 1])  # speaker 1 has one item: left out
    cos, n = prototype_logits(emb, labels)
    assert n == 2
    # speakers sorted: 3 (query [5,5], prototype mean([0,1],[1,1])), 7 (query [2,0], ...)
    queries = F.normalize(torch.tensor([[5.0, 5.0], [2.0, 0.0]]), dim=1)
    protos = F.normalize(torch.tensor([[0.5, 1.0], [2.0, 2.0]]), dim=1)
    assert torch.allclose(cos, queries @ protos.T, atol=1e-6)


def test_angular_prototypical_loss_starts_at_w10_b_minus5_and_learns():
    loss = AngularPrototypicalLoss()
    assert (loss.w.item(), loss.b.item()) == (10.0, -5.0)
    torch.manual_seed(0)
    emb = torch.randn(8, 6, requires_grad=True)
    labels = torch.arange(4).repeat_interleave(2)
    value, acc = loss(emb, labels)
    cos, _ = prototype_logits(emb, labels)
    assert torch.isclose(value, F.cross_entropy(10 * cos - 5, torch.arange(4)))
    value.backward()
    assert emb.grad is not None and loss.w.grad is not None and 0 <= float(acc) <= 1


def test_prototypical_losses_need_two_speakers_with_two_utterances():
    with pytest.raises(ValueError, match="two speakers with two utterances"):
        AngularPrototypicalLoss()(torch.randn(4, 3), torch.tensor([0, 1, 2, 3]))


def test_softmax_prototypical_is_the_sum_of_its_parts():
    torch.manual_seed(2)
    head = SoftmaxPrototypicalLoss(6, 4)
    emb, labels = torch.randn(8, 6), torch.arange(4).repeat_interleave(2)
    total, _ = head(emb, labels)
    ce, _ = head.softmax(emb, labels)
    proto, _ = head.prototypical(emb, labels)
    assert torch.isclose(total, ce + proto)
