import shutil

import av
import numpy as np
import pytest
import soundfile as sf

from avtool.errors import MediaError
from avtool.media.audio import audio_info, read_audio, write_wav
from avtool.media.video import write_video


def _tone(seconds=1.0, sr=16000, freq=440.0):
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("ext,fmt", [(".wav", "WAV"), (".flac", "FLAC"), (".ogg", "OGG"),
                                     (".mp3", "MP3")])
def test_sound_file_formats(tmp_path, ext, fmt):
    path = tmp_path / f"a{ext}"
    sf.write(path, _tone(), 16000, format=fmt)
    wav, sr = read_audio(path, 16000)
    assert sr == 16000 and abs(len(wav) - 16000) < 1200  # mp3 pads a frame
    assert np.corrcoef(np.abs(np.fft.rfft(wav[:8000])), np.abs(np.fft.rfft(_tone()[:8000])))[
        0, 1] > 0.9


def _write_container(path, vcodec, acodec, sr=16000, seconds=1.0):
    wav = _tone(seconds, sr)
    with av.open(str(path), "w") as out:
        v = out.add_stream(vcodec, rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream(acodec, rate=sr, layout="mono")
        for i in range(int(10 * seconds)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), "rgb24")
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        fmt = "fltp" if acodec != "pcm_s16le" else "s16"
        data = wav[None, :] if fmt == "fltp" else (wav[None, :] * 32767).astype(np.int16)
        step = 1024
        for pos in range(0, data.shape[1], step):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, pos:pos + step]),
                                               format=fmt, layout="mono")
            frame.sample_rate, frame.pts = sr, pos
            out.mux(a.encode(frame))
        out.mux(a.encode(None))


@pytest.mark.parametrize("ext,vcodec,acodec", [(".mkv", "libx264", "aac"),
                                               (".webm", "libvpx", "libopus"),
                                               (".avi", "mpeg4", "pcm_s16le")])
def test_audio_track_of_video_containers(tmp_path, ext, vcodec, acodec):
    path = tmp_path / f"v{ext}"
    sr = 48000 if acodec == "libopus" else 16000
    _write_container(path, vcodec, acodec, sr=sr)
    wav, out_sr = read_audio(path, 16000)
    assert out_sr == 16000 and abs(len(wav) - 16000) < 1600
    spectrum = np.abs(np.fft.rfft(wav[2000:10000]))
    assert abs(np.argmax(spectrum) * 16000 / 8000 - 440) < 5
    assert audio_info(path).sample_rate == sr


def test_mp4_time_range_and_alignment(tmp_path):
    audio = np.zeros(32000, np.float32)
    audio[16000:16160] = 0.9
    path = write_video(tmp_path / "x.mp4", (np.zeros((32, 32, 3), np.uint8) for _ in range(50)),
                       25, audio=audio)
    wav, _ = read_audio(path, 16000)
    assert abs(int(np.argmax(np.abs(wav))) - 16000) < 200
    part, _ = read_audio(path, 16000, start=0.5, end=1.5)
    assert abs(len(part) - 16000) < 10 and abs(int(np.argmax(np.abs(part))) - 8000) < 200


def test_time_range_of_wav_reads_only_that_range(tmp_path):
    path = write_wav(tmp_path / "a.wav", np.linspace(-0.5, 0.5, 32000), 16000)
    part, _ = read_audio(path, start=0.5, end=1.0)
    assert len(part) == 8000
    assert part[0] == pytest.approx(np.linspace(-0.5, 0.5, 32000)[8000], abs=1e-4)


def test_stereo_mixdown_and_resampling(tmp_path):
    stereo = np.stack([_tone(1.0, 44100), np.zeros(44100, np.float32)], 1)
    sf.write(tmp_path / "s.wav", stereo, 44100)
    wav, sr = read_audio(tmp_path / "s.wav", 16000)
    assert sr == 16000 and len(wav) == 16000
    assert np.abs(wav).max() == pytest.approx(0.15, abs=0.02)  # the mean of the channels
    both, _ = read_audio(tmp_path / "s.wav", mono=False)
    assert both.shape == (2, 44100)


def test_bad_inputs_name_the_file(tmp_path):
    good = write_wav(tmp_path / "good.wav", _tone(2.0), 16000)
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "text.mp3").write_text("this is not audio\n" * 20)
    (tmp_path / "garbage.mp4").write_bytes(np.random.default_rng(0).bytes(4000))
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    silent_video = write_video(tmp_path / "noaudio.mp4",
                               (np.zeros((32, 32, 3), np.uint8) for _ in range(5)), 25)
    cases = {
        tmp_path / "missing.wav": "no such file",
        tmp_path / "empty.wav": "empty file",
        tmp_path / "text.mp3": "cannot read audio",
        tmp_path / "garbage.mp4": "not a readable media file",
        truncated: "truncated",
        silent_video: "no audio stream",
        tmp_path: "not a regular file",
    }
    for path, message in cases.items():
        with pytest.raises(MediaError, match=message) as err:
            read_audio(path, 16000)
        assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_zero_length_audio(tmp_path):
    sf.write(tmp_path / "zero.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(MediaError, match="zero-length"):
        read_audio(tmp_path / "zero.wav")


def test_ffmpeg_reads_unknown_extensions(tmp_path):
    shutil.copy(write_wav(tmp_path / "a.wav", _tone(), 16000), tmp_path / "a.audio")
    wav, _ = read_audio(tmp_path / "a.audio", 16000)
    assert abs(len(wav) - 16000) < 100
