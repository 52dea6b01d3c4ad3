"""`avtool train avvp` and `avtool train avvp-pretrain` options: the one place their defaults
live. ``None`` means "the recipe's value" (``--hparams``), so single values override it."""

from __future__ import annotations

from dataclasses import dataclass, field

from avtool.tasks.avvp.config import HPARAMS, AvgConfig, HanConfig
from avtool.tasks.interface import option

MODEL = "AVVP network"
DATA = "AVVP data"
RECIPE = "AVVP recipe"
PRETRAIN = "AV grounding pretraining"
DEFAULT_VARIANT = "base+adv+skip+gcaa"


@dataclass(frozen=True)
class AvvpModelOptions:
    """Options of both AVVP tasks: which clips, which network."""

    split: str = field(default="train", metadata=option(
        "Store split to train on when --labels is not given (all items when the store records "
        "no split).", panel=DATA))
    variant: str = field(default=DEFAULT_VARIANT, metadata=option(
        "Model: han, base, base+gcaa, base+adv+skip, base+adv+skip+gcaa, or any han|base "
        "followed by +adv, +skip (base only), +gcaa.", panel=MODEL))
    d_model: int = field(default=HanConfig.d_model, metadata=option(
        "Model width.", panel=MODEL, min=1, max=65536))
    ffn: int = field(default=HanConfig.ffn, metadata=option(
        "Feed-forward width.", panel=MODEL, min=1, max=1 << 20))
    heads: int = field(default=HanConfig.heads, metadata=option(
        "Attention heads.", panel=MODEL, min=1, max=1024))
    layers: int = field(default=HanConfig.layers, metadata=option(
        "Attention layers.", panel=MODEL, min=1, max=1024))
    dropout: float = field(default=HanConfig.dropout, metadata=option(
        "Dropout.", panel=MODEL, min=0, max=1, max_open=True))
    gcaa_compat_bug: bool = field(default=HanConfig.gcaa_time0_bug, metadata=option(
        "Replicate the released GCAA indexing slip (snippet 0's attention output added to every "
        "snippet).", panel=MODEL, flag="--gcaa-compat-bug/--no-gcaa-compat-bug"))


@dataclass(frozen=True)
class AvvpOptions(AvvpModelOptions):
    labels: str | None = field(default=None, metadata=option(
        "Weak-label file (AVVP_train.csv format) naming the training clips and their labels "
        "(default: the store's items of --split with the labels in their meta).", panel=DATA))
    hparams: str = field(default="paper", metadata=option(
        "Recipe. paper: Lamba et al.'s stated values for base variants (Adam 3e-4 halved every "
        "5 epochs, batch 64, lambda_g 0.6, lambda_ad 0.4) and HAN's own recipe for han variants "
        "(3e-4 x0.1 every 10 epochs, batch 16, lambda_g 1); code: the released CML code (6e-4 "
        "halved every 6 epochs, batch 64, 0.3/0.3); han: HAN's recipe for any variant. 40 "
        "epochs. Sets --epochs/--batch-size unless given; single values below override it.",
        choices=tuple(HPARAMS), panel=RECIPE))
    lr: float | None = field(default=None, metadata=option(
        "Adam learning rate (the recipe's).", panel=RECIPE, min=0, max=10, min_open=True))
    lr_step: int | None = field(default=None, metadata=option(
        "Epochs between learning-rate decays (the recipe's).", panel=RECIPE, min=1))
    lr_gamma: float | None = field(default=None, metadata=option(
        "Learning-rate decay factor (the recipe's).", panel=RECIPE, min=0, max=1,
        min_open=True))
    lambda_g: float | None = field(default=None, metadata=option(
        "Weight of the modality-guided loss BCE(p_a) + BCE(p_v) (the recipe's).", panel=RECIPE,
        min=0, max=1000))
    lambda_ad: float | None = field(default=None, metadata=option(
        "Weight of the adversarial modality-discriminator loss (the recipe's).", panel=RECIPE,
        min=0, max=1000))
    smooth_audio: float | None = field(default=None, metadata=option(
        "Label smoothing eps of the audio stream's targets (the recipe's: 0).", panel=RECIPE,
        min=0, max=1))
    smooth_visual: float | None = field(default=None, metadata=option(
        "Label smoothing eps of the visual stream's targets (the recipe's: 0.1, i.e. "
        "0.9y + 0.05).", panel=RECIPE, min=0, max=1))
    val_labels_dir: str | None = field(default=None, metadata=option(
        "Folder with AVVP_val_pd.csv, AVVP_eval_audio.csv and AVVP_eval_visual.csv (as written "
        "by avtool synth avvp): validate every epoch and keep the best segment-level Type@AV as "
        "best.pt. Val features come from --val-store, else the training store.", panel=DATA))
    val_clips: str | None = field(default=None, metadata=option(
        "Weak-label file listing the validation clips (default: the label dir's "
        "AVVP_val_pd.csv, else the store's split val).", panel=DATA))
    val_gt_audio: str | None = field(default=None, metadata=option(
        "Dense audio annotations of the validation clips (AVVP_eval_audio.csv).", panel=DATA))
    val_gt_visual: str | None = field(default=None, metadata=option(
        "Dense visual annotations (AVVP_eval_visual.csv).", panel=DATA))
    val_store: str | None = field(default=None, metadata=option(
        "Store holding the validation clips' features (default: the training store).",
        panel=DATA))
    init: str | None = field(default=None, metadata=option(
        "Start from an avvp-pretrain run (its encoder) or an avvp run (the whole parser).",
        panel=MODEL))


@dataclass(frozen=True)
class AvvpPretrainOptions(AvvpModelOptions):
    objective: str = field(default=AvgConfig.objective, metadata=option(
        "AVG objective (multi = uni + cross).", choices=("uni", "cross", "multi"),
        panel=PRETRAIN))
    avg_schedule: str = field(default=AvgConfig.schedule, metadata=option(
        "multi: sum both losses every step (paper) or alternate uni / cross by epoch (released "
        "code).", choices=("sum", "alternate"), panel=PRETRAIN))
    margin_pos: float = field(default=AvgConfig.margin_pos, metadata=option(
        "Positive-pair cosine margin p.", panel=PRETRAIN, min=-1, max=1))
    margin_neg: float = field(default=AvgConfig.margin_neg, metadata=option(
        "Negative-pair cosine margin n.", panel=PRETRAIN, min=-1, max=1))
    avg_audio_threshold: float = field(default=AvgConfig.audio_threshold, metadata=option(
        "Pseudo-GT: audio cosine above which two snippets link.", panel=PRETRAIN, min=-1,
        max=1))
    avg_visual_threshold: float = field(default=AvgConfig.visual_threshold, metadata=option(
        "Pseudo-GT: frame-feature cosine above which two snippets link.", panel=PRETRAIN,
        min=-1, max=1))
    avg_edge: str = field(default=AvgConfig.edge, metadata=option(
        "Pseudo-GT link when the audio or the visual similarity is high (or, paper) or both "
        "(and, released code).", choices=("or", "and"), panel=PRETRAIN))
    lr: float = field(default=AvgConfig.lr, metadata=option(
        "Adam learning rate, constant (the code's 1e-6 was for a 136M-parameter UNITER).",
        panel=PRETRAIN, min=0, max=10, min_open=True))


def model_config(options: AvvpModelOptions) -> HanConfig:
    """The `HanConfig` of the options' width, heads, layers, dropout (variant switches and
    input sizes are set by the task from the variant and the store)."""
    from avtool.errors import ConfigError

    if options.d_model % options.heads:
        raise ConfigError(f"--d-model {options.d_model} is not divisible by --heads "
                          f"{options.heads}")
    if options.layers < 1:
        raise ConfigError("--layers must be >= 1")
    return HanConfig(d_model=options.d_model, ffn=options.ffn, heads=options.heads,
                     layers=options.layers, dropout=options.dropout,
                     gcaa_time0_bug=options.gcaa_compat_bug)
