"""The network's inputs and SyncNet's offset search, shared by training and inference.

Inputs as SyncNet [Chung & Zisserman 2016]: 0.2 s of each stream around a video frame k.

* visual: the 5 mouth regions k-2..k+2 (grey, 32 x 16, `avtool.tasks.curate.active_speaker.
  mouth_region`) stacked as channels, as the paper's lip stream stacks 5 grey frames; each
  track's mean region is subtracted (the face and the scene's tint are not the signal) and the
  result scaled by 1/64;
* audio: the 20 MFCC frames (13 coefficients at 100 Hz, 25-ms windows, 26 mel bands and a
  512-point FFT as python_speech_features' defaults) under the same 0.2 s, i.e. MFCC rows
  4k-8..4k+11 at 4 rows per 25-fps frame; the MFCCs are mean/variance normalised over the
  whole video (not in SyncNet, which feeds them raw: loudness differs between videos).

`sync_search` is SyncNet's evaluation (syncnet_python ``SyncNetInstance.evaluate``): the
distance of each frame's visual embedding to the audio embeddings at shifts -vshift..vshift,
averaged over frames; offset = the best shift, confidence = median - minimum of the mean
distances, and a frame's confidence = median - its distance at the best shift.
"""

from __future__ import annotations

import numpy as np

FPS = 25
SAMPLE_RATE = 16_000
MFCC_PER_FRAME = 4  # 100 Hz MFCC rows per 25-fps frame
N_MFCC = 13
FRAMES = 5  # video frames in a window (0.2 s)
HALF = FRAMES // 2
MFCC_ROWS = FRAMES * MFCC_PER_FRAME  # 20
MOUTH_SHAPE = (16, 32)  # rows, columns of a mouth region
VISUAL_SCALE = 64.0


def mfcc(wav: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """(rows, 13) float32 MFCCs at 100 Hz, row j centred on sample 160 j, normalised to zero
    mean and unit variance per coefficient over the whole signal."""
    import torch
    import torchaudio

    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"MFCCs are taken at {SAMPLE_RATE} Hz, not {sample_rate}")
    transform = torchaudio.transforms.MFCC(
        sample_rate=SAMPLE_RATE, n_mfcc=N_MFCC, log_mels=True,
        melkwargs={"n_fft": 512, "win_length": 400, "hop_length": 160, "n_mels": 26,
                   "center": True})
    x = torch.as_tensor(np.asarray(wav, np.float32))
    rows = transform(x).T.numpy().astype(np.float64)  # (rows, 13)
    rows = (rows - rows.mean(axis=0)) / (rows.std(axis=0) + 1e-5)
    return rows.astype(np.float32)


def normalise_mouths(mouths: np.ndarray) -> np.ndarray:
    """A track's mouth regions (T, 16, 32), 0-255 grey, minus the track's mean region, / 64."""
    mouths = np.asarray(mouths, np.float32)
    return (mouths - mouths.mean(axis=0, keepdims=True)) / VISUAL_SCALE


def visual_windows(mouths: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(len(centres), 5, 16, 32): the normalised regions around each centre frame."""
    offsets = np.arange(-HALF, HALF + 1)
    return mouths[centres[:, None] + offsets[None, :]]


def audio_windows(mfccs: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(len(centres), 1, 13, 20): the MFCC rows under the 5 frames around each centre."""
    rows = (centres[:, None] - HALF) * MFCC_PER_FRAME + np.arange(MFCC_ROWS)[None, :]
    return mfccs[rows].transpose(0, 2, 1)[:, None]


def audio_centres(n_mfcc_rows: int) -> tuple[int, int]:
    """[lo, hi) of the frames whose audio window lies inside `n_mfcc_rows` MFCC rows."""
    return HALF, max(HALF, (n_mfcc_rows - MFCC_ROWS) // MFCC_PER_FRAME + HALF + 1)


def embed(net, windows: np.ndarray, stream: str, batch: int = 256) -> np.ndarray:
    """Embeddings of `windows` by one stream of `net` ("visual" or "audio"), in batches."""
    import torch

    forward = net.visual if stream == "visual" else net.audio
    out = []
    with torch.inference_mode():
        for i in range(0, len(windows), batch):
            out.append(forward(torch.as_tensor(windows[i: i + batch])).numpy())
    return np.concatenate(out) if out else np.zeros((0, net.embedding), np.float32)


def distance_table(visual: np.ndarray, audio: np.ndarray, first: int, vshift: int
                   ) -> np.ndarray:
    """dist[k, j]: Euclidean distance of the track's frame k (video frame first + k) to the
    audio at video frame first + k + (j - vshift); NaN where either window is missing.

    `visual` is (T, D) with NaN rows where the frame has no full window, `audio` (n, D) over
    the whole video with NaN rows likewise."""
    T, n = len(visual), len(audio)
    out = np.full((T, 2 * vshift + 1), np.nan, np.float64)
    for j, tau in enumerate(range(-vshift, vshift + 1)):
        idx = first + np.arange(T) + tau
        ok = (idx >= 0) & (idx < n)
        out[ok, j] = np.linalg.norm(visual[ok] - audio[idx[ok]], axis=1)
    return out


def sync_search(dist: np.ndarray, vshift: int, median_kernel: int
                ) -> tuple[int, float, np.ndarray]:
    """SyncNet's (offset, confidence, per-frame confidence) from a distance table; frames
    without a distance take their nearest neighbour's confidence. Offset is positive when
    the audio comes after the lips."""
    from scipy.ndimage import median_filter

    rows = ~np.isnan(dist).all(axis=1)
    T = len(dist)
    if not rows.any():
        return 0, 0.0, np.zeros(T, np.float32)
    with np.errstate(all="ignore"):
        mdist = np.nanmean(dist[rows], axis=0)
    best = int(np.nanargmin(mdist))
    confidence = float(np.nanmedian(mdist) - mdist[best])
    valid = np.flatnonzero(rows)
    with np.errstate(all="ignore"):
        frame = np.nanmedian(dist[rows], axis=1) - dist[rows, best]
    frame = np.interp(np.arange(T), valid, np.nan_to_num(frame))
    if median_kernel > 1:
        frame = median_filter(frame, size=median_kernel, mode="nearest")
    return best - vshift, confidence, frame.astype(np.float32)


def track_embeddings(net, mouths: np.ndarray) -> np.ndarray:
    """(T, D) visual embeddings of a track's frames (NaN for the 2 at each end)."""
    T = len(mouths)
    out = np.full((T, net.embedding), np.nan, np.float32)
    if T >= FRAMES:
        centres = np.arange(HALF, T - HALF)
        out[centres] = embed(net, visual_windows(normalise_mouths(mouths), centres), "visual")
    return out


def audio_embeddings(net, mfccs: np.ndarray, n_frames: int) -> np.ndarray:
    """(n_frames, D) audio embeddings of every video frame (NaN where the window is short)."""
    out = np.full((n_frames, net.embedding), np.nan, np.float32)
    lo, hi = audio_centres(len(mfccs))
    hi = min(hi, n_frames)
    if hi > lo:
        centres = np.arange(lo, hi)
        out[centres] = embed(net, audio_windows(mfccs, centres), "audio")
    return out
