"""Temporal grounding evaluation from files (`avtool evaluate grounding`).

`evaluate_grounding_files` picks the ground-truth format (Charades-STA text or ActivityNet
Captions JSON), reads it, the prediction TSV and the optional durations
(`avtool.formats.moments`), matches predictions to queries and scores them with the pure
`avtool.metrics.temporal.grounding_metrics`. The returned `GroundingEvaluation` holds the result,
the matched inputs and the per-video / per-query tables; the CLI only renders it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import ConfigError
from avtool.formats.activitynet_captions import read_activitynet_captions
from avtool.formats.charades_sta import read_charades_sta
from avtool.formats.moments import (
    GroundingInputs,
    match_grounding,
    read_durations,
    read_moment_predictions,
)
from avtool.metrics.temporal import (
    IOU_RULES,
    IOU_THRESHOLDS,
    GroundingResult,
    grounding_metrics,
    per_group,
)

__all__ = [
    "GT_FORMATS",
    "GroundingEvaluation",
    "check_grounding_options",
    "evaluate_grounding_files",
    "resolve_gt_format",
]

GT_FORMATS = ("auto", "charades-sta", "activitynet")
"""``--gt-format`` values: auto picks ActivityNet Captions for ``.json``, else Charades-STA."""
RECALL_AT = (1, 5)


@dataclass(frozen=True)
class GroundingEvaluation:
    """The scores of one prediction file, with the matched inputs behind them."""

    result: GroundingResult
    inputs: GroundingInputs
    gt_format: str
    """The ground-truth format read: ``"charades-sta"`` or ``"activitynet"``."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `avtool evaluate grounding --json` (``GroundingResult.to_dict``)."""
        return self.result.to_dict()

    @property
    def missing_query_ids(self) -> list[str]:
        """Ids of the queries without any prediction (scored 0), in ground-truth order."""
        return [self.inputs.queries[i].query_id for i in self.result.missing]

    def per_video_table(self) -> tuple[list[str], list[list[Any]]]:
        """(columns, rows): per video, query count, mIoU and R@1 per threshold (``--per-video``)."""
        rows = per_group(self.result, [q.video_id for q in self.inputs.queries])
        cols = list(rows[0])
        return ["video_id", *cols[1:]], [list(r.values()) for r in rows]

    def per_query_table(self) -> tuple[list[str], list[list[Any]]]:
        """(columns, rows): per query, ground truth, top prediction (empty if none), its IoU and
        the best IoU at each n > 1 of R@n (``--per-query``)."""
        result, inputs = self.result, self.inputs
        top = np.full((result.n_queries, 2), np.nan)
        rank = (inputs.pred_rank if inputs.pred_rank is not None
                else np.ones(len(inputs.pred_query), dtype=np.int64))
        first = rank == 1
        top[inputs.pred_query[first]] = inputs.pred[first]
        cols = ["query_id", "video_id", "gt_start", "gt_end", "pred_start", "pred_end", "iou"]
        cols += [f"best_iou@{n}" for n in result.ns if n != 1]
        rows = []
        for i, q in enumerate(inputs.queries):
            ps, pe = ("", "") if np.isnan(top[i, 0]) else (float(top[i, 0]), float(top[i, 1]))
            rows.append([q.query_id, q.video_id, q.start, q.end, ps, pe,
                         float(result.best_iou[0, i]),
                         *(float(result.best_iou[k, i]) for k, n in enumerate(result.ns)
                           if n != 1)])
        return cols, rows


def resolve_gt_format(gt: str | Path, gt_format: str = "auto") -> str:
    """``"charades-sta"`` or ``"activitynet"``: `gt_format`, or for ``"auto"`` by the suffix."""
    if gt_format not in GT_FORMATS:
        raise ConfigError(f"--gt-format {gt_format!r}: choose one of {', '.join(GT_FORMATS)}")
    if gt_format == "auto":
        return "activitynet" if Path(gt).suffix.lower() == ".json" else "charades-sta"
    return gt_format


def check_grounding_options(thresholds: Sequence[float], recall_at: Sequence[int],
                            iou_rule: str = "ge") -> None:
    """ConfigError for an empty list, a threshold outside (0, 1], an n < 1 or an unknown rule."""
    if not thresholds:
        raise ConfigError("--iou: no value given")
    if not recall_at:
        raise ConfigError("--recall-at: no value given")
    bad = [m for m in thresholds if not 0.0 < m <= 1.0]
    if bad:
        raise ConfigError(f"--iou: thresholds must lie in (0, 1], got {bad}")
    if min(recall_at) < 1:
        raise ConfigError(f"--recall-at: n must be >= 1, got {list(recall_at)}")
    if iou_rule not in IOU_RULES:
        raise ConfigError(f"--iou-rule {iou_rule!r}: choose one of {', '.join(IOU_RULES)}")


def evaluate_grounding_files(
    pred: str | Path,
    gt: str | Path,
    *,
    gt_format: str = "auto",
    durations: str | Path | None = None,
    thresholds: Sequence[float] = IOU_THRESHOLDS,
    iou_rule: str = "ge",
    recall_at: Sequence[int] = RECALL_AT,
) -> GroundingEvaluation:
    """Score a moment prediction TSV against Charades-STA or ActivityNet Captions ground truth.

    Args:
        pred: predictions TSV (``query_id video_id start end [rank]``, see
            `avtool.formats.moments`).
        gt: Charades-STA ``vid start end##sentence`` text or ActivityNet Captions JSON.
        gt_format: ``"auto"`` (``.json`` is ActivityNet Captions, anything else Charades-STA),
            ``"charades-sta"`` or ``"activitynet"``.
        durations: ``video_id<TAB>duration`` file; overrides the durations of an ActivityNet
            JSON. Without any, times are clipped at 0 only.
        thresholds: IoU thresholds m of R@n,IoU=m, each in (0, 1].
        iou_rule: ``"ge"`` (IoU >= m, ABLR's code) or ``"gt"`` (IoU > m, the MALTA paper).
        recall_at: the n of R@n; used only when the predictions have a rank column (R@1
            always).

    Raises:
        ConfigError: a bad option value (the message names the CLI option).
        FormatError: a missing or malformed file, or a prediction that does not match the
            ground truth (unknown query, wrong video, a (query, rank) twice), naming file:line.
    """
    check_grounding_options(thresholds, recall_at, iou_rule)
    fmt = resolve_gt_format(gt, gt_format)
    video_durations = None
    if fmt == "activitynet":
        queries, video_durations = read_activitynet_captions(gt)
    else:
        queries = read_charades_sta(gt)
    if durations is not None:
        video_durations = read_durations(durations)
    preds = read_moment_predictions(pred)
    inputs = match_grounding(queries, preds, video_durations, durations_path=durations or gt)
    result = grounding_metrics(
        inputs.gt, inputs.pred, inputs.pred_query, inputs.pred_rank, duration=inputs.duration,
        thresholds=thresholds, rule=iou_rule,
        ns=recall_at if preds.rank is not None else (1,))
    return GroundingEvaluation(result, inputs, fmt)
