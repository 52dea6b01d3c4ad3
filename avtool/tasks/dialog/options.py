"""`avtool train dialog` options: the one place their defaults live. Size options left out
(None) take the chosen architecture's published sizes (`avtool.tasks.dialog.config`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from avtool.tasks.dialog.config import ARCHITECTURES, DECODER_INITS, DESCRIPTIONS, LOSSES
from avtool.tasks.interface import option

DATA = "Dialog data"
MODEL = "Dialog network"
ST = "Student-teacher"
RECIPE = "Dialog recipe"


@dataclass(frozen=True)
class DialogOptions:
    dialogs: str = field(default="", metadata=option(
        "Training dialogs in the DSTC7-AVSD JSON schema (train_set4DSTC7-AVSD.json); the "
        "store holds their videos' features by image_id.", panel=DATA))
    val_dialogs: str | None = field(default=None, metadata=option(
        "Validation dialogs (valid_set4DSTC7-AVSD.json): perplexity after every epoch picks "
        "best.pt and halves the learning rate when it does not improve.", panel=DATA))
    features: str = field(default="auto", metadata=option(
        "Feature streams, comma-separated store feature names in order (auto: i3d_rgb,"
        "i3d_flow,vggish when the store has them, else the CPU stand-ins llp_frame,"
        "llp_motion,llp_audio; dstc7-baseline: the first two, as its run_i3d.sh).",
        panel=DATA))
    description: str = field(default="none", metadata=option(
        "Text read before every question (Hori et al.: the manual description): none, the "
        "dialog's caption, or its summary. With --loss ce the model reads it at answer time "
        "too (the paper's man./man. row); the student-teacher losses take the teacher's.",
        choices=DESCRIPTIONS, panel=DATA))
    standardize: bool = field(default=True, metadata=option(
        "Standardise every feature dimension with the training videos' mean and deviation "
        "(kept in the checkpoint; not in the paper, which feeds I3D/VGGish as they are).",
        panel=DATA, flag="--standardize/--no-standardize"))
    max_history: int = field(default=9, metadata=option(
        "Most recent QA pairs the history encoder reads (the model's limit; a ten-turn "
        "dialog's last turn has nine).", panel=DATA, min=0, max=1000))
    min_count: int = field(default=4, metadata=option(
        "Vocabulary: words seen at least this often in the training questions and answers "
        "(the paper's 4; the DSTC7 baseline's 2). Ignored with a --teacher, whose vocabulary "
        "the student shares.", panel=DATA, min=1, max=1_000_000))
    model: str = field(default="multimodal-attention", metadata=option(
        "multimodal-attention: Hori et al. 2019 (BLSTM encoders, temporal attention per "
        "stream and modality attention recomputed from the decoder state at every step); "
        "dstc7-baseline: the released DSTC7 baseline (static question-guided attention, naive "
        "fusion), without its bugs.", choices=ARCHITECTURES, panel=MODEL))
    embedding: int | None = field(default=None, metadata=option(
        "Word embedding size (default: 200, baseline 100).", panel=MODEL, min=1, max=65536))
    hidden: int | None = field(default=None, metadata=option(
        "Question and history LSTM units per direction (default: 256, baseline 128).",
        panel=MODEL, min=1, max=65536))
    projections: str | None = field(default=None, metadata=option(
        "Projection width per stream, comma-separated (default: 64 for inputs of <= 128 dims, "
        "else 512: the paper's 2048->512, 128->64).", panel=MODEL))
    attention: int | None = field(default=None, metadata=option(
        "Attention size (default 128; not in the paper).", panel=MODEL, min=1, max=65536))
    fusion: int | None = field(default=None, metadata=option(
        "Fused context size g (default 256; not in the paper).", panel=MODEL, min=1,
        max=65536))
    decoder: int | None = field(default=None, metadata=option(
        "Decoder LSTM units (default: 512, not in the paper; baseline 128).", panel=MODEL,
        min=1, max=65536))
    decoder_layers: int | None = field(default=None, metadata=option(
        "Decoder LSTM layers (default: 1, baseline 2).", panel=MODEL, min=1, max=16))
    decoder_init: str = field(default="zero", metadata=option(
        "The decoder state before <sos> (not in the paper): zero (digest avsd-004's "
        "reconstruction), or question, a tanh projection of the question encoder's last "
        "state (multimodal-attention only).", choices=DECODER_INITS, panel=MODEL))
    dropout: float = field(default=0.5, metadata=option(
        "Dropout on encoder outputs, between decoder layers and before the output layer "
        "(off at answer time).", panel=MODEL, min=0, max=1, max_open=True))
    loss: str = field(default="ce", metadata=option(
        "ce: cross entropy; st: L_ST, soft targets of a fixed --teacher (Eq. 9); st-mse: "
        "L'_ST, plus lambda_c x MSE of the fused context vectors g_i (Eq. 10); jst: L_JST, "
        "teacher and student trained together (Eq. 11: the soft-target term trains only the "
        "student, the teacher's CE only the teacher, the MSE both).", choices=LOSSES,
        panel=ST))
    teacher: str | None = field(default=None, metadata=option(
        "RUN_DIR or .pt of an avtool train dialog run that read a --description: the teacher "
        "(required by st and st-mse; jst starts its teacher from it, or from scratch "
        "without). The student gets the teacher's architecture, sizes, streams and "
        "vocabulary.", panel=ST))
    lambda_c: float = field(default=1.0, metadata=option(
        "Weight of the context-vector MSE in st-mse and jst (not in the paper).", panel=ST,
        min=0, max=1e6))
    lr: float = field(default=1e-3, metadata=option(
        "Adam learning rate.", panel=RECIPE, min=0, max=10, min_open=True))
    halve_lr: bool = field(default=True, metadata=option(
        "Halve the learning rate after an epoch whose validation perplexity did not improve "
        "(the paper's schedule; needs --val-dialogs).", panel=RECIPE,
        flag="--halve-lr/--no-halve-lr"))
