"""The `avtool train` options of the AVVP tasks (``--task avvp`` and ``--task avvp-pretrain``).

Declared here as Annotated aliases so `avtool/cli/train.py` only lists them. ``--val-store``
and ``--init`` are shared with the speaker task (declared in its panel): for avvp they mean
the store holding the validation clips' features and a checkpoint of ``avvp-pretrain`` (its
encoder) or ``avvp`` (the whole parser) to start from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PANEL = "AVVP task (--task avvp, avvp-pretrain)"
PRETRAIN = "AVVP grounding pretraining (--task avvp-pretrain)"


def _opt(flag: str, help_: str, panel: str = PANEL) -> typer.models.OptionInfo:
    return typer.Option(flag, help=help_, rich_help_panel=panel, show_default=False)


LabelsOpt = Annotated[Path | None, _opt(
    "--labels", "Weak-label file (AVVP_train.csv format) naming the training clips and their "
    "labels. Default: the store's items of --split with the labels in their meta.")]
SplitOpt = Annotated[str | None, _opt(
    "--split", "Store split to train on when --labels is not given (default train; all items "
    "when the store records no split).")]
VariantOpt = Annotated[str | None, _opt(
    "--variant", "Model: han, base, base+gcaa, base+adv+skip, base+adv+skip+gcaa, or any "
    "han|base followed by +adv, +skip (base only), +gcaa (default base+adv+skip+gcaa).")]
HparamsOpt = Annotated[str | None, _opt(
    "--hparams", "Recipe: paper (default: Lamba et al.'s stated values for base variants: Adam "
    "3e-4 halved every 5 epochs, batch 64, lambda_g 0.6, lambda_ad 0.4; HAN's own recipe for "
    "han variants: 3e-4 x0.1 every 10 epochs, batch 16, lambda_g 1), code (the released CML "
    "code: 6e-4 halved every 6 epochs, batch 64, 0.3/0.3) or han (HAN's recipe for any "
    "variant). 40 epochs. Sets --epochs/--batch-size unless given; single values below "
    "override it.")]
ValLabelsDirOpt = Annotated[Path | None, _opt(
    "--val-labels-dir", "Folder with AVVP_val_pd.csv, AVVP_eval_audio.csv and "
    "AVVP_eval_visual.csv (as written by avtool synth avvp): validate every epoch and keep "
    "the best segment-level Type@AV as best.pt. Val features come from --val-store, else the "
    "training store.")]
ValClipsOpt = Annotated[Path | None, _opt(
    "--val-clips", "Weak-label file listing the validation clips (default: the label dir's "
    "AVVP_val_pd.csv, else the store's split val).")]
ValGtAudioOpt = Annotated[Path | None, _opt(
    "--val-gt-audio", "Dense audio annotations of the validation clips (AVVP_eval_audio.csv).")]
ValGtVisualOpt = Annotated[Path | None, _opt(
    "--val-gt-visual", "Dense visual annotations (AVVP_eval_visual.csv).")]
LambdaGOpt = Annotated[float | None, _opt(
    "--lambda-g", "Weight of the modality-guided loss BCE(p_a) + BCE(p_v) (preset value).")]
LambdaAdOpt = Annotated[float | None, _opt(
    "--lambda-ad", "Weight of the adversarial modality-discriminator loss (preset value).")]
SmoothAudioOpt = Annotated[float | None, _opt(
    "--smooth-audio", "Label smoothing eps of the audio stream's targets (default 0).")]
SmoothVisualOpt = Annotated[float | None, _opt(
    "--smooth-visual", "Label smoothing eps of the visual stream's targets (default 0.1: "
    "0.9y + 0.05).")]
LrStepOpt = Annotated[int | None, _opt(
    "--lr-step", "Epochs between learning-rate decays (preset value).")]
LrGammaOpt = Annotated[float | None, _opt(
    "--lr-gamma", "Learning-rate decay factor (preset value).")]
DModelOpt = Annotated[int | None, _opt("--d-model", "Model width (default 512).")]
HeadsOpt = Annotated[int | None, _opt("--heads", "Attention heads (default 1).")]
LayersOpt = Annotated[int | None, _opt("--layers", "Attention layers (default 1).")]
DropoutOpt = Annotated[float | None, _opt("--dropout", "Dropout (default 0.1).")]
GcaaBugOpt = Annotated[bool | None, _opt(
    "--gcaa-compat-bug/--no-gcaa-compat-bug", "Replicate the released GCAA indexing slip (snippet 0's attention "
    "output added to every snippet).")]

ObjectiveOpt = Annotated[str | None, _opt(
    "--objective", "AVG objective: uni, cross or multi (default multi = uni + cross).",
    PRETRAIN)]
AvgScheduleOpt = Annotated[str | None, _opt(
    "--avg-schedule", "multi: sum both losses every step (paper, default) or alternate uni / "
    "cross by epoch (released code).", PRETRAIN)]
MarginPosOpt = Annotated[float | None, _opt(
    "--margin-pos", "Positive-pair cosine margin p (default 0.7).", PRETRAIN)]
MarginNegOpt = Annotated[float | None, _opt(
    "--margin-neg", "Negative-pair cosine margin n (default 0.7).", PRETRAIN)]
AvgAudioThOpt = Annotated[float | None, _opt(
    "--avg-audio-threshold", "Pseudo-GT: audio cosine above which two snippets link "
    "(default 0.99).", PRETRAIN)]
AvgVisualThOpt = Annotated[float | None, _opt(
    "--avg-visual-threshold", "Pseudo-GT: frame-feature cosine above which two snippets link "
    "(default 0.96).", PRETRAIN)]
AvgEdgeOpt = Annotated[str | None, _opt(
    "--avg-edge", "Pseudo-GT link when the audio or the visual similarity is high (or, paper, "
    "default) or both (and, released code).", PRETRAIN)]
