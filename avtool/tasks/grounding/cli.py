"""`avtool evaluate grounding`: R@n at IoU=m and mean IoU for temporal sentence grounding."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import AppendOpt, JsonOpt, NameOpt, input_path, output_path


class GtFormat(str, Enum):
    auto = "auto"
    charades_sta = "charades-sta"
    activitynet = "activitynet"


class IouRule(str, Enum):
    ge = "ge"
    gt = "gt"


def _numbers(text: str, option: str, cast: type) -> list:
    from avtool.errors import ConfigError

    try:
        values = [cast(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{option}: expected comma-separated numbers, got {text!r}") from None
    if not values:
        raise ConfigError(f"{option}: no value given")
    return values


def evaluate_grounding(
    pred: Annotated[Path, input_path(
        "--pred", must_exist=False, help="Predictions TSV with header 'query_id video_id start "
        "end' and an optional 'rank' column (several ranked predictions per query).")],
    gt: Annotated[Path, input_path(
        "--gt", must_exist=False, help="Ground truth: Charades-STA 'vid start end##sentence' "
        "text, or ActivityNet Captions JSON.")],
    gt_format: Annotated[GtFormat, typer.Option(
        "--gt-format", help="auto: .json is ActivityNet Captions, anything else "
        "Charades-STA.")] = GtFormat.auto,
    durations: Annotated[Path | None, input_path(
        "--durations", must_exist=False, help="'video_id<TAB>duration' lines (seconds); "
        "overrides the durations of an ActivityNet JSON. Without any, times are clipped at 0 "
        "only.")] = None,
    iou: Annotated[str, typer.Option(
        "--iou", help="IoU thresholds m of R@n,IoU=m, comma-separated, each in (0, 1].")
    ] = "0.1,0.3,0.5,0.7",
    iou_rule: Annotated[IouRule, typer.Option(
        "--iou-rule", help="ge: a hit is IoU >= m (ABLR code, default); gt: IoU > m (the MALTA "
        "paper's 'larger than').")] = IouRule.ge,
    recall_at: Annotated[str, typer.Option(
        "--recall-at", help="n of R@n, comma-separated; used when PRED has a rank column "
        "(R@1 always).")] = "1,5",
    per_video: Annotated[Path | None, output_path(
        "--per-video", help="Also write per-video query count, mIoU and R@1 to this TSV.")] = None,
    per_query: Annotated[Path | None, output_path(
        "--per-query", help="Also write per-query ground truth, top prediction and IoU to this "
        "TSV.")] = None,
    as_json: JsonOpt = False,
    append: AppendOpt = None,
    name: NameOpt = None,
) -> None:
    """Score temporal sentence grounding: R@1 (and R@n with ranked predictions) at each IoU
    threshold, plus mean IoU, as fractions. Predictions and ground truth are clipped to
    [0, duration] (counted); a query without a prediction scores 0 and is reported.

    Example: avtool evaluate grounding --pred pred.tsv --gt charades_sta_test.txt
    --durations durations.tsv --iou 0.3,0.5,0.7 --json
    """
    from avtool import console
    from avtool.formats.moments import write_tsv
    from avtool.io import atomic_paths
    from avtool.metrics.temporal import IOU_RULES, threshold_key
    from avtool.tasks.grounding.evaluate import evaluate_grounding_files

    thresholds = _numbers(iou, "--iou", float)
    ns = _numbers(recall_at, "--recall-at", int)
    evaluation = evaluate_grounding_files(
        pred, gt, gt_format=gt_format.value, durations=durations, thresholds=thresholds,
        iou_rule=iou_rule.value, recall_at=ns)
    result = evaluation.result
    _report(evaluation, console.stderr)

    out = evaluation.to_dict()
    with atomic_paths([per_video, per_query]) as (tmp_video, tmp_query):  # all or none
        if tmp_video is not None:
            write_tsv(tmp_video, *evaluation.per_video_table())
        if tmp_query is not None:
            write_tsv(tmp_query, *evaluation.per_query_table())
        if append:
            console.append_row(append, name or str(pred), out)
    if as_json:
        console.print_json(out)
        return
    rows = []
    for j, m in enumerate(result.thresholds):
        rows.append([f"IoU{IOU_RULES[result.rule]}{threshold_key(m)}",
                     *(result.recall[i][j] for i in range(len(result.ns)))])
    rows.append(["mIoU", result.miou, *([""] * (len(result.ns) - 1))])
    c = out["counts"]
    console.print_table(
        rows, ["", *(f"R@{n}" for n in result.ns)], title="grounding",
        caption=f"{c['queries']} queries, {c['missing']} without prediction (scored 0); "
        f"clipped to [0, duration]: {c['pred_clipped']} predictions, {c['gt_clipped']} ground "
        f"truths; fractions")


def _report(evaluation, console) -> None:
    """Warnings on stderr: missing predictions, clipping, unknown durations."""
    result = evaluation.result
    if result.n_missing:
        ids = ", ".join(evaluation.missing_query_ids[:10])
        more = f" (+{result.n_missing - 10} more)" if result.n_missing > 10 else ""
        console.print(f"warning: {result.n_missing} of {result.n_queries} queries have no "
                      f"prediction and score 0: {ids}{more}", markup=False)
    if result.n_pred_clipped or result.n_gt_clipped:
        console.print(f"note: clipped to [0, duration]: {result.n_pred_clipped} predictions, "
                      f"{result.n_gt_clipped} ground-truth moments", markup=False)
    if result.n_unknown_duration:
        console.print(f"note: no duration for {result.n_unknown_duration} queries (pass "
                      "--durations): their times are clipped at 0 only", markup=False)


# (group, name, function): group None is a top-level command, else `avtool GROUP NAME`.
COMMANDS = [("evaluate", "grounding", evaluate_grounding)]
