"""The grounding network's config: what `MaltaNet` is built from, kept in the checkpoint.

Modalities (`MODALITIES`): ``video`` and ``audio`` feature streams pooled on the M-segment
grid, and ``transcript``, the words spoken in each segment read through the caption's word
embeddings (the paper's Video+Transcript skyline). V-ONLY (= ABLR) is ``("video",)``, A-ONLY
``("audio",)``, MALTA ``("video", "audio")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from avtool.config import ranged

MODALITIES = ("video", "audio", "transcript")
SENTENCE_VECTORS = ("mean", "final")
HEADS = ("relu", "sigmoid")
ATTENTIONS = ("soft", "hard")


@dataclass(frozen=True)
class MaltaNetConfig:
    vocab_size: int = field(default=2, metadata=ranged(2, 10_000_000))
    embedding: int = field(default=300, metadata=ranged(1, 4096))
    hidden: int = field(default=256, metadata=ranged(1, 4096))
    attention: int = field(default=256, metadata=ranged(1, 4096))
    segments: int = field(default=32, metadata=ranged(2, 4096))
    reg_hidden: int = field(default=64, metadata=ranged(1, 4096))
    modalities: tuple[str, ...] = ("video",)
    video_dim: int = field(default=0, metadata=ranged(0, 1_000_000))
    audio_dim: int = field(default=0, metadata=ranged(0, 1_000_000))
    sentence: str = "mean"
    share_steps: bool = True
    head: str = "relu"
    attention_source: str = "soft"
    dropout: float = field(default=0.5, metadata=ranged(0, 1, max_open=True))
    train_embeddings: bool = True

    def check(self) -> None:
        from avtool.errors import ConfigError

        if not self.modalities or any(m not in MODALITIES for m in self.modalities):
            raise ConfigError(f"modalities {self.modalities}: choose from {', '.join(MODALITIES)}")
        if "video" in self.modalities and self.video_dim < 1:
            raise ConfigError("the video modality needs video_dim >= 1")
        if "audio" in self.modalities and self.audio_dim < 1:
            raise ConfigError("the audio modality needs audio_dim >= 1")
        for name, value, allowed in (("sentence", self.sentence, SENTENCE_VECTORS),
                                     ("head", self.head, HEADS),
                                     ("attention_source", self.attention_source, ATTENTIONS)):
            if value not in allowed:
                raise ConfigError(f"{name} {value!r}: choose one of {', '.join(allowed)}")
