"""AVVP evaluation from files (`avtool evaluate avvp`): read the LLP annotation and prediction
files, match them to the listed clips, score with the pure `avtool.metrics.avvp.score_avvp`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from avtool.errors import FormatError
from avtool.formats.llp import (
    LLP_CLASSES,
    N_SEGMENTS,
    events_to_masks,
    read_llp_events,
    read_llp_weak,
)
from avtool.metrics.avvp import AvvpResult, score_avvp

__all__ = ["evaluate_avvp_files"]


def evaluate_avvp_files(
    clips: str | Path,
    gt_audio: str | Path,
    gt_visual: str | Path,
    pred_audio: str | Path,
    pred_visual: str | Path,
    allow_extra: bool = False,
    n_segments: int = N_SEGMENTS,
) -> AvvpResult:
    """Score prediction TSVs against the LLP annotation files, as the official evaluation.

    Args:
        clips: weak-label file listing the evaluated clips (``AVVP_test_pd.csv``); every row is
            scored, in file order, including clips without any dense row.
        gt_audio, gt_visual: ``AVVP_eval_audio.csv`` / ``AVVP_eval_visual.csv``; rows of clips
            not in `clips` are ignored (as the official scorer does).
        pred_audio, pred_visual: predictions in the same dense format. Clips absent from a
            prediction file have no predicted event in that modality.
        allow_extra: ignore prediction rows whose clip is not in `clips` (their number is
            recorded in ``parameters["ignored_pred_rows"]``). By default they are an error, since
            they usually mean the wrong `clips` file.

    Raises:
        FormatError: a missing or malformed file (names ``file:line``), or a prediction row
            for a clip not in `clips` without `allow_extra`.
    """
    weak = read_llp_weak(clips)
    if not weak:
        raise FormatError(f"{clips}: lists no clips")
    names = [w.filename for w in weak]
    known = set(names)
    masks = []
    for path in (gt_audio, gt_visual):
        masks.append(events_to_masks(read_llp_events(path), names, n_segments=n_segments,
                                     source=path))
    ignored: dict[str, int] = {}
    for path in (pred_audio, pred_visual):
        events = read_llp_events(path)
        extra = [ev for ev in events if ev.filename not in known]
        if extra and not allow_extra:
            raise FormatError(
                f"{path}:{extra[0].line}: clip {extra[0].filename!r} is not in {clips} "
                f"({len(extra)} prediction row(s) for unlisted clips); check --clips or pass "
                "--allow-extra to ignore them"
            )
        ignored[str(path)] = len(extra)
        masks.append(events_to_masks(events, names, n_segments=n_segments, source=path))
    ga, gv, pa, pv = masks
    result = score_avvp(pa, pv, ga, gv, clips=names, classes=LLP_CLASSES)
    params = dict(result.parameters)
    params.update({
        "clips_file": str(clips), "gt_audio": str(gt_audio), "gt_visual": str(gt_visual),
        "pred_audio": str(pred_audio), "pred_visual": str(pred_visual),
        "ignored_pred_rows": sum(ignored.values()),
    })
    return replace(result, parameters=params)
