"""`ocr_tesseract`: the words written on screen, embedded by MiniLM: the OCR expert of retrieval.

Frames are sampled at `fps` (1) and decoded at `size`, turned to grey and read by the
`tesseract` binary (Debian's ``tesseract-ocr``, 5.x, run as a subprocess: PNG on stdin, TSV on
stdout) with page segmentation mode `psm` (11, sparse text: words anywhere in a scene). Words
whose confidence is at least `min_conf` and that hold at least `min_chars` letters or digits
are kept, punctuation trimmed from their ends, each distinct word (case-folded) once, in order
of first sight: a sign on screen for many seconds is one word, not one per frame. Their
WordPiece tokens are encoded by the frozen all-MiniLM-L6-v2 (`avtool.nn.minilm`), one 384-d
contextual vector per token, as the speech expert does (`speech_minilm`). No text found gives
zero rows: a missing expert. Rows are **untimed** (``untimed = True``).

Grey, not colour, input (`grey`): on 60 synthetic videos (`synth retrieval --text-share 0.5`) tesseract
reads the word in 88 of 120 frames from the RGB frame and 102 of 120 from the grey one
(README, retrieval). Without the binary, the
model checksum (asked before any item is read) raises `ModelError` naming the package.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from avtool.config import ranged
from avtool.errors import ConfigError, MediaError, ModelError
from avtool.features.base import FPS, FRAME_SIZE, VideoExtractor, extractors

INSTALL = "apt-get install tesseract-ocr"
TIMEOUT_S = 120  # one frame; tesseract takes about 0.15 s on a 384x384 frame
_EDGES = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class OcrTesseractConfig:
    fps: float = field(default=1.0, metadata=FPS)
    size: tuple[int, int] = field(default=(384, 384), metadata=FRAME_SIZE)  # width, height
    psm: int = field(default=11, metadata=ranged(3, 13))  # 0-2 do no recognition
    language: str = "eng"  # tesseract's -l: installed traineddata names, joined by "+"
    grey: bool = True  # false: tesseract gets the colour frame (and reads fewer words)
    min_conf: float = field(default=60.0, metadata=ranged(0, 100))
    min_chars: int = field(default=2, metadata=ranged(1, 100))
    max_tokens: int = field(default=64, metadata=ranged(1, 510))


def tesseract_binary() -> str:
    """The `tesseract` executable on PATH (`ModelError` saying what to install)."""
    path = shutil.which("tesseract")
    if path is None:
        raise ModelError(f"ocr_tesseract needs the tesseract OCR engine, which is not "
                         f"installed: {INSTALL}")
    return path


def _run(args: list[str], data: bytes = b"") -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")  # one process per worker already
    try:
        done = subprocess.run([tesseract_binary(), *args], input=data, capture_output=True,
                              env=env, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise MediaError(f"tesseract ran over {TIMEOUT_S} s on one frame") from None
    if done.returncode:
        err = done.stderr.decode(errors="replace").strip().splitlines()
        raise ModelError(f"tesseract {' '.join(args[:1])} failed: "
                         f"{err[-1] if err else f'exit status {done.returncode}'}")
    return done.stdout.decode(errors="replace")


def traineddata(language: str) -> list[Path]:
    """The traineddata files of `language` ("eng", "eng+deu"), each checked installed."""
    listing = _run(["--list-langs"]).splitlines()
    found = re.search(r'"(.+)"', listing[0]) if listing else None
    if found is None:
        raise ModelError(f"tesseract --list-langs: unexpected output {listing[:1]}")
    langs = {line.strip() for line in listing[1:]}
    out = []
    for lang in language.split("+"):
        if lang not in langs:
            raise ConfigError(f"ocr_tesseract: language {lang!r} is not installed for "
                              f"tesseract (have {', '.join(sorted(langs))}): apt-get install "
                              f"tesseract-ocr-{lang}")
        out.append(Path(found.group(1)) / f"{lang}.traineddata")
    return out


def parse_tsv(tsv: str, min_conf: float, min_chars: int) -> list[str]:
    """Words of tesseract's TSV output (level 5 rows) at `min_conf` or more, ends trimmed,
    with at least `min_chars` letters or digits."""
    words = []
    for line in tsv.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) != 12 or cols[0] != "5":
            continue
        word = _EDGES.sub("", cols[11].strip())
        if float(cols[10]) >= min_conf and sum(ch.isalnum() for ch in word) >= min_chars:
            words.append(word)
    return words


@extractors.register("ocr_tesseract")
class OcrTesseractExtractor(VideoExtractor):
    name = "ocr_tesseract"
    config_type = OcrTesseractConfig
    untimed = True

    def __init__(self, config=None, device: str = "cpu") -> None:
        super().__init__(config, device)
        self._encoder = None
        self._checksum = ""
        self.last_words: list[str] = []

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (384,)

    @property
    def model_checksum(self) -> str:
        """sha256 over tesseract's version, its traineddata and MiniLM's weights."""
        if not self._checksum:
            import hashlib

            from avtool.nn.minilm import weights_sha256

            digest = hashlib.sha256(_run(["--version"]).splitlines()[0].encode())
            for path in traineddata(self.config.language):
                digest.update(path.read_bytes())
            digest.update(weights_sha256().encode())
            self._checksum = digest.hexdigest()
        return self._checksum

    def read_words(self, frame: np.ndarray) -> list[str]:
        """The words tesseract reads in one RGB frame (kept as `parse_tsv` says)."""
        import cv2

        frame = np.ascontiguousarray(frame, np.uint8)
        image = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY if self.config.grey else
                             cv2.COLOR_RGB2BGR)
        png = cv2.imencode(".png", image)[1].tobytes()
        tsv = _run(["stdin", "stdout", "--psm", str(self.config.psm), "-l",
                    self.config.language, "tsv"], png)
        return parse_tsv(tsv, self.config.min_conf, self.config.min_chars)

    def __call__(self, source) -> np.ndarray:
        # a video without text is a valid, empty result (the base class refuses empty output)
        return self.compute(source.frames(self.config.fps, tuple(self.config.size)))

    def compute(self, frames: Iterator[tuple[float, np.ndarray]]) -> np.ndarray:
        words: dict[str, str] = {}  # case-folded -> first spelling seen
        for _, frame in frames:
            for word in self.read_words(frame):
                words.setdefault(word.casefold(), word)
        self.last_words = list(words.values())
        if self._encoder is None:
            from avtool.nn.minilm import WordpieceEncoder

            self._encoder = WordpieceEncoder(self.config.max_tokens)
        return self._encoder(" ".join(self.last_words))
