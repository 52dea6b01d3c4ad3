import numpy as np
import pytest

from avtool.errors import MediaError
from avtool.media.video import read_frames, video_info, write_video


def _frames(n, w=64, h=48):
    for i in range(n):
        frame = np.zeros((h, w, 3), np.uint8)
        frame[:, :, 0] = i * 255 // max(1, n - 1)  # the frame index, readable back
        yield frame


@pytest.fixture
def clip(tmp_path):
    audio = 0.1 * np.sin(np.arange(32000) / 16000 * 2 * np.pi * 300).astype(np.float32)
    return write_video(tmp_path / "clip.mp4", _frames(50), 25, audio=audio)


def test_round_trip_info(clip):
    info = video_info(clip)
    assert (info.width, info.height, info.fps, info.frames) == (64, 48, 25.0, 50)
    assert info.duration == pytest.approx(2.0, abs=0.05) and info.has_audio


def test_native_and_resampled_rates(clip):
    native = list(read_frames(clip))
    assert len(native) == 50 and native[1][0] == pytest.approx(0.04)
    slow = list(read_frames(clip, fps=10, size=(32, 24)))
    assert len(slow) == 20 and slow[0][1].shape == (24, 32, 3)
    times = [t for t, _ in slow]
    np.testing.assert_allclose(times, np.arange(20) / 10)
    # each output shows the frame on screen at its time: frame index = 2.5 * k
    reds = [int(round(f[..., 0].mean() * 49 / 255)) for _, f in slow]
    assert reds == [int(2.5 * k) for k in range(20)]
    fast = list(read_frames(clip, fps=50))
    assert len(fast) == 100


def test_time_range(clip):
    part = list(read_frames(clip, fps=5, start=1.0, end=1.6))
    assert [round(t, 2) for t, _ in part] == [1.0, 1.2, 1.4]


def test_reading_is_lazy(clip):
    frames = read_frames(clip, fps=25)
    first = next(frames)
    assert first[0] == 0.0
    frames.close()  # closing early releases the file without decoding the rest


def test_bad_videos(tmp_path, clip):
    data = clip.read_bytes()
    (tmp_path / "half.mp4").write_bytes(data[: len(data) // 3])
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(1).bytes(5000))
    (tmp_path / "text.mp4").write_text("hello\n")
    (tmp_path / "empty.mp4").write_bytes(b"")
    for name in ("half.mp4", "noise.mp4", "text.mp4", "empty.mp4"):
        with pytest.raises(MediaError, match=name):
            list(read_frames(tmp_path / name, fps=5))


def test_audio_only_file_has_no_video_stream(tmp_path):
    from avtool.media.audio import write_wav

    path = write_wav(tmp_path / "a.wav", np.zeros(1600), 16000)
    with pytest.raises(MediaError, match="no video stream"):
        list(read_frames(path))


def test_writing_nothing_is_an_error(tmp_path):
    with pytest.raises(MediaError, match="no frames"):
        write_video(tmp_path / "x.mp4", [], 25)
    assert not (tmp_path / "x.mp4").exists()
