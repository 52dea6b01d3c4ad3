"""Tiny synthetic speaker *stores* for training tests: no TTS, just voiced buzz with per-speaker
pitch and formants, so a model can tell speakers apart after a few steps (milliseconds to make).

Items follow the VoxCeleb layout ``idNNNNN/<video>/NNNNN`` and carry the ``spectrogram``
feature; :func:`write_trials` writes a balanced VoxCeleb-format list over some of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 16_000


def speaker_wave(speaker: int, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A buzz at the speaker's pitch through two of its formant resonances, plus noise."""
    f0 = 90.0 + 23.0 * speaker
    formants = (400.0 + 170.0 * (speaker % 5), 1200.0 + 260.0 * (speaker % 7))
    n = int(seconds * SR)
    t = np.arange(n) / SR
    pitch = f0 * (1 + 0.03 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t))
    phase = 2 * np.pi * np.cumsum(pitch) / SR
    wave = sum(np.sin(k * phase) / k for k in range(1, 30))
    spec = np.fft.rfft(wave)
    f = np.fft.rfftfreq(n, 1 / SR)
    gain = sum(1.0 / (1.0 + ((f - fc) / 120.0) ** 2) for fc in formants)
    voiced = np.fft.irfft(spec * gain, n)
    envelope = np.sin(2 * np.pi * rng.uniform(2, 4) * t + rng.uniform(0, 6)) > -0.3
    out = voiced * envelope + 0.05 * rng.standard_normal(n) * voiced.std()
    return (0.3 * out / np.abs(out).max()).astype(np.float32)


def make_speaker_store(path: str | Path, speakers: int = 4, utterances: int = 4,
                       seconds: tuple[float, float] = (1.0, 2.0), seed: int = 0,
                       feature: str = "spectrogram", first_id: int = 10001,
                       speaker_meta: bool = False) -> list[str]:
    """Write a store of ``speakers × utterances`` items; returns the item ids.

    ``feature`` is an extractor spec (e.g. ``spectrogram:variant=vgg-m``); ``speaker_meta``
    also stores the speaker as the ``speaker`` label (as a manifest column would).
    """
    from avtool.features import build_extractor
    from avtool.store import ItemInfo, StoreWriter

    rng = np.random.default_rng(seed)
    extractor = build_extractor(feature)
    ids = []
    with StoreWriter(path, {extractor.name: extractor.info()}) as writer:
        for s in range(speakers):
            spk = f"id{first_id + s}"
            for u in range(utterances):
                item = f"{spk}/vid{u % 2}/{u + 1:05d}"
                wav = speaker_wave(first_id - 10001 + s, rng.uniform(*seconds), rng)
                meta = {"speaker": spk} if speaker_meta else {}
                writer.add(ItemInfo(item, f"{item}.wav", len(wav) / SR, meta),
                           {extractor.name: extractor.compute(wav)})
                ids.append(item)
    return ids


def write_trials(path: str | Path, ids: list[str], seed: int = 0) -> Path:
    """Balanced VoxCeleb-format trials (``label a.wav b.wav``) over ``ids``."""
    rng = np.random.default_rng(seed)
    by_spk: dict[str, list[str]] = {}
    for i in ids:
        by_spk.setdefault(i.split("/")[0], []).append(i)
    lines = []
    for i in ids:
        spk = i.split("/")[0]
        same = [j for j in by_spk[spk] if j != i]
        other = [j for s, js in by_spk.items() if s != spk for j in js]
        if same:
            lines.append(f"1 {i}.wav {same[int(rng.integers(len(same)))]}.wav")
        lines.append(f"0 {i}.wav {other[int(rng.integers(len(other)))]}.wav")
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path
