"""A trained AVVP parser (the `Predictor` of `avtool train avvp`): clips -> probabilities ->
the official inference rule -> events, and the files `avtool evaluate avvp` reads.

Events follow the official inference rule (`parse_masks`): classes with video-level
p >= clip threshold, snippets with probability >= segment threshold, audio-visual = audio AND
visual; an event is a maximal run of positive seconds (onset, offset exclusive). Its confidence
is the mean snippet probability over the run (audio or visual stream; for audio-visual events
the mean of min(audio, visual)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool.config import config_from_dict
from avtool.tasks.avvp.config import HanConfig
from avtool.tasks.avvp.data import ClipSet

TASK = "avvp"
MODALITIES = ("audio", "visual", "audio-visual")
EVENT_COLUMNS = ("clip", "modality", "class", "onset", "offset", "confidence")
PREDICTION_FILES = ("pred_audio.csv", "pred_visual.csv")  # in the AVVP_eval_*.csv format


def parse_masks(p: np.ndarray, frame_prob: np.ndarray, clip_threshold: float = 0.5,
                segment_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The official inference rule -> (audio, visual) boolean masks (N, C, T).

    Args:
        p: (N, C) video-level probabilities (the fused p, not p_a / p_v).
        frame_prob: (N, T, 2, C) snippet probabilities, modality 0 audio, 1 visual.
    """
    present = (np.asarray(p) >= clip_threshold)[:, :, None]  # (N, C, 1)
    snippets = np.asarray(frame_prob).transpose(0, 2, 3, 1) >= segment_threshold  # (N,2,C,T)
    return snippets[:, 0] & present, snippets[:, 1] & present


def predict_probs(model, clips: ClipSet, device: str = "cpu", batch_size: int = 64
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(p (N, C), frame_prob (N, T, 2, C)) of `clips`, batched, in inference mode."""
    import torch

    model.eval()
    ps, frames = [], []
    with torch.inference_mode():
        for lo in range(0, len(clips), batch_size):
            sl = slice(lo, lo + batch_size)
            out = model(*(torch.from_numpy(x[sl]).to(device)
                          for x in (clips.audio, clips.frame, clips.motion)))
            ps.append(out.p.float().cpu().numpy())
            frames.append(out.frame_prob.float().cpu().numpy())
    n_cls = model.cfg.classes
    if not ps:
        return np.zeros((0, n_cls), np.float32), np.zeros((0, clips.audio.shape[1], 2, n_cls))
    return np.concatenate(ps), np.concatenate(frames)


@dataclass(frozen=True)
class ParsedEvent:
    clip: str
    modality: str  # audio | visual | audio-visual
    label: str
    onset: float  # seconds from the clip start
    offset: float  # exclusive
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"clip": self.clip, "modality": self.modality, "class": self.label,
                "onset": self.onset, "offset": self.offset,
                "confidence": round(self.confidence, 4)}


@dataclass
class ParseResult:
    clips: list[str]
    classes: list[str]
    audio: np.ndarray  # (N, C, T) bool
    visual: np.ndarray
    p: np.ndarray  # (N, C) video-level probabilities
    frame_prob: np.ndarray  # (N, T, 2, C)
    events: list[ParsedEvent]
    model: str
    variant: str
    thresholds: dict[str, float]
    failed: list[tuple[str, str]] = field(default_factory=list)  # (input, reason)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "variant": self.variant, "thresholds": self.thresholds,
                "clips": len(self.clips), "events": [e.to_dict() for e in self.events],
                "failed": [{"input": i, "reason": r} for i, r in self.failed]}


def masks_to_events(clips: Sequence[str], audio: np.ndarray, visual: np.ndarray,
                    frame_prob: np.ndarray, classes: Sequence[str]) -> list[ParsedEvent]:
    """Events of the masks, ordered by clip, modality (audio, visual, AV), class, onset."""
    from avtool.metrics.avvp import mask_runs

    fp = np.asarray(frame_prob, dtype=np.float64)  # (N, T, 2, C)
    probs = {"audio": fp[:, :, 0].transpose(0, 2, 1), "visual": fp[:, :, 1].transpose(0, 2, 1)}
    probs["audio-visual"] = np.minimum(probs["audio"], probs["visual"])
    masks = {"audio": audio, "visual": visual, "audio-visual": audio & visual}
    out: list[ParsedEvent] = []
    n, c, _ = audio.shape
    for i in range(n):
        for modality in MODALITIES:
            starts, ends, count = mask_runs(masks[modality][i])
            for k in np.nonzero(count)[0]:
                for r in range(count[k]):
                    on, off = int(starts[k, r]), int(ends[k, r])
                    conf = float(probs[modality][i, k, on:off].mean())
                    out.append(ParsedEvent(clips[i], modality, classes[k], float(on),
                                           float(off), conf))
    return out


class AvvpParser:
    """A HAN-family network and its checkpoint spec, in inference mode on one device."""

    def __init__(self, model, spec: dict[str, Any], device: str = "cpu") -> None:
        self.model, self.spec, self.device = model.to(device).eval(), spec, device

    @classmethod
    def from_checkpoint(cls, checkpoint: dict[str, Any], device: str = "cpu") -> AvvpParser:
        model = model_from_spec(checkpoint["spec"])
        model.load_state_dict(checkpoint["model_state"])
        return cls(model, checkpoint["spec"], device)

    @property
    def classes(self) -> list[str]:
        return list(self.spec["classes"])

    def thresholds(self, clip: float | None = None, segment: float | None = None
                   ) -> dict[str, float]:
        """The checkpoint's thresholds (0.5, 0.5), with the given ones replacing them."""
        out = dict(self.spec.get("thresholds", {"clip": 0.5, "segment": 0.5}))
        if clip is not None:
            out["clip"] = float(clip)
        if segment is not None:
            out["segment"] = float(segment)
        return out

    def predict(self, clips: ClipSet, clip_threshold: float | None = None,
                segment_threshold: float | None = None, batch_size: int = 64,
                model_path: str = "") -> ParseResult:
        """Parse `clips`: masks, probabilities and events (official inference rule)."""
        thresholds = self.thresholds(clip_threshold, segment_threshold)
        p, frame_prob = predict_probs(self.model, clips, self.device, batch_size)
        audio, visual = parse_masks(p, frame_prob, thresholds["clip"], thresholds["segment"])
        events = masks_to_events(clips.ids, audio, visual, frame_prob, self.classes)
        return ParseResult(clips.ids, self.classes, audio, visual, p, frame_prob, events,
                           model_path, self.spec.get("variant", ""), thresholds)

    def write(self, result: ParseResult, out: Path) -> Path:
        """`out`/pred_audio.csv and pred_visual.csv, scored by `avtool evaluate avvp`."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_llp_predictions(result, *(out / name for name in PREDICTION_FILES))
        return out


def model_from_spec(spec: dict[str, Any]):
    """A `HanNet` built from a checkpoint spec of `avtool train avvp` (weights not loaded)."""
    from avtool.tasks.avvp.han import HanNet

    cfg = dict(spec["model"])
    return HanNet(config_from_dict(HanConfig, cfg, "han"))


def load_parser(path: str | Path, device: str = "cpu") -> AvvpParser:
    """The parser of a RUN_DIR or .pt of `avtool train avvp`, on `device`."""
    from avtool.tasks import load_task_checkpoint

    checkpoint = load_task_checkpoint(path, TASK, "an AVVP parser")
    return AvvpParser.from_checkpoint(checkpoint, device)


def write_events_tsv(path: str | Path, events: Sequence[ParsedEvent]) -> None:
    """One row per event: clip, modality, class, onset, offset, confidence (tab-separated)."""
    from avtool.io import atomic_write

    with atomic_write(path, newline="") as fh:
        fh.write("\t".join(EVENT_COLUMNS) + "\n")
        for e in events:
            fh.write(f"{e.clip}\t{e.modality}\t{e.label}\t{e.onset:g}\t{e.offset:g}\t"
                     f"{e.confidence:.4f}\n")


def write_llp_predictions(result: ParseResult, audio_path: str | Path | None,
                          visual_path: str | Path | None) -> None:
    """The audio / visual masks in the ``AVVP_eval_*.csv`` format (`avtool evaluate avvp`)."""
    from avtool.formats.llp import dense_to_events, write_llp_events

    for path, masks in ((audio_path, result.audio), (visual_path, result.visual)):
        if path is not None:
            write_llp_events(path, dense_to_events(masks, result.clips, result.classes))
