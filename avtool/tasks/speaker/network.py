"""The VGGVox speaker network: trunk -> aggregation -> embedding layer (-> projection).

:class:`SpeakerNet` maps spectrograms ``(B, T, F)`` to embeddings ``(B, emb_dim)``:

* trunk: frame-level descriptors ``(B, D, T')`` (:mod:`~avtool.tasks.speaker.vggvox`,
  :mod:`~avtool.tasks.speaker.resnet`);
* aggregation: TAP / NetVLAD / GhostVLAD (:mod:`~avtool.nn.pooling`);
* embedding layer: linear + ReLU to ``emb_dim`` (VGG-M's fc7, 1024-D; the ResNets' 512-D FC
  after aggregation, the released code's ``fc6``), or with ``embedding="linear"`` the linear
  layer alone. The thesis and the released code score the L2-normalised output *after* the
  ReLU: every coordinate is then non-negative, all cosines lie in [0, 1], and with a margin
  loss on few training speakers they bunch near 1 (issue 16: target mean 0.987, non-targets up
  to 0.99998, minDCF 1.0). Without the ReLU the embedding can use the whole sphere, but the
  aggregated descriptors are themselves non-negative (the trunk ends in a ReLU), so every
  embedding still shares a large offset ``W·mean + b`` and cosines stay near 1 until training
  has unlearnt it. ``embedding="bn"`` (linear + BatchNorm, no activation) removes the offset
  by construction: the fix used by the recipe of ``make table-voxceleb-best``;
* projection (contrastive loss only): the thesis replaces the classifier by a linear layer
  of the embedding size trained with the contrastive loss, applied after L2-normalising the
  embedding (the VGG-M verification network); its output is then the embedding;
* relation branch (relation loss only): :class:`~avtool.nn.losses.RelationModule`.

:class:`SpeakerTrainModel` adds the loss head; its ``forward(x, labels)`` returns
``(loss, accuracy)`` so distributed training wraps one module.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from avtool.tasks.speaker.zoo import SpeakerModelConfig, losses, pools, trunks


class SpeakerNet(nn.Module):
    """Spectrogram -> speaker embedding (see the module docstring)."""

    def __init__(self, trunk: nn.Module, pool: nn.Module, emb_dim: int,
                 projection: bool = False, relation: nn.Module | None = None,
                 end: str = "relu") -> None:
        super().__init__()
        self.trunk, self.pool = trunk, pool
        # The linear layer is "embedding.0" whatever follows, so checkpoints keep their layout.
        tail = {"relu": [nn.ReLU(inplace=True)], "linear": [],
                "bn": [nn.BatchNorm1d(emb_dim)]}[end]
        self.embedding = nn.Sequential(nn.Linear(pool.out_dim, emb_dim), *tail)
        self.projection = nn.Linear(emb_dim, emb_dim) if projection else None
        self.relation = relation
        self.dim = emb_dim
        self.min_frames = int(getattr(trunk, "min_frames", 1))

    def embed_frames(self, frames: torch.Tensor) -> torch.Tensor:
        emb = self.embedding(self.pool(frames))
        if self.projection is not None:
            emb = self.projection(F.normalize(emb, dim=1))
        return emb

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed_frames(self.trunk(x))


def build_speaker_net(config: SpeakerModelConfig) -> SpeakerNet:
    """The network a config describes (no loss head)."""
    trunk = trunks.get(config.model).build(config)
    pool = pools.get(config.pool)(trunk.out_dim, config)
    relation = None
    if config.loss == "relation":
        from avtool.nn.losses import RelationModule

        relation = RelationModule(pools.get(config.pool)(trunk.out_dim, config), config.emb_dim)
    return SpeakerNet(trunk, pool, config.emb_dim, projection=config.loss == "contrastive",
                      relation=relation, end=config.embedding)


class SpeakerTrainModel(nn.Module):
    """``net`` + loss ``head``; ``forward(x, labels) -> (loss, accuracy)``.

    ``freeze_lower=True`` freezes the trunk up to conv4 (the relation-module recipe: "ThinResNet
    is fixed until conv4_x"): no gradients, and their BatchNorm statistics stay fixed.
    """

    def __init__(self, config: SpeakerModelConfig, n_classes: int,
                 freeze_lower: bool = False) -> None:
        super().__init__()
        self.net = build_speaker_net(config)
        self.head = losses.get(config.loss)(config.emb_dim, n_classes, config)
        self.frozen = list(self.net.trunk.lower_layers()) if freeze_lower else []  # not registered
        for module in self.frozen:
            module.requires_grad_(False)

    def train(self, mode: bool = True) -> SpeakerTrainModel:
        super().train(mode)
        for module in self.frozen:
            module.eval()
        return self

    def forward(self, x: torch.Tensor, labels: torch.Tensor):
        frames = self.net.trunk(x)
        emb = self.net.embed_frames(frames)
        if self.net.relation is not None:
            rel = self.net.relation.embed_frames(frames)
            return self.head(emb, labels, rel, self.net.relation)
        return self.head(emb, labels)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
