"""`avtool train speaker` options: the one place their defaults live.

Choices come from the registries of `avtool.tasks.speaker.zoo`, which import no torch, so
``avtool train speaker --help`` stays fast. ``None`` means "the trunk's (or the network
config's) value", so the task can tell what the user set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from avtool.tasks.interface import option
from avtool.tasks.speaker.zoo import SpeakerModelConfig, losses, pools, trunks

LR_SCHEDULES = ("thesis", "code")
MODEL = "Speaker network"
TRAINING = "Speaker training"


def _trunk_help() -> str:
    parts = [f"{name} ({trunks.get(name).emb_dim}-D, {trunks.get(name).crop_seconds:g} s crops, "
             f"{trunks.get(name).feature})" for name in trunks.names()]
    return "Trunk: " + "; ".join(parts) + "."


_M = SpeakerModelConfig


@dataclass(frozen=True)
class SpeakerOptions:
    model: str = field(default=_M.model, metadata=option(
        _trunk_help(), choices=trunks.names, panel=MODEL))
    pool: str = field(default=_M.pool, metadata=option(
        "Aggregation of frame descriptors.", choices=pools.names, panel=MODEL))
    loss: str = field(default=_M.loss, metadata=option(
        "Loss. contrastive and relation are fine-tuning stages: start them from a softmax "
        "run with --init.", choices=losses.names, panel=MODEL))
    emb_dim: int | None = field(default=None, metadata=option(
        "Embedding size (default: the trunk's, 1024 for VGG-M, 512 otherwise).", panel=MODEL,
        min=1, max=65536))
    clusters: int | None = field(default=None, metadata=option(
        f"NetVLAD/GhostVLAD clusters K (default {_M.clusters}, the released model).",
        panel=MODEL, min=1, max=4096))
    ghost_clusters: int | None = field(default=None, metadata=option(
        f"GhostVLAD ghost clusters G (default {_M.ghost_clusters}, the thesis).", panel=MODEL,
        min=0, max=4096))
    width: float = field(default=_M.width, metadata=option(
        "Channel multiplier of the trunk (1.0 = the paper's network; smaller only for quick "
        "CPU runs).", panel=MODEL, min=0, max=4, min_open=True))
    am_margin: float = field(default=_M.am_margin, metadata=option(
        "AM-softmax margin m (the thesis; the released code uses 0.35).", panel=MODEL,
        min=0, max=2))
    am_scale: float = field(default=_M.am_scale, metadata=option(
        "AM-softmax scale s.", panel=MODEL, min=0, max=1000, min_open=True))
    contrastive_margin: float = field(default=_M.contrastive_margin, metadata=option(
        "Contrastive margin alpha on L2-normalised embeddings (Ch. 2 gives none; 0.6 is "
        "Ch. 6's best).", panel=MODEL, min=0, max=2, min_open=True))
    crop_seconds: float | None = field(default=None, metadata=option(
        "Random training crop (default: the trunk's, 3.0 for VGG-M and ResNet-34/50, 2.5 for "
        "Thin-ResNet-34).", panel=TRAINING, min=0, max=600, min_open=True))
    utts_per_speaker: int = field(default=2, metadata=option(
        "K of the P x K batches (P = batch size / K).", panel=TRAINING, min=1))
    lr: float = field(default=1e-3, metadata=option("Adam learning rate.", panel=TRAINING,
                                                    min=0, max=10, min_open=True))
    lr_schedule: str = field(default="thesis", metadata=option(
        "thesis: lr/10 every 36 epochs. code: the released Keras code's two-cycle step decay "
        "(x1, x0.1, x0.01 per half) with weight decay 1e-4.", choices=LR_SCHEDULES,
        panel=TRAINING))
    val_trials: str | None = field(default=None, metadata=option(
        "VoxCeleb-format trial list scored after every epoch (EER selects best.pt; its EER "
        "threshold is stored for verify-speaker). Needs --val-store.", panel=TRAINING))
    val_store: str | None = field(default=None, metadata=option(
        "Store with the spectrogram of the files in --val-trials (trial path "
        "id/video/00001.wav = store id id/video/00001).", panel=TRAINING))
    init: str | None = field(default=None, metadata=option(
        "Start from another speaker run's network, e.g. softmax pre-training (with --loss "
        "relation the trunk up to conv4 is then frozen).", panel=TRAINING))
