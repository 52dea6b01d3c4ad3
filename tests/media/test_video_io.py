"""Video I/O beyond the round trip: constant memory, truncation, codec fallback, clip export."""

import tracemalloc

import av
import numpy as np
import pytest

from avtool.errors import MediaError
from avtool.media.audio import read_audio
from avtool.media.video import read_frames, video_info, write_video


def _frames(n, w=160, h=120):
    for i in range(n):
        frame = np.zeros((h, w, 3), np.uint8)
        frame[:, :, 1] = (i * 7) % 256
        yield frame


def test_reading_a_long_video_holds_a_constant_number_of_frames(tmp_path):
    path = write_video(tmp_path / "long.mp4", _frames(300), 25)  # 12 s; 17 MB as RGB frames
    tracemalloc.start()
    try:
        count = 0
        for _, frame in read_frames(path, fps=25):
            count += 1
            del frame
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 300
    assert peak < 2_000_000  # a few 57.6 kB frames at a time, never the whole video


def _faststart_copy(src, dst):
    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "faststart"}) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
    return dst


def test_truncated_video_with_its_index_first_is_an_error(tmp_path):
    # With the index (moov) at the front, a cut file still opens: the missing tail must be
    # noticed against the duration in the header.
    rng = np.random.default_rng(0)  # textured frames: the cut falls inside the video data
    textured = (rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(100))
    clip = write_video(tmp_path / "clip.mp4", textured, 25)
    data = _faststart_copy(clip, tmp_path / "fast.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    assert video_info(tmp_path / "cut.mp4").duration == pytest.approx(4.0)
    with pytest.raises(MediaError, match=r"cut\.mp4: truncated video \(header says 4\.00s"):
        list(read_frames(tmp_path / "cut.mp4", fps=5))
    # the intact beginning can still be read as a range
    head = list(read_frames(tmp_path / "cut.mp4", fps=5, end=1.0))
    assert [round(t, 2) for t, _ in head] == [0.0, 0.2, 0.4, 0.6, 0.8]
    # an untruncated file passes the same check
    assert len(list(read_frames(tmp_path / "fast.mp4", fps=5))) == 20


def test_without_libx264_mpeg4_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(av, "codecs_available", set(av.codecs_available) - {"libx264"})
    path = write_video(tmp_path / "m.mp4", _frames(10, 64, 48), 10,
                       audio=np.zeros(16000, np.float32))
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "mpeg4"
        assert container.streams.audio[0].codec_context.name == "aac"
    assert len(list(read_frames(path))) == 10


def test_clip_export_keeps_audio_and_video_aligned(tmp_path):
    sr = 16000
    t = np.arange(4 * sr) / sr
    audio = (0.2 * np.sin(2 * np.pi * 440 * t) * (t >= 2.0)).astype(np.float32)  # on at 2 s
    source = write_video(tmp_path / "src.mp4", _frames(100), 25, audio=audio)
    # export 1.5 s .. 3.0 s as a new clip
    frames = (f for _, f in read_frames(source, fps=25, start=1.5, end=3.0))
    wav, _ = read_audio(source, sr, start=1.5, end=3.0)
    clip = write_video(tmp_path / "clip.mp4", frames, 25, audio=wav)
    info = video_info(clip)
    assert info.frames == 37 or info.frames == 38  # 1.5 s at 25 fps
    assert info.has_audio and info.duration == pytest.approx(1.5, abs=0.05)
    out, _ = read_audio(clip, sr)
    env = np.sqrt(np.convolve(out ** 2, np.ones(160) / 160, "same"))
    onset = np.flatnonzero(env > 0.05)[0] / sr
    assert onset == pytest.approx(0.5, abs=0.03)  # the tone starts 0.5 s into the clip
    first = next(read_frames(clip))[1]
    assert abs(int(first[..., 1].mean()) - (37 * 7) % 256) <= 3  # frame 37 (1.48 s) opens it


def test_read_frames_missing_file_fails_at_the_call(tmp_path):
    with pytest.raises(MediaError, match="nothere.mp4: no such file"):
        read_frames(tmp_path / "nothere.mp4")
