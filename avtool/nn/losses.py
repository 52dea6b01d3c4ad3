"""Speaker-embedding training objectives (Nagrani thesis §2.6.2).

Each head maps ``(embeddings (B, D), speaker labels (B,))`` to ``(loss, accuracy)``; the
accuracy is the training batch's identification accuracy for the classifiers and its
nearest-neighbour (same speaker) accuracy for the pair losses.

* :class:`SoftmaxHead` (``softmax``): a linear classifier (fc8) and cross-entropy.
* :class:`AMSoftmaxHead` (``amsoftmax``, Eq. 2.2): L2-normalised embeddings and class weights,
  logits ``s·(cos θ_j − m·[j = y])``. Thesis m = 0.4, s = 30; the released code uses m = 0.35.
* :class:`ContrastiveLoss` (``contrastive``): ``y·D² + (1−y)·max(0, α − D)²`` on the Euclidean
  distance ``D`` of L2-normalised embeddings (the form Ch. 6 gives). Positives: every same-speaker
  pair of the batch. Negatives: each anchor's hardest negative (:func:`hardest_negatives`). The
  thesis mines *offline*, keeping the top 1% of random pairs; ours is online, over P×K speaker
  batches, so it is limited by the batch, as the thesis notes. No hard-positive mining (the
  thesis avoids it because of label noise). α is not stated in Ch. 2; the default 0.6 is the
  best value of Ch. 6's sweep.
* :class:`RelationModule` (``relation``): a second aggregator on the shared trunk's descriptors,
  an embedding layer, and a small binary classifier on a pair of those embeddings. The thesis
  leaves the combination and size open; ours feeds ``[|a−b|, a⊙b]`` to a 256-unit MLP with a
  2-way softmax. At test time the pair score is ``(cosine + P(same)) / 2``.

Beyond the thesis (Chung et al., "In defence of metric learning for speaker recognition",
Interspeech 2020, and its released trainer clovaai/voxceleb_trainer):

* :class:`AAMSoftmaxHead` (``aamsoftmax``): additive *angular* margin (ArcFace, Deng et al.
  2019), logits ``s·cos(θ_y + m)`` for the true class. Defaults m = 0.2, s = 30 (Chung et al.
  2020 and the trainer's defaults for speakers; ArcFace's face-recognition values are m = 0.5,
  s = 64). Past θ_y > π − m, where cos(θ + m) stops decreasing, the logit continues as
  ``cos θ − m·sin m`` (ArcFace's "easy margin = False" form).
* :class:`AngularPrototypicalLoss` (``angleproto``): in a P×K batch, each speaker's last
  utterance is its query and the mean of its other K−1 utterances its prototype; logits are
  ``w·cos(query_i, prototype_j) + b`` over the batch's speakers, with w and b learnt
  (initialised 10 and −5, w kept positive), cross-entropy to the query's own prototype.
* :class:`SoftmaxPrototypicalLoss` (``softmaxproto``): softmax cross-entropy over the training
  speakers plus the angular prototypical loss, summed with equal weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(dim=1) == labels).float().mean()


class SoftmaxHead(nn.Module):
    """fc8 + cross-entropy over the training speakers."""

    def __init__(self, dim: int, n_classes: int, bias: bool = True) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, n_classes, bias=bias)

    def forward(self, emb: torch.Tensor, labels: torch.Tensor):
        logits = self.fc(emb)
        return F.cross_entropy(logits, labels), _accuracy(logits, labels)


class AMSoftmaxHead(nn.Module):
    """Additive-margin softmax (Wang et al. 2018), Eq. 2.2."""

    def __init__(self, dim: int, n_classes: int, margin: float = 0.4, scale: float = 30.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_classes, dim))
        nn.init.xavier_uniform_(self.weight)
        self.margin, self.scale = float(margin), float(scale)

    def cosines(self, emb: torch.Tensor) -> torch.Tensor:
        """cos θ_j between each embedding and each class weight: ``(B, n_classes)``."""
        return F.linear(F.normalize(emb, dim=1), F.normalize(self.weight, dim=1))

    def logits(self, emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cos = self.cosines(emb)
        margin = F.one_hot(labels, cos.shape[1]).to(cos.dtype) * self.margin
        return self.scale * (cos - margin)

    def forward(self, emb: torch.Tensor, labels: torch.Tensor):
        logits = self.logits(emb, labels)
        return F.cross_entropy(logits, labels), _accuracy(self.cosines(emb), labels)


class AAMSoftmaxHead(AMSoftmaxHead):
    """Additive angular margin softmax (ArcFace); see the module docstring."""

    def __init__(self, dim: int, n_classes: int, margin: float = 0.2, scale: float = 30.0) -> None:
        super().__init__(dim, n_classes, margin, scale)

    def logits(self, emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cos = self.cosines(emb)
        m = self.margin
        target = cos.gather(1, labels[:, None])
        sin = (1.0 - target.pow(2)).clamp_min(1e-9).sqrt()
        shifted = target * math.cos(m) - sin * math.sin(m)  # cos(θ + m)
        shifted = torch.where(target > math.cos(math.pi - m), shifted, target - m * math.sin(m))
        return self.scale * cos.scatter(1, labels[:, None], shifted)


def prototype_logits(emb: torch.Tensor, labels: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosines ``(S, S)`` between each batch speaker's query (its last item) and every
    speaker's prototype (the mean of its other items), over the S speakers with >= 2 items;
    the target of row i is i. Returns ``(cosines, number of speakers)``."""
    speakers, inverse, counts = torch.unique(labels, return_inverse=True, return_counts=True)
    position = torch.arange(len(labels), device=labels.device)
    last = torch.full((len(speakers),), -1, dtype=torch.long, device=labels.device)
    last = last.scatter_reduce(0, inverse, position, reduce="amax")
    keep = counts >= 2
    if int(keep.sum()) < 2:
        raise ValueError("the prototypical loss needs two speakers with two utterances each "
                         "in a batch (use --utts-per-speaker of at least 2)")
    is_query = torch.zeros(len(labels), dtype=torch.bool, device=labels.device)
    is_query[last] = True
    support = emb.masked_fill(is_query[:, None], 0.0)
    sums = torch.zeros(len(speakers), emb.shape[1], dtype=emb.dtype, device=emb.device)
    sums = sums.index_add(0, inverse, support)
    prototypes = sums[keep] / (counts[keep] - 1).to(emb.dtype)[:, None]
    queries = emb[last[keep]]
    cos = F.linear(F.normalize(queries, dim=1), F.normalize(prototypes, dim=1))
    return cos, cos.shape[0]


class AngularPrototypicalLoss(nn.Module):
    """Angular prototypical loss (Chung et al. 2020); see the module docstring."""

    def __init__(self, init_w: float = 10.0, init_b: float = -5.0) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(float(init_w)))
        self.b = nn.Parameter(torch.tensor(float(init_b)))

    def forward(self, emb: torch.Tensor, labels: torch.Tensor):
        cos, n = prototype_logits(emb, labels)
        logits = self.w.clamp_min(1e-6) * cos + self.b
        target = torch.arange(n, device=emb.device)
        return F.cross_entropy(logits, target), _accuracy(logits.detach(), target)


class SoftmaxPrototypicalLoss(nn.Module):
    """Softmax over the training speakers + angular prototypical loss."""

    def __init__(self, dim: int, n_classes: int) -> None:
        super().__init__()
        self.softmax = SoftmaxHead(dim, n_classes)
        self.prototypical = AngularPrototypicalLoss()

    def forward(self, emb: torch.Tensor, labels: torch.Tensor):
        ce, acc = self.softmax(emb, labels)
        proto, _ = self.prototypical(emb, labels)
        return ce + proto, acc


def pair_distances(emb: torch.Tensor) -> torch.Tensor:
    """Euclidean distances between the L2-normalised rows: ``(B, B)``, in [0, 2]."""
    unit = F.normalize(emb, dim=1)
    return (2.0 - 2.0 * unit @ unit.T).clamp_min(0.0).add(1e-12).sqrt()


def hardest_negatives(dist: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """For each anchor, the index of its closest other-speaker item (-1 when it has none)."""
    other = labels[:, None] != labels[None, :]
    masked = dist.masked_fill(~other, float("inf"))
    index = masked.argmin(dim=1)
    return torch.where(other.any(dim=1), index, torch.full_like(index, -1))


def hardest_positives(dist: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """For each anchor, the index of its farthest same-speaker item (-1 when it has none)."""
    same = labels[:, None] == labels[None, :]
    same.fill_diagonal_(False)
    masked = dist.masked_fill(~same, float("-inf"))
    index = masked.argmax(dim=1)
    return torch.where(same.any(dim=1), index, torch.full_like(index, -1))


def nearest_neighbour_accuracy(dist: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of items whose nearest other item has the same label."""
    d = dist.clone()
    d.fill_diagonal_(float("inf"))
    return (labels[d.argmin(dim=1)] == labels).float().mean()


class ContrastiveLoss(nn.Module):
    """Contrastive loss with in-batch hard-negative mining (see the module docstring)."""

    def __init__(self, margin: float = 0.6) -> None:
        super().__init__()
        self.margin = float(margin)

    def forward(self, emb: torch.Tensor, labels: torch.Tensor):
        dist = pair_distances(emb)
        n = len(labels)
        same = (labels[:, None] == labels[None, :]) & torch.triu(
            torch.ones(n, n, dtype=torch.bool, device=emb.device), diagonal=1)
        pos = dist[same]
        neg_index = hardest_negatives(dist.detach(), labels)
        anchors = torch.nonzero(neg_index >= 0).squeeze(1)
        neg = dist[anchors, neg_index[anchors]]
        terms = torch.cat([pos.pow(2), F.relu(self.margin - neg).pow(2)])
        if terms.numel() == 0:
            raise ValueError("contrastive loss needs a batch with at least two speakers")
        return terms.mean(), nearest_neighbour_accuracy(dist.detach(), labels)


class RelationModule(nn.Module):
    """Relation branch: its own aggregator + embedding, and a same/different classifier."""

    def __init__(self, pool: nn.Module, emb_dim: int = 512, hidden: int = 256) -> None:
        super().__init__()
        self.pool = pool
        self.embedding = nn.Sequential(nn.Linear(pool.out_dim, emb_dim), nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Linear(2 * emb_dim, hidden), nn.ReLU(inplace=True),
                                        nn.Linear(hidden, 2))
        self.emb_dim = emb_dim

    def embed_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """Unit-norm relation embeddings ``(B, emb_dim)`` from trunk descriptors."""
        return F.normalize(self.embedding(self.pool(frames)), dim=1)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, 2)`` (column 1 = same speaker) for N pairs of relation embeddings."""
        return self.classifier(torch.cat([(a - b).abs(), a * b], dim=1))

    def same_probability(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.softmax(self(a, b), dim=1)[:, 1]


class RelationLoss(nn.Module):
    """Identity softmax on the main branch + relation cross-entropy on mined pairs.

    Pairs per anchor: its hardest positive and its hardest negative by the identity
    embeddings' cosine (detached), so both classes are balanced; the thesis mines hard
    positives and negatives offline from pre-computed embeddings.
    """

    def __init__(self, dim: int, n_classes: int) -> None:
        super().__init__()
        self.identity = SoftmaxHead(dim, n_classes)

    def forward(self, emb: torch.Tensor, labels: torch.Tensor, rel: torch.Tensor,
                relation: RelationModule):
        id_loss, acc = self.identity(emb, labels)
        dist = pair_distances(emb.detach())
        anchors, partners, targets = [], [], []
        for index, target in ((hardest_positives(dist, labels), 1),
                              (hardest_negatives(dist, labels), 0)):
            keep = torch.nonzero(index >= 0).squeeze(1)
            anchors.append(keep)
            partners.append(index[keep])
            targets.append(torch.full_like(keep, target))
        a, b, t = torch.cat(anchors), torch.cat(partners), torch.cat(targets)
        if t.numel() == 0:
            return id_loss, acc
        rel_loss = F.cross_entropy(relation(rel[a], rel[b]), t)
        return id_loss + rel_loss, acc
