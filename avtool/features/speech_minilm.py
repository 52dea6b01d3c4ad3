"""`speech_minilm`: the speech expert of retrieval: Whisper's transcript, embedded by MiniLM.

The item's audio (16 kHz mono) is transcribed by avtool's default transcriber, Whisper
tiny.en (`avtool.tasks.transcribe.whisper.WhisperTranscriber`, offline, voice activity
filter on); the transcript's WordPiece tokens (at most `max_tokens`, [CLS]/[SEP] dropped)
are encoded by the frozen all-MiniLM-L6-v2 (`avtool.nn.minilm.WordpieceEncoder`), one 384-d
contextual vector per token: the Gabeur thesis's "ASR features, one per wordpiece, from
BERT" (Ch. 4), with MiniLM standing in for BERT-base. No speech (an empty transcript) gives zero rows: a
missing expert. Rows are **untimed** (``untimed = True``): the CE/MMT speech features carry
no time either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avtool.config import ranged
from avtool.features.base import SAMPLE_RATE, AudioExtractor, extractors


@dataclass(frozen=True)
class SpeechMinilmConfig:
    sample_rate: int = field(default=16_000, metadata=SAMPLE_RATE)
    max_tokens: int = field(default=64, metadata=ranged(1, 510))
    vad: bool = True


@extractors.register("speech_minilm")
class SpeechMinilmExtractor(AudioExtractor):
    name = "speech_minilm"
    config_type = SpeechMinilmConfig
    untimed = True

    def __init__(self, config=None, device: str = "cpu") -> None:
        super().__init__(config, device)
        self._transcriber = self._encoder = None
        self.last_text = ""

    @property
    def frame_rate(self) -> float:
        return 1.0  # untimed: rows are tokens, not frames (the store needs a positive rate)

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (384,)

    @property
    def model_checksum(self) -> str:
        from avtool.nn.minilm import weights_sha256

        return weights_sha256()

    def transcribe(self, wav: np.ndarray) -> str:
        if self._transcriber is None:
            from avtool.tasks.transcribe.whisper import WhisperTranscriber

            self._transcriber = WhisperTranscriber("cpu", threads=1, vad=self.config.vad)
        return self._transcriber.transcribe_audio(wav, "item").text.strip()

    def embed(self, text: str) -> np.ndarray:
        """(tokens, 384) contextual MiniLM vectors of `text` (zero rows for empty text)."""
        if self._encoder is None:
            from avtool.nn.minilm import WordpieceEncoder

            self._encoder = WordpieceEncoder(self.config.max_tokens)
        return self._encoder(text)

    def compute(self, wav: np.ndarray) -> np.ndarray:
        self.last_text = self.transcribe(wav)
        return self.embed(self.last_text)
