"""VGGVox family: parameter counts, layer sizes, forward shapes of every trunk x pool, losses."""

import pytest
import torch
import torch.nn.functional as F

from avtool.errors import UnknownNameError
from avtool.nn.losses import (
    AMSoftmaxHead,
    ContrastiveLoss,
    RelationLoss,
    RelationModule,
    SoftmaxHead,
    hardest_negatives,
    hardest_positives,
    pair_distances,
)
from avtool.nn.pooling import GhostVLAD, NetVLAD, TemporalAveragePool
from avtool.tasks.speaker.network import (
    SpeakerNet,
    SpeakerTrainModel,
    build_speaker_net,
    count_parameters,
)
from avtool.tasks.speaker.resnet import ResNetTrunk
from avtool.tasks.speaker.vggvox import VGGMTrunk
from avtool.tasks.speaker.zoo import SpeakerModelConfig, pools, trunks

# Table 2.6 as written (no batch norm), fc7 1024 and a 1,251-way fc8: the digest's count.
VGG_M_TABLE_2_6_PARAMS = 17_898_531


def test_vgg_m_parameter_count_matches_table_2_6():
    config = SpeakerModelConfig(model="vgg-m", pool="tap", n_bins=512, emb_dim=1024,
                                batch_norm=False)
    net = build_speaker_net(config)
    total = count_parameters(net) + count_parameters(SoftmaxHead(1024, 1251))
    assert total == VGG_M_TABLE_2_6_PARAMS


def test_print_parameter_count_of_every_trunk():
    bins = {"vgg-m": 512}
    counts = {}
    for name in trunks.names():
        trunk = trunks.get(name).build(SpeakerModelConfig(model=name, n_bins=bins.get(name, 257)))
        counts[name] = count_parameters(trunk)
        print(f"{name:>14}: {counts[name]:>12,d} trunk parameters")
    assert counts["thin-resnet34"] < counts["resnet34"] < counts["resnet50"]


def test_vgg_m_layer_sizes_follow_table_2_6():
    assert VGGMTrunk.frequency_rows(512) == 9
    assert [VGGMTrunk.time_steps(t) for t in (300, 400, 100, 1000)] == [8, 11, 2, 30]
    trunk = VGGMTrunk(512, width=0.125).eval()
    with torch.no_grad():
        out = trunk.features(torch.zeros(1, 1, 512, 300))
    assert tuple(out.shape[2:]) == (9, 8)


def test_resnet_frequency_rows_and_time_steps():
    thin = ResNetTrunk("thin-resnet34", 257, width=0.125)
    assert thin.fc1_rows == 7 and thin.time_steps(250) == 16
    for arch in ("resnet34", "resnet50"):
        assert ResNetTrunk(arch, 257, width=0.125).fc1_rows == 9  # Table 2.7's 9x1 fc1
    with torch.no_grad():
        assert thin(torch.zeros(1, 250, 257)).shape == (1, 64, 16)


@pytest.mark.parametrize("name", ["vgg-m", "resnet34", "resnet50", "thin-resnet34", "debug"])
def test_forward_shapes_of_every_trunk_and_pool(name):
    n_bins = 512 if name == "vgg-m" else 257
    entry = trunks.get(name)
    config = SpeakerModelConfig(model=name, n_bins=n_bins, emb_dim=entry.emb_dim)
    trunk = entry.build(config).eval()
    frames = 80
    with torch.no_grad():
        desc = trunk(torch.randn(2, frames, n_bins))
        assert desc.shape[:2] == (2, trunk.out_dim) and desc.shape[2] >= 1
        for pool_name in pools.names():
            pool = pools.get(pool_name)(trunk.out_dim, config)
            net = SpeakerNet(trunk, pool, entry.emb_dim).eval()
            assert net.embed_frames(desc).shape == (2, entry.emb_dim), pool_name
    assert entry.emb_dim == (1024 if name == "vgg-m" else 64 if name == "debug" else 512)


def test_variable_length_input_gives_one_embedding():
    net = build_speaker_net(SpeakerModelConfig(model="thin-resnet34", pool="tap",
                                               width=0.125)).eval()
    with torch.no_grad():
        for frames in (5, 137, 400):
            assert net(torch.randn(1, frames, 257)).shape == (1, 512)


def test_unknown_component_names_list_the_valid_ones():
    with pytest.raises(UnknownNameError, match="thin-resnet34"):
        SpeakerModelConfig(model="thin-resnet")
    with pytest.raises(UnknownNameError, match="ghostvlad"):
        SpeakerModelConfig(pool="vlad")


def test_netvlad_is_intra_normalised_and_ghostvlad_drops_ghost_clusters():
    torch.manual_seed(0)
    x = torch.randn(3, 16, 20)
    vlad = NetVLAD(16, clusters=4)
    ghost = GhostVLAD(16, clusters=4, ghost_clusters=2)
    for layer in (vlad, ghost):
        out = layer(x)
        assert out.shape == (3, 4 * 16)
        torch.testing.assert_close(out.view(3, 4, 16).norm(dim=-1), torch.ones(3, 4))
    a = ghost.assignments(x)
    assert a.shape == (3, 6, 20)
    torch.testing.assert_close(a.sum(dim=1), torch.ones(3, 20))
    assert TemporalAveragePool(16)(x).shape == (3, 16)


def test_netvlad_residuals_follow_eq_2_1():
    torch.manual_seed(1)
    x = torch.randn(1, 3, 5)
    layer = NetVLAD(3, clusters=2)
    a = layer.assignments(x)[0]  # (K, T)
    expected = torch.stack([sum(a[k, t] * (x[0, :, t] - layer.centres[k]) for t in range(5))
                            for k in range(2)])
    torch.testing.assert_close(layer(x)[0], F.normalize(expected, dim=-1).flatten())


def test_am_softmax_margin_lowers_the_true_class_logit_by_s_times_m():
    torch.manual_seed(0)
    head = AMSoftmaxHead(8, 5, margin=0.4, scale=30.0)
    emb, labels = torch.randn(4, 8), torch.tensor([0, 1, 2, 3])
    cos = head.cosines(emb)
    logits = head.logits(emb, labels)
    delta = 30.0 * cos - logits
    assert torch.allclose(delta[torch.arange(4), labels], torch.full((4,), 12.0))
    delta[torch.arange(4), labels] = 0
    assert torch.allclose(delta, torch.zeros_like(delta), atol=1e-5)
    no_margin = AMSoftmaxHead(8, 5, margin=0.0, scale=30.0)
    no_margin.load_state_dict(head.state_dict())
    assert head(emb, labels)[0] > no_margin(emb, labels)[0]


def test_hard_mining_picks_the_hardest_pairs():
    labels = torch.tensor([0, 0, 1, 1, 2])
    dist = torch.tensor([
        [0.0, 0.9, 0.5, 0.2, 0.8],
        [0.9, 0.0, 0.7, 0.6, 0.1],
        [0.5, 0.7, 0.0, 0.4, 0.3],
        [0.2, 0.6, 0.4, 0.0, 0.9],
        [0.8, 0.1, 0.3, 0.9, 0.0],
    ])
    assert hardest_negatives(dist, labels).tolist() == [3, 4, 4, 0, 1]
    assert hardest_positives(dist, labels).tolist() == [1, 0, 3, 2, -1]


def test_contrastive_loss_uses_all_positives_and_each_hardest_negative():
    emb = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [-1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 1])
    loss, acc = ContrastiveLoss(margin=0.6)(emb, labels)
    d = pair_distances(emb)
    pos = [d[0, 1] ** 2, d[2, 3] ** 2]
    neg_index = hardest_negatives(d, labels)
    neg = [torch.relu(0.6 - d[i, j]) ** 2 for i, j in enumerate(neg_index.tolist())]
    torch.testing.assert_close(loss, torch.stack(pos + neg).mean())
    assert neg_index.tolist()[0] == 2  # item 2 is nearly item 0: the hardest negative


def test_relation_module_output_shapes_and_loss():
    torch.manual_seed(0)
    module = RelationModule(GhostVLAD(16, 4, 2), emb_dim=32)
    frames = torch.randn(6, 16, 10)
    rel = module.embed_frames(frames)
    assert rel.shape == (6, 32)
    assert module(rel[:4], rel[2:]).shape == (4, 2)
    p = module.same_probability(rel[:4], rel[2:])
    assert p.shape == (4,) and bool(((p >= 0) & (p <= 1)).all())
    loss, acc = RelationLoss(32, 3)(torch.randn(6, 32), torch.tensor([0, 0, 1, 1, 2, 2]), rel,
                                    module)
    loss.backward()
    assert loss.item() > 0 and module.classifier[0].weight.grad is not None


def test_relation_training_freezes_the_lower_trunk():
    config = SpeakerModelConfig(model="debug", pool="tap", loss="relation", emb_dim=16)
    model = SpeakerTrainModel(config, 3, freeze_lower=True).train()
    lower = model.net.trunk.lower_layers()[0]
    assert all(not p.requires_grad for p in lower.parameters())
    assert not model.net.trunk.body[1].training  # frozen BatchNorm keeps its statistics
    assert model.net.trunk.body[4].training
    loss, _ = model(torch.randn(4, 30, 257), torch.tensor([0, 0, 1, 1]))
    loss.backward()
    assert model.net.relation is not None
