"""Audio reading and writing.

Sound files (wav, flac, ogg, mp3...) are read with soundfile, which seeks, so a time range is
read without decoding the whole file. Audio tracks of videos (mp4, mkv, webm, avi...) are
decoded with PyAV, seeking to the start of the range. Output is float32 in [-1, 1], mono by
default, resampled to the rate asked for.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import MediaError, first_line

SOUND_EXTENSIONS = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au"}
VIDEO_EXTENSIONS = {".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v", ".m4a"}
MEDIA_EXTENSIONS = SOUND_EXTENSIONS | VIDEO_EXTENSIONS


@dataclass(frozen=True)
class AudioInfo:
    path: str
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def check_file(path: str | Path) -> Path:
    """Fail early, naming the file, when it is missing, not a file or empty."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if not path.is_file():
        raise MediaError(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: empty file (0 bytes)")
    return path


def _is_video_container(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS


def audio_info(path: str | Path) -> AudioInfo:
    """Sample rate, channel count and length of the audio in a sound file or video."""
    path = check_file(path)
    if not _is_video_container(path):
        import soundfile as sf

        try:
            info = sf.info(str(path))
        except Exception as err:  # soundfile raises LibsndfileError / RuntimeError
            if path.suffix.lower() in SOUND_EXTENSIONS:
                raise MediaError(f"{path}: cannot read audio ({first_line(err)})") from None
        else:
            return AudioInfo(str(path), int(info.samplerate), int(info.channels), int(info.frames))
    stream_rate, channels, duration = _av_audio_stream_info(path)
    return AudioInfo(str(path), stream_rate, channels, int(round(duration * stream_rate)))


def read_audio(
    path: str | Path,
    sample_rate: int | None = None,
    *,
    mono: bool = True,
    start: float | None = None,
    end: float | None = None,
) -> tuple[np.ndarray, int]:
    """Read audio as float32, shape (samples,) when mono else (channels, samples).

    Args:
        path: a sound file or a video with an audio stream.
        sample_rate: resample to this rate (None keeps the file's rate).
        mono: average the channels.
        start, end: time range in seconds (None = from the start / to the end).

    Returns:
        (waveform, sample_rate)

    Raises:
        MediaError: missing, empty, truncated, corrupt, non-media, or no audio stream.
    """
    path = check_file(path)
    if start is not None and start < 0:
        raise MediaError(f"{path}: start time {start} is negative")
    if start is not None and end is not None and end <= start:
        raise MediaError(f"{path}: empty time range {start}..{end}")
    if _is_video_container(path):
        wav, sr = _read_with_av(path, start, end)
    else:
        try:
            wav, sr = _read_with_soundfile(path, start, end)
        except MediaError:
            if path.suffix.lower() in SOUND_EXTENSIONS:
                raise
            wav, sr = _read_with_av(path, start, end)  # unknown extension: let FFmpeg try
    if wav.shape[1] == 0:
        raise MediaError(f"{path}: no audio samples (zero-length audio)")
    if not np.isfinite(wav).all():
        raise MediaError(f"{path}: corrupt audio (NaN or infinite samples)")
    if mono:
        wav = wav.mean(axis=0)
    if sample_rate is not None and sample_rate != sr:
        wav = resample(wav, sr, sample_rate)
        sr = sample_rate
    return np.ascontiguousarray(wav, dtype=np.float32), sr


def resample(wav: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """Band-limited (windowed sinc) resampling along the last axis, via torchaudio."""
    if orig_rate == new_rate:
        return wav
    import torch
    import torchaudio.functional as AF

    out = AF.resample(torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)),
                      orig_rate, new_rate)
    return out.numpy()


def _one_torch_thread_after_fork() -> None:
    # torch's OpenMP thread pool does not survive fork(): a forked child that resamples after
    # its parent did hangs for ever. Forked children (workers) run torch single-threaded.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


os.register_at_fork(after_in_child=_one_torch_thread_after_fork)


def write_wav(path: str | Path, wav: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> Path:
    """Write a wav file (mono (samples,) or (channels, samples)), atomically."""
    import soundfile as sf

    from avtool.io import atomic_path

    path = Path(path)
    data = np.asarray(wav, dtype=np.float32)
    data = data.T if data.ndim == 2 else data
    with atomic_path(path) as tmp:
        sf.write(str(tmp), np.clip(data, -1.0, 1.0), sample_rate, subtype=subtype, format="WAV")
    return path


def _wav_truncation(path: Path) -> str | None:
    """libsndfile silently shortens a truncated WAV; compare its data chunk with the file."""
    import struct

    size = path.stat().st_size
    with path.open("rb") as fh:
        header = fh.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
            if chunk_id == b"data":
                if pos + 8 + chunk_size > size and chunk_size != 0xFFFFFFFF:
                    return (f"truncated file (data chunk declares {chunk_size} bytes, "
                            f"{size - pos - 8} present)")
                return None
            pos += 8 + chunk_size + (chunk_size & 1)
    return None


def _read_with_soundfile(path: Path, start: float | None, end: float | None):
    import soundfile as sf

    if path.suffix.lower() == ".wav":
        problem = _wav_truncation(path)
        if problem:
            raise MediaError(f"{path}: {problem}")

    try:
        with sf.SoundFile(str(path)) as fh:
            sr = fh.samplerate
            first = int(round((start or 0.0) * sr))
            last = fh.frames if end is None else min(fh.frames, int(round(end * sr)))
            if first >= fh.frames and fh.frames > 0:
                raise MediaError(f"{path}: start {start}s is past the end ({fh.frames / sr:.3f}s)")
            if first:
                fh.seek(first)
            data = fh.read(max(0, last - first), dtype="float32", always_2d=True)
    except MediaError:
        raise
    except Exception as err:
        raise MediaError(f"{path}: cannot read audio ({first_line(err)})") from None
    expected = max(0, last - first)
    if data.shape[0] < expected * 0.99 - 1:
        raise MediaError(
            f"{path}: truncated file (header says {expected} frames, read {data.shape[0]})"
        )
    return data.T, sr


def open_container(path: Path):
    """Open a media file with PyAV (FFmpeg); a file it cannot open is a MediaError."""
    import av

    try:
        return av.open(str(path))
    except Exception as err:
        raise MediaError(f"{path}: not a readable media file ({first_line(err)})") from None


def _av_audio_stream_info(path: Path) -> tuple[int, int, float]:
    with open_container(path) as container:
        if not container.streams.audio:
            raise MediaError(f"{path}: no audio stream")
        stream = container.streams.audio[0]
        return (int(stream.rate or stream.codec_context.sample_rate), int(stream.channels),
                stream_duration(container, stream))


def stream_duration(container, stream) -> float:
    """Seconds of a PyAV stream: its own duration, else the container's, else 0."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


def check_complete(path: Path, stream, decoded_end: float | None, start: float,
                   end: float | None, min_gap: float, what: str = "video",
                   unit: str = "frames") -> None:
    """Raise when decoding stopped well before the duration in the stream's header.

    A truncated mp4 whose index is at the front (faststart) still opens and decodes up to
    the cut; only the header's duration tells that the rest is missing.
    """
    if stream.duration is None or stream.time_base is None or decoded_end is None:
        return  # no declared duration (some mkv/webm): nothing to compare with
    t0 = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    declared = t0 + float(stream.duration * stream.time_base)
    wanted = declared if end is None else min(end, declared)
    if wanted > start and decoded_end < wanted - max(min_gap, 0.02 * (declared - t0)):
        raise MediaError(f"{path}: truncated {what} (header says {declared - t0:.2f}s, "
                         f"{unit} stop at {decoded_end - t0:.2f}s)")


def _read_with_av(path: Path, start: float | None, end: float | None):
    container = open_container(path)
    chunks: list[np.ndarray] = []
    try:
        if not container.streams.audio:
            raise MediaError(f"{path}: no audio stream")
        stream = container.streams.audio[0]
        sr = int(stream.rate or stream.codec_context.sample_rate)
        t0 = start or 0.0
        if t0 > 0:
            container.seek(int(t0 * 1_000_000), any_frame=False, backward=True)
        first_time = None
        decoded_end = frame_gap = None
        for frame in container.decode(stream):
            arr = frame.to_ndarray()
            if arr.dtype.kind == "i":
                arr = arr.astype(np.float32) / np.iinfo(arr.dtype).max
            arr = arr.astype(np.float32, copy=False)
            if frame.format.is_planar:
                arr = arr.reshape(frame.layout.nb_channels if hasattr(frame.layout, "nb_channels")
                                  else len(frame.layout.channels), -1)
            else:
                arr = arr.reshape(-1, len(frame.layout.channels)).T
            ftime = float(frame.pts * frame.time_base) if frame.pts is not None else None
            if first_time is None:
                first_time = ftime if ftime is not None else 0.0
            chunks.append(arr)
            if ftime is not None:
                frame_gap = 2 * arr.shape[1] / sr
                decoded_end = ftime + arr.shape[1] / sr
            if end is not None and ftime is not None and ftime > end:
                break
        else:  # the stream ran out before `end`: check it is as long as its header says
            check_complete(path, stream, decoded_end, t0, end, frame_gap or 0.0, "audio",
                           "samples")
    except MediaError:
        raise
    except Exception as err:
        raise MediaError(f"{path}: cannot decode audio ({first_line(err)})") from None
    finally:
        container.close()
    if not chunks:
        raise MediaError(f"{path}: no audio samples decoded (truncated or corrupt)")
    wav = np.concatenate(chunks, axis=1)
    offset = int(round((t0 - (first_time or 0.0)) * sr))
    stop = None if end is None else int(round((end - (first_time or 0.0)) * sr))
    return wav[:, max(0, offset):stop], sr

