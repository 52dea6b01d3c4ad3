"""What every transcriber returns, and the interface `avtool transcribe` drives.

A `Transcript` holds the text and, when asked, word timings (seconds from the start of the
input). A `Transcriber` is any model that turns one media file into one: the Whisper default
(`whisper.py`) and a trained AVATAR checkpoint (`avtool train transcribe`) both are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"word": self.text, "start": round(self.start, 3),
                               "end": round(self.end, 3)}
        if self.probability is not None:
            out["probability"] = round(self.probability, 4)
        return out


@dataclass(frozen=True)
class Transcript:
    id: str
    text: str
    duration: float
    words: tuple[Word, ...] = field(default_factory=tuple)
    model: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "text": self.text,
                               "duration": round(self.duration, 3), "model": self.model}
        if self.words:
            out["words"] = [w.to_dict() for w in self.words]
        return out


@runtime_checkable
class Transcriber(Protocol):
    """Turns one audio or video file (or an excerpt of it) into a `Transcript`.

    ``noise`` is one of `avtool.tasks.transcribe.noise.NOISE_KINDS` ("clean" for none), applied
    to the waveform with ``seed`` before recognition, so a noisy evaluation is reproducible.
    """

    name: str

    def transcribe_file(self, path: Path, item_id: str, *, start: float | None = None,
                        end: float | None = None, word_timestamps: bool = False,
                        noise: str = "clean", seed: int = 0) -> Transcript: ...
