"""A tiny store of made-up tracks for the task's debug example (the contract test): mouths
darken and MFCCs rise with one random envelope per track, so lips and audio agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avtool.tasks.active_speaker.windows import MFCC_PER_FRAME, MOUTH_SHAPE, N_MFCC


def made_up_track(rng: np.random.Generator, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(mouth (T, 16, 32), mfcc (4T, 13)) driven by one smooth random envelope."""
    envelope = np.convolve(rng.random(frames + 4), np.ones(5) / 5, mode="valid")[:frames]
    mouth = 150 - 100 * envelope[:, None, None] * np.ones((1, *MOUTH_SHAPE))
    mouth = mouth + rng.normal(0, 2, mouth.shape)
    loud = np.repeat(envelope, MFCC_PER_FRAME)
    mfcc = rng.normal(0, 0.3, (frames * MFCC_PER_FRAME, N_MFCC))
    mfcc[:, :4] += 3 * loud[:, None]
    return mouth.astype(np.float32), mfcc.astype(np.float32)


def debug_store(workdir: Path) -> tuple[Path, list[dict], list[int]]:
    """(store path, prediction inputs: two tracks with audio delayed 0 and 3 frames, their
    true offsets)."""
    from avtool.store import FeatureInfo, ItemInfo, write_store_file
    from avtool.tasks.active_speaker.tracks import MFCC_EXTRACTOR, MOUTH_EXTRACTOR

    rng = np.random.default_rng(0)
    workdir.mkdir(parents=True, exist_ok=True)
    items, arrays = [], {"mouth": {}, "mfcc": {}}
    for i in range(6):
        mouth, mfcc = made_up_track(rng, 40)
        item = f"track-{i}"
        items.append(ItemInfo(item, "made-up", 40 / 25, {"split": "val" if i >= 4 else "train"}))
        arrays["mouth"][item], arrays["mfcc"][item] = mouth, mfcc
    features = {"mouth": FeatureInfo("mouth", MOUTH_EXTRACTOR, {}, 25.0, MOUTH_SHAPE, "float32"),
                "mfcc": FeatureInfo("mfcc", MFCC_EXTRACTOR, {}, 100.0, (N_MFCC,), "float32")}
    store = workdir / "tracks.h5"
    write_store_file(store, items, features, arrays)
    inputs, truth = [], []
    for delay in (0, 3):
        mouth, mfcc = made_up_track(rng, 40)
        shifted = np.roll(mfcc, delay * MFCC_PER_FRAME, axis=0)
        inputs.append({"mouth": mouth, "mfcc": shifted})
        truth.append(delay)
    return store, inputs, truth
