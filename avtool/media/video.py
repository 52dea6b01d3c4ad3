"""Video reading and writing with PyAV.

`read_frames` streams frames: it holds at most two decoded frames at a time, so a one-hour
video needs no more memory than a one-second one. Frames are resampled to the requested rate
by timestamp (each output time k/fps takes the frame on screen at that time) and resized with
OpenCV's area interpolation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import MediaError, first_line
from avtool.media.audio import check_complete, check_file, open_container, stream_duration


@dataclass(frozen=True)
class VideoInfo:
    path: str
    fps: float
    frames: int
    duration: float
    width: int
    height: int
    has_audio: bool


def video_info(path: str | Path) -> VideoInfo:
    """Frame rate, frame count, duration, size and whether an audio stream exists."""
    path = check_file(path)
    with open_container(path) as container:
        if not container.streams.video:
            raise MediaError(f"{path}: no video stream")
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 25.0
        duration = stream_duration(container, stream)
        frames = int(stream.frames) if stream.frames else int(round(duration * fps))
        return VideoInfo(str(path), fps, frames, duration, int(stream.codec_context.width),
                         int(stream.codec_context.height), bool(container.streams.audio))


def read_frames(
    path: str | Path,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    start: float | None = None,
    end: float | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (time in seconds, RGB uint8 frame of shape (H, W, 3)), lazily.

    Args:
        fps: output rate; None gives every decoded frame at its own time.
        size: (width, height) to resize to; None keeps the decoded size.
        start, end: time range in seconds.

    Raises:
        MediaError: missing, empty, corrupt or truncated file, or no video stream.
    """
    path = check_file(path)
    container = open_container(path)
    return _frames(container, path, fps, size, start or 0.0, end)


def _frames(container, path: Path, fps, size, start: float, end):
    import cv2

    def prepare(frame) -> np.ndarray:
        image = frame.to_ndarray(format="rgb24")
        if size is not None and (image.shape[1], image.shape[0]) != tuple(size):
            image = cv2.resize(image, tuple(int(v) for v in size), interpolation=cv2.INTER_AREA)
        return image

    emitted = 0
    try:
        if not container.streams.video:
            raise MediaError(f"{path}: no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        native = float(stream.average_rate or 25)
        if start > 0:
            container.seek(int(start * 1_000_000), backward=True, any_frame=False)
        previous = None  # (time, frame) on screen before the current one
        k = 0
        last_t = None
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else k / native
            last_t = t
            if fps is None:
                if t + 1e-6 < start:
                    continue
                if end is not None and t >= end:
                    break
                emitted += 1
                yield t, prepare(frame)
                continue
            # Emit the previous frame for every output time before this frame's time.
            while previous is not None:
                target = start + k / fps
                if target >= t - 1e-6 or (end is not None and target >= end):
                    break
                emitted += 1
                yield target, previous[1]
                k += 1
            if end is not None and start + k / fps >= end:
                break
            previous = (t, prepare(frame))
        else:  # the stream ran out before `end`: check it is as long as its header says
            check_complete(path, stream, None if last_t is None else last_t + 1.0 / native,
                           start, end, 2.0 / native)
        if fps is not None and previous is not None:
            last_end = previous[0] + 1.0 / native
            while True:
                target = start + k / fps
                if target >= last_end - 1e-6 or (end is not None and target >= end):
                    break
                emitted += 1
                yield target, previous[1]
                k += 1
    except MediaError:
        raise
    except Exception as err:
        raise MediaError(f"{path}: cannot decode video ({first_line(err)})") from None
    finally:
        container.close()
    if emitted == 0:
        raise MediaError(f"{path}: no video frames decoded (truncated, corrupt or empty range)")


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    fps: float,
    audio: np.ndarray | None = None,
    sample_rate: int = 16_000,
    codec: str = "libx264",
    crf: int = 23,
) -> Path:
    """Write an mp4 (H.264 video, AAC mono audio) atomically; frames are RGB uint8 (H, W, 3).

    Audio and video packets are interleaved by time as frames arrive, so long videos stream.
    An FFmpeg build without libx264 writes MPEG-4 part 2 video instead. Odd widths and heights
    lose their last column or row (4:2:0 chroma needs even sizes).
    """
    import av

    if codec == "libx264" and codec not in av.codecs_available:
        codec = "mpeg4"

    from avtool.io import atomic_path

    path = Path(path)
    audio_data = None if audio is None else np.clip(np.asarray(audio, np.float32), -1, 1)
    with atomic_path(path) as tmp:
        with av.open(str(tmp), mode="w", format="mp4") as out:
            vstream = None
            astream = None
            if audio_data is not None:
                astream = out.add_stream("aac", rate=sample_rate, layout="mono")
            audio_pos = 0
            count = 0
            for image in frames:
                image = np.ascontiguousarray(image, dtype=np.uint8)
                if vstream is None:
                    from fractions import Fraction

                    vstream = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
                    vstream.height, vstream.width = image.shape[0] & ~1, image.shape[1] & ~1
                    vstream.pix_fmt = "yuv420p"
                    if codec == "libx264":
                        # mbtree off: its SIMD path made about 1 synthetic clip in 70 encode
                        # differently from one identical run to the next (measured); without
                        # it a seed gives the same bytes every time.
                        vstream.options = {"crf": str(crf), "preset": "veryfast",
                                           "x264-params": "mbtree=0"}
                    else:  # about 0.25 bit per pixel: FFmpeg's 200 kb/s default is too low
                        vstream.bit_rate = int(max(2e5, vstream.width * vstream.height * fps / 4))
                frame = av.VideoFrame.from_ndarray(image[: vstream.height, : vstream.width],
                                                   format="rgb24")
                frame.pts = count
                out.mux(vstream.encode(frame))
                count += 1
                if astream is not None:  # keep audio up to this frame's end time
                    upto = min(len(audio_data), int(round(count / fps * sample_rate)))
                    audio_pos = _write_audio(out, astream, audio_data, audio_pos, upto,
                                             sample_rate)
            if vstream is None:
                raise MediaError(f"{path}: no frames to write")
            out.mux(vstream.encode(None))
            if astream is not None:
                _write_audio(out, astream, audio_data, audio_pos, len(audio_data), sample_rate)
                out.mux(astream.encode(None))
    return path


def _write_audio(out, stream, audio: np.ndarray, pos: int, upto: int, sample_rate: int) -> int:
    import av

    chunk = 1024
    while pos < upto:
        piece = audio[pos: min(upto, pos + chunk)]
        frame = av.AudioFrame.from_ndarray(piece[None, :], format="flt", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = pos
        out.mux(stream.encode(frame))
        pos += len(piece)
    return pos

