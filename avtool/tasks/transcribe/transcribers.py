"""``--model`` of `avtool transcribe`: the Whisper default or any trained checkpoint that
transcribes (a `Transcriber`), opened once per process."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from avtool.errors import ModelError
from avtool.tasks.transcribe.transcript import Transcriber
from avtool.tasks.transcribe.whisper import BEAM_SIZE, WHISPER_NAME, WhisperTranscriber

DEFAULT_MODEL = WHISPER_NAME


def open_transcriber(model: str | Path | Transcriber = DEFAULT_MODEL, device: str = "auto",
                     threads: int = 0, vad: bool = True) -> Transcriber:
    """``whisper-tiny.en`` or a RUN_DIR / .pt of a task whose predictor is a `Transcriber`
    (a `Transcriber` object is returned as it is).

    ``threads`` caps the CPU threads of the model (0: the library's default).

    Raises:
        ModelError: no such checkpoint, a checkpoint that does not transcribe (e.g. a speaker
            model), or a missing package of the default model.
    """
    if isinstance(model, Transcriber):
        return model
    if str(model) == WHISPER_NAME:
        return WhisperTranscriber(device, threads=threads, vad=vad)
    path = Path(model)
    if not path.exists():
        raise ModelError(f"--model {model}: neither {WHISPER_NAME} nor an existing RUN_DIR or "
                         ".pt checkpoint")
    from avtool.runtime import resolve_device
    from avtool.tasks import load_model

    if threads:
        import torch

        torch.set_num_threads(threads)
    predictor = load_model(path, resolve_device(device))
    if not isinstance(predictor, Transcriber):
        raise ModelError(f"{path}: not a transcription checkpoint (its predictor is a "
                         f"{type(predictor).__name__}); give {WHISPER_NAME} or a run of "
                         "avtool train transcribe")
    return predictor


def model_settings(model: str | Path | Transcriber = DEFAULT_MODEL, vad: bool = True
                   ) -> dict[str, Any]:
    """What identifies a model's transcripts, known without loading it: Whisper's decoding
    settings, the checkpoint file (path, size, modification time), or an object's name."""
    if isinstance(model, Transcriber):
        return {"model": model.name}
    if str(model) == WHISPER_NAME:
        return {"model": WHISPER_NAME, "beam_size": BEAM_SIZE, "vad": bool(vad)}
    path = Path(model).resolve()
    checkpoint = path / "best.pt" if path.is_dir() else path
    stat = checkpoint.stat() if checkpoint.is_file() else None
    return {"model": str(checkpoint), "size": stat.st_size if stat else None,
            "mtime_ns": stat.st_mtime_ns if stat else None}


def optional_kwargs(transcriber: Any, **wanted: Any) -> dict[str, Any]:
    """The subset of ``wanted`` that ``transcriber.transcribe_file`` accepts beyond the
    `Transcriber` protocol (``snr_db``, ``progress``)."""
    try:
        params = inspect.signature(transcriber.transcribe_file).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return wanted
    return {k: v for k, v in wanted.items() if k in params}
