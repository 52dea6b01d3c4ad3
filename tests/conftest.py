import os

import numpy as np
import pytest
import soundfile as sf

# Library errors surface as one-line messages unless a test asks for tracebacks.
os.environ.pop("AVTOOL_DEBUG", None)


@pytest.fixture
def make_wav(tmp_path):
    """Write a deterministic noisy tone; returns its path."""

    def make(name="a.wav", seconds=1.0, sr=16000, channels=1, freq=440.0, seed=0):
        rng = np.random.default_rng(seed)
        t = np.arange(int(seconds * sr)) / sr
        wav = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.normal(size=t.shape)
        data = np.stack([wav * (0.5 + 0.5 * c) for c in range(channels)], axis=1)
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, data.astype(np.float32), sr)
        return path

    return make
