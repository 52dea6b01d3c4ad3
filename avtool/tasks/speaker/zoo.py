"""Names of the speaker-embedding components (VGGVox family) and the config that combines them.

Three registries, importable without torch so command-line help lists their names instantly:

* ``trunks``: ``vgg-m`` (Table 2.6), ``resnet34``, ``resnet50``, ``thin-resnet34`` (Table 2.7)
  and ``debug`` (a two-layer CNN for one-second tests; not a paper model). Each entry also
  carries the paper's defaults for that trunk: embedding size, training crop and the feature
  the trunk expects.
* ``pools``: ``tap``, ``netvlad``, ``ghostvlad``.
* ``losses``: ``softmax``, ``amsoftmax``, ``contrastive``, ``relation`` (the thesis), and
  ``aamsoftmax``, ``angleproto``, ``softmaxproto`` (Chung et al. 2020, "In defence of metric
  learning for speaker recognition", the losses of clovaai/voxceleb_trainer).

Adding a component: write its ``nn.Module`` in its family's file and register a builder here.
:func:`avtool.tasks.speaker.network.build_speaker_net` turns a :class:`SpeakerModelConfig` into a
network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from avtool.errors import ConfigError
from avtool.registry import Registry

EMBEDDINGS = ("relu", "linear", "bn")


@dataclass(frozen=True)
class SpeakerModelConfig:
    """Everything that rebuilds a speaker network (stored in checkpoints).

    ``n_bins`` comes from the training store's spectrogram; ``emb_dim`` and the crop default
    per trunk (:data:`trunks` entries). ``clusters``/``ghost_clusters`` apply to the VLAD
    pools, ``am_*`` to AM-softmax, ``aam_*`` to AAM-softmax, ``contrastive_margin`` to the
    contrastive loss, ``batch_norm`` to VGG-M (the ResNets always have it). ``embedding``: what
    the embedding layer ends with: ``relu`` (the thesis's and the released code's fc6, scored
    after its ReLU), ``linear`` (no activation: the scored embedding can take either sign) or
    ``bn`` (linear, then BatchNorm without activation: also removes the offset every
    embedding shares, which is what keeps cosines near 1).
    """

    model: str = "thin-resnet34"
    pool: str = "ghostvlad"
    loss: str = "softmax"
    n_bins: int = 257
    emb_dim: int = 512
    clusters: int = 8
    ghost_clusters: int = 2
    width: float = 1.0
    batch_norm: bool = True
    am_margin: float = 0.4
    am_scale: float = 30.0
    contrastive_margin: float = 0.6
    embedding: str = "relu"
    aam_margin: float = 0.2
    aam_scale: float = 30.0

    def __post_init__(self) -> None:
        for registry, name in ((trunks, self.model), (pools, self.pool), (losses, self.loss)):
            registry.get(name)  # UnknownNameError listing the valid names
        if self.emb_dim < 1 or self.n_bins < 1:
            raise ConfigError("emb_dim and n_bins must be positive")
        if self.clusters < 1 or self.ghost_clusters < 0:
            raise ConfigError("--clusters must be >= 1 and --ghost-clusters >= 0")
        if not 0 < self.width <= 4:
            raise ConfigError(f"--width must be in (0, 4], got {self.width}")
        if self.am_scale <= 0 or self.am_margin < 0 or self.contrastive_margin <= 0:
            raise ConfigError("AM-softmax scale and contrastive margin must be positive, "
                              "AM-softmax margin non-negative")
        if self.aam_scale <= 0 or not 0 <= self.aam_margin < 1.5:
            raise ConfigError("AAM-softmax scale must be positive and its margin in [0, 1.5) "
                              "radians")
        if self.embedding not in EMBEDDINGS:
            raise ConfigError(f"--embedding {self.embedding!r}: choose "
                              f"{' or '.join(EMBEDDINGS)}")


@dataclass(frozen=True)
class TrunkEntry:
    """A trunk builder and the paper's defaults for it."""

    build: Callable[[SpeakerModelConfig], Any]
    emb_dim: int
    crop_seconds: float
    feature: str
    paper: str


trunks: Registry[TrunkEntry] = Registry("speaker model")
pools: Registry[Callable[[int, SpeakerModelConfig], Any]] = Registry("pooling")
losses: Registry[Callable[[int, int, SpeakerModelConfig], Any]] = Registry("speaker loss")


def _vgg_m(cfg: SpeakerModelConfig):
    from avtool.tasks.speaker.vggvox import VGGMTrunk

    return VGGMTrunk(cfg.n_bins, cfg.width, cfg.batch_norm)


def _resnet(arch: str) -> Callable[[SpeakerModelConfig], Any]:
    def build(cfg: SpeakerModelConfig):
        from avtool.tasks.speaker.resnet import ResNetTrunk

        return ResNetTrunk(arch, cfg.n_bins, cfg.width)

    return build


def _debug(cfg: SpeakerModelConfig):
    from avtool.tasks.speaker.debug_trunk import DebugTrunk

    return DebugTrunk(cfg.n_bins, cfg.width)


trunks.register("vgg-m")(TrunkEntry(_vgg_m, 1024, 3.0, "spectrogram:variant=vgg-m",
                                    "Table 2.6 (VoxCeleb1, Interspeech 2017)"))
trunks.register("resnet34")(TrunkEntry(_resnet("resnet34"), 512, 3.0, "spectrogram",
                                       "Table 2.7 (VoxCeleb2, Interspeech 2018)"))
trunks.register("resnet50")(TrunkEntry(_resnet("resnet50"), 512, 3.0, "spectrogram",
                                       "Table 2.7 (VoxCeleb2, Interspeech 2018)"))
trunks.register("thin-resnet34")(TrunkEntry(_resnet("thin-resnet34"), 512, 2.5, "spectrogram",
                                            "Table 2.7 (ICASSP 2019)"))
trunks.register("debug")(TrunkEntry(_debug, 64, 1.0, "spectrogram", "none: a test model"))


@pools.register("tap")
def _tap(dim: int, cfg: SpeakerModelConfig):
    from avtool.nn.pooling import TemporalAveragePool

    return TemporalAveragePool(dim)


@pools.register("netvlad")
def _netvlad(dim: int, cfg: SpeakerModelConfig):
    from avtool.nn.pooling import NetVLAD

    return NetVLAD(dim, cfg.clusters, 0)


@pools.register("ghostvlad")
def _ghostvlad(dim: int, cfg: SpeakerModelConfig):
    from avtool.nn.pooling import GhostVLAD

    return GhostVLAD(dim, cfg.clusters, cfg.ghost_clusters)


@losses.register("softmax")
def _softmax(dim: int, n_classes: int, cfg: SpeakerModelConfig):
    from avtool.nn.losses import SoftmaxHead

    return SoftmaxHead(dim, n_classes)


@losses.register("amsoftmax")
def _amsoftmax(dim: int, n_classes: int, cfg: SpeakerModelConfig):
    from avtool.nn.losses import AMSoftmaxHead

    return AMSoftmaxHead(dim, n_classes, cfg.am_margin, cfg.am_scale)


@losses.register("contrastive")
def _contrastive(dim: int, n_classes: int, cfg: SpeakerModelConfig):
    from avtool.nn.losses import ContrastiveLoss

    return ContrastiveLoss(cfg.contrastive_margin)


@losses.register("relation")
def _relation(dim: int, n_classes: int, cfg: SpeakerModelConfig):
    from avtool.nn.losses import RelationLoss

    return RelationLoss(dim, n_classes)


@losses.register("aamsoftmax")
def _aamsoftmax(dim: int, n_classes: int, cfg: SpeakerModelConfig):
    from avtool.nn.losses import AAMSoftmaxHead

    return AAMSoftmaxHead(dim, n_classes, cfg.aam_margin, cfg.aam_scale)


@losses.register("angleproto")
def _angleproto(dim: int, n_classes: int, cfg: SpeakerModelConfig):
    from avtool.nn.losses import AngularPrototypicalLoss

    return AngularPrototypicalLoss()


@losses.register("softmaxproto")
def _softmaxproto(dim: int, n_classes: int, cfg: SpeakerModelConfig):
    from avtool.nn.losses import SoftmaxPrototypicalLoss

    return SoftmaxPrototypicalLoss(dim, n_classes)


PAIR_LOSSES = ("contrastive", "relation", "angleproto", "softmaxproto")
"""Losses that need several utterances per speaker in a batch (K >= 2)."""
