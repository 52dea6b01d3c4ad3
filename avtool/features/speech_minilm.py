"""`speech_minilm`: the speech expert of retrieval: Whisper's transcript, embedded by MiniLM.

The item's audio (16 kHz mono) is transcribed by avtool's default transcriber, Whisper
tiny.en (`avtool.tasks.transcribe.whisper.WhisperTranscriber`, offline, voice activity
filter on); the transcript's WordPiece tokens (at most `max_tokens`, [CLS]/[SEP] dropped)
are encoded by the frozen all-MiniLM-L6-v2 (`avtool.nn.minilm`), one 384-d contextual vector
per token: the Gabeur thesis's "ASR features, one per wordpiece, from BERT" (Ch. 4), with
MiniLM standing in for BERT-base. No speech (an empty transcript) gives zero rows: a
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
        self._transcriber = self._encoder = self._tokenizer = None
        self.last_text = ""

    @property
    def frame_rate(self) -> float:
        return 1.0  # untimed: rows are tokens, not frames (the store needs a positive rate)

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (384,)

    @property
    def model_checksum(self) -> str:
        import hashlib

        from avtool.nn.minilm import minilm_dir

        digest = hashlib.sha256()
        with open(minilm_dir() / "model.safetensors", "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def transcribe(self, wav: np.ndarray) -> str:
        if self._transcriber is None:
            from avtool.tasks.transcribe.whisper import WhisperTranscriber

            self._transcriber = WhisperTranscriber("cpu", threads=1, vad=self.config.vad)
        return self._transcriber.transcribe_audio(wav, "item").text.strip()

    def embed(self, text: str) -> np.ndarray:
        """(tokens, 384) contextual MiniLM vectors of `text` (zero rows for empty text)."""
        if not text:
            return np.zeros((0, 384), np.float32)
        import torch

        if self._encoder is None:
            from avtool.nn.minilm import load_minilm, load_tokenizer

            self._tokenizer, self._encoder = load_tokenizer(), load_minilm()
        enc = self._tokenizer([text], truncation=True, max_length=self.config.max_tokens + 2,
                              return_tensors="pt")
        with torch.no_grad():
            out = self._encoder(input_ids=enc["input_ids"],
                                attention_mask=enc["attention_mask"]).last_hidden_state[0]
        return out[1:-1].numpy().astype(np.float32)  # drop [CLS] and [SEP]

    def compute(self, wav: np.ndarray) -> np.ndarray:
        self.last_text = self.transcribe(wav)
        return self.embed(self.last_text)
