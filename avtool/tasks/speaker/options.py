"""`avtool train speaker` options: the one place their defaults live.

Choices come from the registries of `avtool.tasks.speaker.zoo`, which import no torch, so
``avtool train speaker --help`` stays fast. ``None`` means "the trunk's (or the network
config's) value", so the task can tell what the user set.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from avtool.tasks.interface import option
from avtool.tasks.speaker.zoo import EMBEDDINGS, SpeakerModelConfig, losses, pools, trunks

LR_SCHEDULES = ("thesis", "code", "cosine")
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
        "Loss. softmax, amsoftmax, contrastive, relation: the thesis (contrastive and relation "
        "are fine-tuning stages: start them from a softmax run with --init). aamsoftmax "
        "(ArcFace margin), angleproto (angular prototypical, needs --utts-per-speaker >= 2), "
        "softmaxproto (softmax + angular prototypical): Chung et al. 2020 / "
        "clovaai/voxceleb_trainer.", choices=losses.names, panel=MODEL))
    embedding: str = field(default=_M.embedding, metadata=option(
        "End of the embedding layer: relu (the thesis and the released code: fc6 + ReLU, "
        "scored after the ReLU, so every cosine is >= 0 and scores bunch near 1), linear (no "
        "activation) or bn (linear + BatchNorm: also removes the offset all embeddings share; "
        "the fix for the collapsed score spread).",
        choices=EMBEDDINGS, panel=MODEL))
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
    aam_margin: float = field(default=_M.aam_margin, metadata=option(
        "AAM-softmax angular margin m in radians (Chung et al. 2020; ArcFace's faces: 0.5).",
        panel=MODEL, min=0, max=1.5, max_open=True))
    aam_scale: float = field(default=_M.aam_scale, metadata=option(
        "AAM-softmax scale s (Chung et al. 2020; ArcFace's faces: 64).", panel=MODEL, min=0,
        max=1000, min_open=True))
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
        "(x1, x0.1, x0.01 per half) with weight decay 1e-4. cosine: half a cosine from lr to 0 "
        "over the run, per epoch (not in the thesis; for short runs).", choices=LR_SCHEDULES,
        panel=TRAINING))
    val_trials: str | None = field(default=None, metadata=option(
        "VoxCeleb-format trial list scored after every epoch (EER selects best.pt; its EER "
        "threshold is stored for verify-speaker). Needs --val-store.", panel=TRAINING))
    val_store: str | None = field(default=None, metadata=option(
        "Store with the spectrogram of the files in --val-trials (trial path "
        "id/video/00001.wav = store id id/video/00001).", panel=TRAINING))
    augment: str = field(default="none", metadata=option(
        "On-line augmentation, a comma list of noise (avtool's synthetic sound classes, SNR "
        "0-15 dB), babble (3-7 other training speakers, SNR 13-20 dB), reverb (simulated room "
        "response, RT60 0.2-0.8 s), speed (x0.9/x1.1 as new speakers), specaugment (2 "
        "frequency masks <= 27 bins, 2 time masks <= 20 percent of the crop), or all / none (the "
        "thesis). Per crop one of noise/babble/reverb or nothing is drawn. Waveform kinds need "
        "--store to be a wav folder or manifest.", panel=TRAINING))
    init: str | None = field(default=None, metadata=option(
        "Start from another speaker run's network, e.g. softmax pre-training (with --loss "
        "relation the trunk up to conv4 is then frozen).", panel=TRAINING))
