"""Speech clips with known words (espeak-ng, voice en, 140 words/min), made once per session:
Whisper tiny.en gets these two sentences word for word."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

TEXTS = {"utt01": "i like to read books in the evening", "utt02": "please open the window"}


@pytest.fixture(scope="session")
def speech(tmp_path_factory) -> Path:
    """A folder ``clips/`` with utt01.wav and utt02.wav, and ``ref.txt`` (Kaldi text)."""
    from avtool.media.audio import write_wav
    from avtool.synth.speech import synthesize

    root = tmp_path_factory.mktemp("speech")
    for item, text in TEXTS.items():
        spoken = synthesize(text, voice="en", rate=140)
        write_wav(root / "clips" / f"{item}.wav", spoken.audio, spoken.sample_rate)
    (root / "ref.txt").write_text("".join(f"{k} {v}\n" for k, v in TEXTS.items()))
    return root


@pytest.fixture(scope="session")
def speech_video(speech) -> Path:
    """utt02 as an mp4: grey frames at 10 fps and the speech as its AAC audio track."""
    from avtool.media.audio import read_audio
    from avtool.media.video import write_video

    wav, sr = read_audio(speech / "clips" / "utt02.wav")
    frames = [np.full((64, 64, 3), 128, np.uint8)] * int(np.ceil(len(wav) / sr * 10))
    return write_video(speech / "video" / "utt02.mp4", frames, 10, audio=wav, sample_rate=sr)
