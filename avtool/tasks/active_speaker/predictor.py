"""A trained SyncNet network on face tracks: per track AV offset, confidence and per-frame
confidence, as syncnet_python's ``SyncNetInstance.evaluate`` (`windows.sync_search`).

`load_shipped()` is the network that ships in the package (``syncnet.pt``, trained by
``make asd-model``); ``avtool curate --asd syncnet`` uses it unless ``[asd] model`` names a
run folder or checkpoint of ``avtool train active-speaker``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_from_dict
from avtool.tasks.active_speaker.net import SyncNetConfig, build_syncnet

TASK = "active-speaker"
SHIPPED = Path(__file__).with_name("syncnet.pt")


@dataclass(frozen=True)
class TrackSync:
    offset: int  # frames; positive: the audio comes after the lips
    confidence: float
    frame_confidence: np.ndarray  # per frame of the track


def build_from_spec(spec: dict[str, Any], state: dict[str, Any] | None = None):
    """The network of a checkpoint spec (with its weights when `state` is given), in eval."""
    net = build_syncnet(config_from_dict(SyncNetConfig, spec["net"], "syncnet"))
    if state is not None:
        net.load_state_dict(state)
    return net.eval()


def score_tracks(net, mouths: list[np.ndarray], firsts: list[int], mfccs: np.ndarray,
                 n_frames: int, vshift: int, median_kernel: int) -> list[TrackSync]:
    """SyncNet's scores of face tracks of one video: `mouths[i]` (T, 16, 32) starting at
    video frame `firsts[i]`, against the video's MFCCs (`windows.mfcc`) of `n_frames`."""
    from avtool.tasks.active_speaker.windows import (
        audio_embeddings,
        distance_table,
        sync_search,
        track_embeddings,
    )

    if not mouths:
        return []
    audio = audio_embeddings(net, mfccs, n_frames)
    out = []
    for mouth, first in zip(mouths, firsts, strict=True):
        dist = distance_table(track_embeddings(net, mouth), audio, first, vshift)
        offset, confidence, frame = sync_search(dist, vshift, median_kernel)
        out.append(TrackSync(offset, confidence, frame))
    return out


class SyncPredictor:
    """`Predictor` of `avtool train active-speaker`: inputs are tracks as dicts with
    ``mouth`` (T, 16, 32), ``mfcc`` (4T', 13, the audio from the track's first frame on)."""

    def __init__(self, spec: dict[str, Any], net) -> None:
        self.spec, self.net = spec, net

    def predict(self, inputs: list[dict]) -> list[dict]:
        out = []
        for track in inputs:
            n = len(track["mfcc"]) // 4
            (score,) = score_tracks(self.net, [np.asarray(track["mouth"])], [0],
                                    np.asarray(track["mfcc"], np.float32), n,
                                    self.spec["vshift"], self.spec["median_kernel"])
            out.append({"offset": score.offset, "confidence": round(score.confidence, 5),
                        "frame_confidence": [round(float(v), 4)
                                             for v in score.frame_confidence]})
        return out

    def write(self, predictions: list[dict], out: Path) -> Path:
        from avtool.io import atomic_write

        path = Path(out)
        path = path if path.suffix == ".json" else path.with_suffix(".json")
        with atomic_write(path) as fh:
            json.dump({"task": TASK, "tracks": predictions}, fh)
        return path


def load_sync_predictor(checkpoint: dict[str, Any], device: str = "cpu") -> SyncPredictor:
    return SyncPredictor(checkpoint["spec"], build_from_spec(checkpoint["spec"],
                                                             checkpoint["model_state"]))


def load_sync_model(path: str | Path | None = None) -> SyncPredictor:
    """The network of an `avtool train active-speaker` run or checkpoint, or (None) the
    shipped one.

    Raises:
        ModelError: naming the file when it is not such a checkpoint.
    """
    from avtool.tasks import load_task_checkpoint

    return load_sync_predictor(load_task_checkpoint(path or SHIPPED, TASK,
                                                    "an active-speaker (SyncNet) network"))
