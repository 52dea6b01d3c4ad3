"""`audio_net`: retrieval's trained audio expert, a VGGish stand-in (`avtool.features.expert_nets`).

Each 1-s segment's VGGish input (the first 0.96 s of VGGish's log-mel, 96 x 64, exactly what
``llp_audio``'s model plug-in takes) goes through `AudioNet`, trained on avtool's 18
synthetic sound classes plus speech; its 128-d penultimate layer is the feature. One row per
second, `segments` rows (the clip is zero-padded or trimmed to that many seconds).

Example: ``avtool extract-features videos/ --feature audio_net:segments=4 --out experts.h5``
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avtool.errors import MediaError
from avtool.features.base import SAMPLE_RATE, SEGMENTS, AudioExtractor, extractors
from avtool.features.expert_nets import ShippedNetPlugin
from avtool.features.llp_audio import segment_logmel, vggish_examples


@dataclass(frozen=True)
class AudioNetConfig:
    sample_rate: int = field(default=16_000, metadata=SAMPLE_RATE)
    segments: int = field(default=10, metadata=SEGMENTS)
    weights: str = ""  # empty: the network that ships with avtool


@extractors.register("audio_net")
class AudioNetExtractor(ShippedNetPlugin, AudioExtractor):
    name = "audio_net"
    kind = "audio"
    config_type = AudioNetConfig

    @property
    def frame_rate(self) -> float:
        return 1.0

    def compute(self, wav: np.ndarray) -> np.ndarray:
        if self.config.sample_rate != 16_000:
            raise MediaError("audio_net: the VGGish front end is defined at 16 kHz only")
        return self.embed(vggish_examples(segment_logmel(wav, self.config.segments)))
