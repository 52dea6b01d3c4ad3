"""AVATAR's network sizes (`AvatarConfig`) and size presets, importable without torch.

`AvatarConfig()` is the thesis's network (Gabeur §5.2.1, digest retrieval-asr-002 §5.2):
ViT-Base streams (d 768, 12 layers, 12 heads, MLP 3072) with 4 bottleneck tokens and fusion
from layer 8 (0-indexed as in MBT's code: layers 0-7 unimodal, 8-11 fused), 25-s audio as
80-bin fbank cut into 16x16 patches (5 x 156 = 780 tokens), 2 RGB frames at 224 x 224 cut
into 16x16x2 tubelets (196 tokens), and an 8-layer, 4-head decoder over BERT's 30,522
WordPieces. What the thesis leaves open is chosen here, and said so:

* decoder width = encoder width (768) and MLP 4 x width; dropout 0.1 everywhere;
* pre-LN blocks in the encoder (MBT/ViT) and in the decoder (stable from scratch; Vaswani's
  decoder is post-LN); output projection tied to the token embedding;
* at most 128 target tokens including [CLS] and [SEP];
* the audio window caps the input (25 s -> 156 time patches; longer audio is cut); shorter
  audio is not padded to 25 s: padded patches are masked out of attention instead.

``small`` and ``tiny`` are CPU sizes (`PRESETS`); any field can be overridden one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from avtool.errors import ConfigError

MODALITIES = {"a": ("audio",), "av": ("audio", "rgb")}


@dataclass(frozen=True)
class AvatarConfig:
    modalities: tuple[str, ...] = ("audio", "rgb")  # ("audio",): the audio-only model (A)
    d_model: int = 768
    layers: int = 12
    heads: int = 12
    mlp: int = 3072
    fusion_layer: int = 8  # first fused layer (0-indexed); == layers: no fusion
    bottlenecks: int = 4
    dropout: float = 0.1
    mel_bins: int = 80
    audio_patch: tuple[int, int] = (16, 16)  # (time frames, mel bins)
    max_audio_frames: int = 2500  # 25 s at 100 fps
    image_size: int = 224
    frames: int = 2
    frame_gap: float = 0.4  # seconds between sampled frames (2.5 fps)
    tubelet: tuple[int, int, int] = (2, 16, 16)  # (frames, height, width)
    decoder_layers: int = 8
    decoder_heads: int = 4
    decoder_mlp: int = 3072
    vocab_size: int = 30522
    max_target_tokens: int = 128

    @property
    def audio_only(self) -> bool:
        return self.modalities == ("audio",)

    @property
    def max_time_patches(self) -> int:
        return self.max_audio_frames // self.audio_patch[0]

    @property
    def freq_patches(self) -> int:
        return self.mel_bins // self.audio_patch[1]

    @property
    def rgb_tokens(self) -> int:
        t, h, w = self.tubelet
        return (self.frames // t) * (self.image_size // h) * (self.image_size // w)

    def check(self) -> AvatarConfig:
        """The config itself, or a `ConfigError` naming the option that does not fit."""
        if self.modalities not in MODALITIES.values():
            raise ConfigError(f"modalities {self.modalities}: expected audio or audio+rgb")
        for name in ("d_model", "layers", "heads", "mlp", "decoder_layers", "decoder_heads",
                     "decoder_mlp", "max_target_tokens", "max_audio_frames"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 1")
        if self.d_model % self.heads or self.d_model % self.decoder_heads:
            raise ConfigError(f"--d-model {self.d_model} must be divisible by --heads "
                              f"{self.heads} and --decoder-heads {self.decoder_heads}")
        if not 0 <= self.fusion_layer <= self.layers:
            raise ConfigError(f"--fusion-layer {self.fusion_layer} must be in 0..--layers "
                              f"({self.layers})")
        if self.bottlenecks < 1 and not self.audio_only and self.fusion_layer < self.layers:
            raise ConfigError("--bottlenecks must be >= 1 when the modalities are fused")
        if self.mel_bins % self.audio_patch[1] or self.max_time_patches < 1:
            raise ConfigError(f"{self.mel_bins} mel bins do not split into patches of "
                              f"{self.audio_patch[1]} (or the audio window is shorter than "
                              "one patch)")
        t, h, w = self.tubelet
        if self.frames % t or self.image_size % h or self.image_size % w:
            raise ConfigError(f"--image-size {self.image_size} and {self.frames} frames do not "
                              f"split into {t}x{h}x{w} tubelets")
        if self.max_target_tokens < 3:
            raise ConfigError("--max-target-tokens must leave room for a word and [CLS]/[SEP]")
        return self


PRESETS: dict[str, dict[str, Any]] = {
    "paper": {},
    "small": dict(d_model=256, layers=6, heads=4, mlp=1024, fusion_layer=4, image_size=112,
                  max_audio_frames=800, decoder_layers=4, decoder_heads=4, decoder_mlp=1024,
                  max_target_tokens=64),
    "tiny": dict(d_model=128, layers=4, heads=4, mlp=256, fusion_layer=2, image_size=64,
                 max_audio_frames=600, decoder_layers=2, decoder_heads=4, decoder_mlp=256,
                 max_target_tokens=48),
}


def preset_config(name: str, **overrides: Any) -> AvatarConfig:
    """The `PRESETS` entry `name` with the non-None `overrides` applied, checked."""
    if name not in PRESETS:
        raise ConfigError(f"--size {name!r}: expected one of {', '.join(PRESETS)}")
    fields = {**PRESETS[name], **{k: v for k, v in overrides.items() if v is not None}}
    return replace(AvatarConfig(), **fields).check()


def describe(cfg: AvatarConfig) -> str:
    """One line of sizes, for logs and --help."""
    rgb = "" if cfg.audio_only else (f", {cfg.frames}x{cfg.image_size}^2 RGB -> "
                                     f"{cfg.rgb_tokens} tokens, {cfg.bottlenecks} bottlenecks "
                                     f"from layer {cfg.fusion_layer}")
    return (f"d {cfg.d_model}, {cfg.layers} layers x {cfg.heads} heads, MLP {cfg.mlp}; audio "
            f"<= {cfg.max_audio_frames / 100:g} s -> <= {cfg.max_time_patches * cfg.freq_patches}"
            f" tokens{rgb}; decoder {cfg.decoder_layers} x {cfg.decoder_heads} heads")


#: Batch size and epochs of each size (``--batch-size`` / ``--epochs`` override them). paper:
#: the thesis's finetuning batch of 256 (it counts 40K iterations; avtool counts epochs).
RECIPES: dict[str, dict[str, int]] = {
    "paper": {"batch_size": 256, "epochs": 40},
    "small": {"batch_size": 16, "epochs": 30},
    "tiny": {"batch_size": 8, "epochs": 30},
}
