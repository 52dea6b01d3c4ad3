"""`avtool train --task NAME`: train a task's model on a feature store with the shared trainer.

Options shared by every task come first; each task's own options sit in their own help panel.
An option that does not apply to the chosen task is an error, never silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import Device, DeviceOpt, SeedOpt
from avtool.tasks.avvp.cli import train_options as ato
from avtool.tasks.speaker.cli import train_options as sto

_COMMON = "Common options"
_COMMON_PARAMS = {"task", "store", "out", "epochs", "batch_size", "lr", "resume", "no_amp",
                  "seed", "device", "workers"}


def train(
    ctx: typer.Context,
    task: Annotated[str, typer.Option("--task", help="Task to train (e.g. speaker, avvp).",
                                      rich_help_panel=_COMMON)],
    store: Annotated[Path, typer.Option("--store", help="Training feature store (.h5).",
                                        rich_help_panel=_COMMON)],
    out: Annotated[Path, typer.Option("--out", help="Run directory for checkpoints.",
                                      rich_help_panel=_COMMON)],
    epochs: Annotated[int, typer.Option("--epochs", min=1, rich_help_panel=_COMMON)] = 10,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1,
                                            rich_help_panel=_COMMON)] = 32,
    lr: Annotated[float | None, typer.Option(
        "--lr", help="Learning rate (default: the task's paper value).",
        rich_help_panel=_COMMON)] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from RUN_DIR/last.pt.",
                                         rich_help_panel=_COMMON)] = False,
    no_amp: Annotated[bool, typer.Option("--no-amp", help="Disable mixed precision on CUDA.",
                                         rich_help_panel=_COMMON)] = False,
    seed: SeedOpt = 0,
    device: DeviceOpt = Device.auto,
    workers: Annotated[int, typer.Option("--workers", min=0, help="DataLoader worker "
                                         "processes (0: load in the main process).",
                                         rich_help_panel=_COMMON)] = 0,
    # Task options: each task adds its own below, in its own rich_help_panel, default None.
    model: sto.ModelOpt = None,
    pool: sto.PoolOpt = None,
    loss: sto.LossOpt = None,
    crop_seconds: sto.CropOpt = None,
    utts_per_speaker: sto.KOpt = None,
    emb_dim: sto.EmbDimOpt = None,
    clusters: sto.ClustersOpt = None,
    ghost_clusters: sto.GhostOpt = None,
    am_margin: sto.AmMarginOpt = None,
    am_scale: sto.AmScaleOpt = None,
    contrastive_margin: sto.ContrastiveMarginOpt = None,
    width: sto.WidthOpt = None,
    lr_schedule: sto.LrScheduleOpt = None,
    val_trials: sto.ValTrialsOpt = None,
    val_store: sto.ValStoreOpt = None,
    init: sto.InitOpt = None,
    labels: ato.LabelsOpt = None,
    split: ato.SplitOpt = None,
    variant: ato.VariantOpt = None,
    hparams: ato.HparamsOpt = None,
    val_labels_dir: ato.ValLabelsDirOpt = None,
    val_clips: ato.ValClipsOpt = None,
    val_gt_audio: ato.ValGtAudioOpt = None,
    val_gt_visual: ato.ValGtVisualOpt = None,
    lambda_g: ato.LambdaGOpt = None,
    lambda_ad: ato.LambdaAdOpt = None,
    smooth_audio: ato.SmoothAudioOpt = None,
    smooth_visual: ato.SmoothVisualOpt = None,
    lr_step: ato.LrStepOpt = None,
    lr_gamma: ato.LrGammaOpt = None,
    d_model: ato.DModelOpt = None,
    heads: ato.HeadsOpt = None,
    layers: ato.LayersOpt = None,
    dropout: ato.DropoutOpt = None,
    gcaa_compat_bug: ato.GcaaBugOpt = None,
    objective: ato.ObjectiveOpt = None,
    avg_schedule: ato.AvgScheduleOpt = None,
    margin_pos: ato.MarginPosOpt = None,
    margin_neg: ato.MarginNegOpt = None,
    avg_audio_threshold: ato.AvgAudioThOpt = None,
    avg_visual_threshold: ato.AvgVisualThOpt = None,
    avg_edge: ato.AvgEdgeOpt = None,
) -> None:
    """Train a model. Launch under torchrun for DDP (gloo on CPU, NCCL on GPUs).

    Example:
      avtool train --task speaker --store train.h5 --model thin-resnet34 --pool ghostvlad \\
        --loss amsoftmax --epochs 5 --out runs/tr34

    Example: avtool train --task avvp --store llp.h5 --val-labels-dir labels --variant base+adv+skip+gcaa --out runs/avvp
    """
    from avtool import tasks
    from avtool.console import print_json
    from avtool.train import TrainConfig

    tasks.load_all()
    runner = tasks.trainers.get(task)
    config = TrainConfig(epochs=epochs, batch_size=batch_size, seed=seed, device=device.value,
                         workers=workers, amp=not no_amp)
    # Only the task options the user gave; the task rejects any it does not take.
    options = {k: v for k, v in ctx.params.items() if k not in _COMMON_PARAMS and v is not None}
    options.update(store=store, lr=lr)
    # Common options left at their defaults: a task's preset may choose them (avvp: epochs).
    options["defaulted"] = sorted(k for k in _COMMON_PARAMS
                                  if ctx.get_parameter_source(k).name == "DEFAULT")
    result = runner(options, config, out, resume)
    print_json({"out": str(result.out_dir), "best": result.best,
                "last": result.history[-1] if result.history else None})
