"""Options of ``avtool train --task speaker`` (declared here, used in avtool/cli/train.py).

Choices come from the registries of :mod:`avtool.tasks.speaker.zoo`, which import no torch, so
``avtool train --help`` stays fast. Defaults are ``None`` so the task knows what the user set;
the effective defaults (per trunk) live in the task and the model config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.tasks.speaker.zoo import losses, pools, trunks

_COMMON = "Common options"
PANEL = "Speaker task (--task speaker)"


def _trunk_help() -> str:
    parts = [f"{name} ({trunks.get(name).emb_dim}-D, {trunks.get(name).crop_seconds:g} s crops, "
             f"{trunks.get(name).feature})" for name in trunks.names()]
    return "Trunk: " + "; ".join(parts) + ". Default thin-resnet34."


ModelOpt = Annotated[str | None, typer.Option(
    "--model", help=_trunk_help(), rich_help_panel=PANEL, show_default=False)]
PoolOpt = Annotated[str | None, typer.Option(
    "--pool", help=f"Aggregation: {', '.join(pools.names())}. Default ghostvlad.",
    rich_help_panel=PANEL, show_default=False)]
LossOpt = Annotated[str | None, typer.Option(
    "--loss", help=f"Loss: {', '.join(losses.names())}. Default softmax. contrastive and "
    "relation are fine-tuning stages: start them from a softmax run with --init.",
    rich_help_panel=PANEL, show_default=False)]
CropOpt = Annotated[float | None, typer.Option(
    "--crop-seconds", help="Random training crop (default: 3.0 for VGG-M and ResNet-34/50, "
    "2.5 for Thin-ResNet-34).", rich_help_panel=PANEL, show_default=False)]
KOpt = Annotated[int | None, typer.Option(
    "--utts-per-speaker", help="K of the P x K batches (P = batch size / K). Default 2.",
    rich_help_panel=PANEL, show_default=False)]
EmbDimOpt = Annotated[int | None, typer.Option(
    "--emb-dim", help="Embedding size (default 1024 for VGG-M, 512 otherwise).",
    rich_help_panel=PANEL, show_default=False)]
ClustersOpt = Annotated[int | None, typer.Option(
    "--clusters", help="NetVLAD/GhostVLAD clusters K (default 8, the released model).",
    rich_help_panel=PANEL, show_default=False)]
GhostOpt = Annotated[int | None, typer.Option(
    "--ghost-clusters", help="GhostVLAD ghost clusters G (default 2, the thesis).",
    rich_help_panel=PANEL, show_default=False)]
AmMarginOpt = Annotated[float | None, typer.Option(
    "--am-margin", help="AM-softmax margin m (default 0.4, the thesis; the released code uses "
    "0.35).", rich_help_panel=PANEL, show_default=False)]
AmScaleOpt = Annotated[float | None, typer.Option(
    "--am-scale", help="AM-softmax scale s (default 30).", rich_help_panel=PANEL,
    show_default=False)]
ContrastiveMarginOpt = Annotated[float | None, typer.Option(
    "--contrastive-margin", help="Contrastive margin alpha on L2-normalised embeddings "
    "(default 0.6; Ch. 2 gives none, 0.6 is Ch. 6's best).", rich_help_panel=PANEL,
    show_default=False)]
WidthOpt = Annotated[float | None, typer.Option(
    "--width", help="Channel multiplier of the trunk (default 1.0 = the paper's network; "
    "smaller only for quick CPU runs).", rich_help_panel=PANEL, show_default=False)]
LrScheduleOpt = Annotated[str | None, typer.Option(
    "--lr-schedule", help="thesis (default): Adam, lr/10 every 36 epochs. code: the released "
    "Keras code's two-cycle step decay (x1, x0.1, x0.01 per half) with weight decay 1e-4.",
    rich_help_panel=PANEL, show_default=False)]
ValTrialsOpt = Annotated[Path | None, typer.Option(
    "--val-trials", help="VoxCeleb-format trial list scored after every epoch (EER selects "
    "best.pt; its EER threshold is stored for verify-speaker).", rich_help_panel=PANEL,
    show_default=False)]
ValStoreOpt = Annotated[Path | None, typer.Option(
    "--val-store", help="Validation store. speaker: the spectrogram of the files in "
    "--val-trials (trial path id/video/00001.wav = store id id/video/00001); avvp: the "
    "validation clips' features (default: the training store).", rich_help_panel=_COMMON,
    show_default=False)]
InitOpt = Annotated[Path | None, typer.Option(
    "--init", help="Start from another checkpoint's network. speaker: e.g. softmax "
    "pre-training (with --loss relation the trunk up to conv4 is frozen); avvp: an "
    "avvp-pretrain run (its encoder) or an avvp run.", rich_help_panel=_COMMON,
    show_default=False)]
