"""Audio-visual video parsing (AVVP) metrics on LLP, exactly as the official LLP scorer.

The ten numbers of the LLP papers (HAN, Tian et al. ECCV 2020; Lamba et al. Interspeech 2021):
segment-level and event-level F1 for audio, visual, audio-visual (AV), Type@AV and Event@AV.

Definitions (re-implemented from the description of the official scorer, vectorised over
clips x classes x segments):

* Inputs are boolean masks (clips, classes, segments); LLP uses 25 classes x 10 one-second
  segments. AV masks are never given: ``pred_av = pred_a & pred_v`` and ``gt_av = gt_a & gt_v``.
* Segment level, per clip, modality and class: TP = #segments predicted and annotated,
  FP = predicted not annotated, FN = annotated not predicted.
* Event level: events are the maximal runs of True of one class (so adjacent annotation rows
  have already merged). A predicted event is a TP if some annotated event of the same class
  has IoU >= 0.5 with it (inclusive; IoU on segment counts), otherwise an FP; an annotated
  event no predicted event reaches IoU >= 0.5 with is an FN. No collar, no tolerance.
* Per clip and modality: the mean of ``2TP / (2TP + FP + FN)`` over the *active* classes (TP, FP
  or FN > 0). **A clip with no active class scores 1.0** ("all true negatives"), so predicting
  nothing on a clip with nothing annotated is perfect.
* Event@AV pools the audio and visual counts per class (TP_a + TP_v, ...; AV counts excluded),
  then applies the same per-clip rule. Type@AV = mean of the audio, visual and AV scores.
* Every per-clip score is averaged uniformly over the clips (each listed clip counts, also one
  with no annotation rows) and reported x100, as in the papers' tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "AvvpResult",
    "clip_f1",
    "event_counts",
    "mask_runs",
    "score_avvp",
    "segment_counts",
]

LEVELS = ("segment", "event")
MODALITIES = ("audio", "visual", "av")
METRICS = ("audio", "visual", "av", "type_av", "event_av")


def segment_counts(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Segment-level (TP, FP, FN) per clip and class: int array (..., classes, 3)."""
    pred = np.asarray(pred, dtype=bool)
    gt = np.asarray(gt, dtype=bool)
    tp = np.count_nonzero(pred & gt, axis=-1)
    fp = np.count_nonzero(pred & ~gt, axis=-1)
    fn = np.count_nonzero(~pred & gt, axis=-1)
    return np.stack([tp, fp, fn], axis=-1)


def mask_runs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of True in each row of a (rows, T) boolean array.

    Returns:
        (starts, ends, count): starts/ends are (rows, ceil(T/2)) int16 arrays, run k of row r
        covering ``starts[r, k] : ends[r, k]`` (end exclusive) for k < count[r]; unused slots are
        0:0 (length 0).
    """
    x = np.asarray(x, dtype=bool)
    rows, t = x.shape
    k_max = max((t + 1) // 2, 1)
    pad = np.zeros((rows, 1), dtype=np.int8)
    edges = np.diff(np.concatenate([pad, x.astype(np.int8), pad], axis=1), axis=1)
    r_s, t_s = np.nonzero(edges == 1)  # row-major: runs in (row, onset) order
    t_e = np.nonzero(edges == -1)[1]  # the matching ends, same order
    rank = np.arange(r_s.size) - np.searchsorted(r_s, r_s, side="left")
    starts = np.zeros((rows, k_max), dtype=np.int16)
    ends = np.zeros((rows, k_max), dtype=np.int16)
    starts[r_s, rank] = t_s
    ends[r_s, rank] = t_e
    count = np.bincount(r_s, minlength=rows)
    return starts, ends, count


def event_counts(pred: np.ndarray, gt: np.ndarray, iou_threshold: float = 0.5) -> np.ndarray:
    """Event-level (TP, FP, FN) per clip and class: int array (..., classes, 3).

    TP counts predicted runs with IoU >= `iou_threshold` to some annotated run of the same row,
    FP the other predicted runs, FN the annotated runs no predicted run reaches the threshold with.
    """
    pred = np.asarray(pred, dtype=bool)
    gt = np.asarray(gt, dtype=bool)
    if pred.shape != gt.shape:
        raise ValueError(f"pred {pred.shape} and gt {gt.shape} differ in shape")
    lead = pred.shape[:-1]
    p2 = pred.reshape(-1, pred.shape[-1])
    g2 = gt.reshape(-1, gt.shape[-1])
    out = np.zeros((p2.shape[0], 3), dtype=np.int64)
    active = np.nonzero(p2.any(axis=1) | g2.any(axis=1))[0]  # only rows with some event
    if active.size:
        ps, pe, pn = mask_runs(p2[active])
        gs, ge, gn = mask_runs(g2[active])
        inter = np.minimum(pe[:, :, None], ge[:, None, :]) - np.maximum(ps[:, :, None],
                                                                         gs[:, None, :])
        np.maximum(inter, 0, out=inter)
        p_len = (pe - ps)[:, :, None]
        g_len = (ge - gs)[:, None, :]
        union = p_len + g_len - inter
        # IoU >= num/den  <=>  inter * den >= num * union  (exact in integers)
        frac = Fraction(iou_threshold).limit_denominator(10_000)
        hit = (inter.astype(np.int64) * frac.denominator >= union.astype(np.int64) * frac.numerator)
        hit &= (p_len > 0) & (g_len > 0)
        tp = np.count_nonzero(hit.any(axis=2), axis=1)
        gt_hit = np.count_nonzero(hit.any(axis=1), axis=1)
        out[active, 0] = tp
        out[active, 1] = pn - tp
        out[active, 2] = gn - gt_hit
    return out.reshape(lead + (3,))


def clip_f1(counts: np.ndarray, empty_score: float = 1.0) -> np.ndarray:
    """Per-clip F1 from (clips, classes, 3) (TP, FP, FN) counts.

    The mean over active classes (TP + FP > 0 or TP + FN > 0) of 2TP / (2TP + FP + FN);
    `empty_score` (1.0, as the official scorer) for a clip with no active class.
    """
    counts = np.asarray(counts)
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    den = 2 * tp + fp + fn
    active = den > 0
    f1 = np.where(active, 2.0 * tp / np.maximum(den, 1), 0.0)
    n_active = np.count_nonzero(active, axis=-1)
    return np.where(n_active > 0, f1.sum(axis=-1) / np.maximum(n_active, 1), empty_score)


@dataclass(frozen=True)
class AvvpResult:
    """The ten LLP numbers plus every per-clip count behind them.

    Attributes:
        segment, event: {"audio", "visual", "av", "type_av", "event_av"} -> F1 in percent
            (unrounded; the papers print one decimal).
        clip_scores: level -> {"audio", "visual", "av", "event_av"} -> (clips,) F1 in [0, 1].
        counts: level -> {"audio", "visual", "av"} -> (clips, classes, 3) int (TP, FP, FN).
        clips, classes: names along the first two axes.
        parameters: iou_threshold, n_segments, empty_clip_score and, from files
            (`avtool.tasks.avvp.evaluate.evaluate_avvp_files`), the inputs.
    """

    segment: Mapping[str, float]
    event: Mapping[str, float]
    clip_scores: Mapping[str, Mapping[str, np.ndarray]]
    counts: Mapping[str, Mapping[str, np.ndarray]]
    clips: tuple[str, ...]
    classes: tuple[str, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_clips(self) -> int:
        return len(self.clips)

    def to_dict(self, per_clip: bool = False) -> dict[str, Any]:
        """JSON-ready: the ten numbers (percent), n_clips, parameters, total counts.

        With `per_clip`, also "clips" and "clip_scores" (lists in clip order).
        """
        totals = {
            level: {
                m: dict(zip(("tp", "fp", "fn"),
                            (int(v) for v in self.counts[level][m].sum(axis=(0, 1))),
                            strict=True))
                for m in MODALITIES
            }
            for level in LEVELS
        }
        out: dict[str, Any] = {
            "segment": {k: float(self.segment[k]) for k in METRICS},
            "event": {k: float(self.event[k]) for k in METRICS},
            "n_clips": self.n_clips,
            "parameters": dict(self.parameters),
            "totals": totals,
        }
        if per_clip:
            out["clips"] = list(self.clips)
            out["clip_scores"] = {
                level: {k: v.tolist() for k, v in scores.items()}
                for level, scores in self.clip_scores.items()
            }
        return out


def score_avvp(
    pred_audio: np.ndarray,
    pred_visual: np.ndarray,
    gt_audio: np.ndarray,
    gt_visual: np.ndarray,
    clips: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    iou_threshold: float = 0.5,
) -> AvvpResult:
    """Score (clips, classes, segments) boolean masks; see the module docstring for the rules.

    Edge cases: a clip with nothing annotated and nothing predicted in a modality scores 1.0
    there; zero clips give NaN scores. `clips` defaults to "0", "1", ...; `classes` names the
    class axis (LLP: ``avtool.formats.llp.LLP_CLASSES``, which fixes its length to 25) and
    defaults to "0", "1", ... for any number of classes.

    Raises:
        ValueError: the four arrays are not 3-D of one shape (matching `classes` when given).
    """
    arrays = [np.asarray(a).astype(bool, copy=False)
              for a in (pred_audio, pred_visual, gt_audio, gt_visual)]
    shape = arrays[0].shape
    if (any(a.shape != shape for a in arrays) or len(shape) != 3
            or (classes is not None and shape[1] != len(classes))):
        n_classes = "" if classes is None else f"{len(classes)} "
        raise ValueError(
            f"expected four (clips, {n_classes}classes, segments) arrays of one shape, got "
            f"{[a.shape for a in arrays]}"
        )
    pa, pv, ga, gv = arrays
    masks = {"audio": (pa, ga), "visual": (pv, gv), "av": (pa & pv, ga & gv)}
    count_fns = {"segment": segment_counts,
                 "event": lambda p, g: event_counts(p, g, iou_threshold)}
    counts: dict[str, dict[str, np.ndarray]] = {}
    clip_scores: dict[str, dict[str, np.ndarray]] = {}
    summary: dict[str, dict[str, float]] = {}
    for level in LEVELS:
        c = {m: count_fns[level](*masks[m]) for m in MODALITIES}
        s = {m: clip_f1(c[m]) for m in MODALITIES}
        s["event_av"] = clip_f1(c["audio"] + c["visual"])
        with np.errstate(invalid="ignore"):
            means = {k: 100.0 * float(np.mean(v)) if v.size else float("nan")
                     for k, v in s.items()}
        means["type_av"] = (means["audio"] + means["visual"] + means["av"]) / 3.0
        counts[level], clip_scores[level] = c, s
        summary[level] = {k: means[k] for k in METRICS}
    names = tuple(clips) if clips is not None else tuple(str(i) for i in range(shape[0]))
    if len(names) != shape[0]:
        raise ValueError(f"{len(names)} clip names for {shape[0]} clips")
    class_names = (tuple(classes) if classes is not None
                   else tuple(str(i) for i in range(shape[1])))
    return AvvpResult(
        segment=summary["segment"], event=summary["event"], clip_scores=clip_scores,
        counts=counts, clips=names, classes=class_names,
        parameters={"iou_threshold": iou_threshold, "n_segments": shape[2],
                    "empty_clip_score": 1.0},
    )

