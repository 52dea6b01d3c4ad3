"""The grounding task's commands: `avtool align-captions` (find when a caption happens in a
video, with a model of `avtool train grounding`) and `avtool evaluate grounding` (R@n at
IoU=m and mean IoU for temporal sentence grounding)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import (
    PLOT_SUFFIXES,
    AppendOpt,
    Device,
    DeviceOpt,
    JsonOpt,
    NameOpt,
    StrictOpt,
    input_path,
    output_path,
)


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


class QueriesFormat(str, Enum):
    auto = "auto"
    charades_sta = "charades-sta"
    activitynet = "activitynet"
    malta = "malta"


def _span(text: str | None) -> tuple[float, float] | None:
    from avtool.errors import ConfigError

    if text is None:
        return None
    values = _numbers(text, "--true-span", float)
    if len(values) != 2 or values[0] > values[1] or values[0] < 0:
        raise ConfigError(f"--true-span {text!r}: expected START,END seconds with "
                          "0 <= START <= END")
    return values[0], values[1]


def align_captions(
    video: Annotated[Path | None, input_path(
        "VIDEO", argument=True, kind="file", show_default=False,
        help="A video file: its features are computed with the checkpoint's extractor "
        "settings.")] = None,
    caption: Annotated[str | None, typer.Option(
        "--caption", "-c", show_default=False, help="The caption to find in VIDEO.")] = None,
    model: Annotated[Path | None, input_path(
        "--model", "-m", kind="any", must_exist=False, show_default=False,
        envvar="AVTOOL_GROUNDING_MODEL", help="RUN_DIR (its best.pt) or .pt of avtool train "
        "grounding (env AVTOOL_GROUNDING_MODEL).")] = None,
    queries: Annotated[Path | None, input_path(
        "--queries", "-q", show_default=False, help="Batch: a query file in the "
        "Charades-STA, ActivityNet Captions or MALTA format (the ground truth, when given, "
        "is kept for --plot).")] = None,
    queries_format: Annotated[QueriesFormat, typer.Option(
        "--queries-format", help="auto: .json with caption kinds is MALTA, other .json "
        "ActivityNet Captions, anything else Charades-STA.")] = QueriesFormat.auto,
    videos: Annotated[Path | None, input_path(
        "--videos", kind="any", show_default=False, help="Batch: a folder of videos "
        "(<video_id>.mp4...), a feature store, or released features (<stream>/<id>.npy, "
        "<stream>.h5).")] = None,
    durations: Annotated[Path | None, input_path(
        "--durations", show_default=False, help="'video_id<TAB>seconds' lines (Charades-STA "
        "queries over released features).")] = None,
    transcripts: Annotated[Path | None, input_path(
        "--transcripts", show_default=False, help="transcripts.jsonl, for a video+transcript "
        "model.")] = None,
    out: Annotated[Path | None, output_path(
        "--out", "-o", show_default=False, help="Batch: the predictions TSV (query_id "
        "video_id start end score) that avtool evaluate grounding reads.")] = None,
    true_span: Annotated[str | None, typer.Option(
        "--true-span", show_default=False, help="START,END seconds of the caption, drawn by "
        "--plot.")] = None,
    plot: Annotated[Path | None, output_path(
        "--plot", suffixes=PLOT_SUFFIXES, show_default=False, help="Draw the video and "
        "audio attention over time with the predicted (and true) spans (.png/.pdf/.svg; a "
        "batch draws its first 12 queries).")] = None,
    video_only: Annotated[bool, typer.Option(
        "--video-only", help="Align with the video attention alone (for a MALTA model on a "
        "video without sound); without it such a video is an error.")] = False,
    device: DeviceOpt = Device.auto,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Find when a caption happens in a video (MALTA, ABLR).

    One caption: VIDEO --caption "..." prints the start and end (seconds) and a confidence (the fused attention's mass inside the span). Batch: --queries FILE --videos DIR|STORE --out predictions.tsv aligns every query (Charades-STA, ActivityNet Captions or MALTA format) and writes the predictions avtool evaluate grounding reads; queries that cannot be aligned (empty caption, no known word, a span outside the video, a video without features, sound or frames) are listed at the end and make the exit status 1. Predictions are floored to the segment grid when the model was trained so (ABLR's evaluation code; avtool train grounding --no-grid-floor otherwise).

    Example: avtool align-captions clip.mp4 --caption "a man explains how to fold the cloth" --model runs/malta --json

    Example: avtool align-captions --queries MALTA/TFT_av/test.json --videos feats.h5 --model runs/malta --out pred.tsv
    """
    from avtool.errors import ConfigError
    from avtool.tasks.grounding.align import align_one

    if model is None:
        raise ConfigError("give --model RUN_DIR (a run of avtool train grounding) or set "
                          "AVTOOL_GROUNDING_MODEL; avtool ships no grounding weights")
    truth = _span(true_span)
    if queries is not None:
        if video is not None or caption is not None or truth is not None:
            raise ConfigError("--queries aligns a whole file: leave out VIDEO, --caption and "
                              "--true-span")
        if videos is None or out is None:
            raise ConfigError("--queries needs --videos (videos or features) and --out "
                              "(predictions TSV)")
        _align_file(model, queries, queries_format.value, videos, durations, transcripts, out,
                    plot, video_only, strict, device.value, as_json)
        return
    if video is None or caption is None:
        raise ConfigError("give VIDEO and --caption (or --queries FILE for a batch)")
    if out is not None or videos is not None:
        raise ConfigError("--out and --videos are for --queries")
    result = align_one(model, video, caption, truth=truth, video_only=video_only,
                       transcripts=transcripts, device=device.value, plot=plot)
    if as_json:
        from avtool.console import print_json

        print_json(result.to_dict())
    else:
        print(f"{result.start:.2f}\t{result.end:.2f}\t{result.score:.3f}")


def _align_file(model, queries, fmt, videos, durations, transcripts, out, plot, video_only,
                strict, device, as_json) -> None:
    from avtool.console import print_json, print_table, stderr
    from avtool.tasks.grounding.align import align_batch

    result = align_batch(model, queries, videos, out, queries_format=fmt, durations=durations,
                         transcripts=transcripts, video_only=video_only, strict=strict,
                         device=device, plot=plot)
    for where, reason in result.failures:
        stderr.print(f"avtool: failed: {reason}" if reason.startswith(where) else
                     f"avtool: failed: {where}: {reason}", highlight=False, markup=False)
    if as_json:
        print_json({"queries": result.queries, "aligned": len(result.alignments),
                    "failed": len(result.failures), "written": str(out)})
    else:
        print_table([[result.queries, len(result.alignments), len(result.failures), str(out)]],
                    ["queries", "aligned", "failed", "written"], title="avtool align-captions")
    if result.failures:
        raise typer.Exit(1)


# (group, name, function): group None is a top-level command, else `avtool GROUP NAME`.
COMMANDS = [(None, "align-captions", align_captions), ("evaluate", "grounding", evaluate_grounding)]
