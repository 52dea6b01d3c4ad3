"""`avtool evaluate retrieval`: R@K, MdR, MnR for text-to-video and video-to-text retrieval."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import AppendOpt, JsonOpt, NameOpt, input_path


class Ties(str, Enum):
    averaging = "averaging"
    optimistic = "optimistic"
    pessimistic = "pessimistic"


def evaluate_retrieval(
    sim: Annotated[list[str], typer.Option(
        "--sim", help="Similarity matrix, queries (rows) x videos (columns): a 2-D .npy "
        "(memory-mapped) or FILE.h5:DATASET. Repeat for several runs (mean and std).")],
    query_ids: Annotated[Path, input_path(
        "--query-ids", must_exist=False, help="One caption id per line, in row order.")],
    video_ids: Annotated[Path, input_path(
        "--video-ids", must_exist=False, help="One video id per line, in column order.")],
    gt: Annotated[Path, input_path(
        "--gt", must_exist=False, help="Ground truth: 'caption_id<TAB>video_id' lines "
        "(several captions per video allowed).")],
    ties: Annotated[Ties, typer.Option(
        "--ties", help="Where a ground truth tied with other scores lands: averaging = mean "
        "tied position (the MMT/CE released code, default); optimistic = first; "
        "pessimistic = last.")] = Ties.averaging,
    as_json: JsonOpt = False,
    append: AppendOpt = None,
    name: NameOpt = None,
) -> None:
    """Score text-to-video (each caption ranks all videos) and video-to-text (each video ranks
    all captions; its rank is that of its best caption) retrieval: R@1/5/10/50 in percent,
    median rank (MdR) and mean rank (MnR), ranks 1-based. Rows are read in chunks: no rank table
    is built, so 1,000 x 1,000,000 matrices work.

    Example: avtool evaluate retrieval --sim sims.npy --query-ids queries.txt
    --video-ids videos.txt --gt gt.tsv --json
    """
    from avtool import console
    from avtool.tasks.retrieval.evaluate import evaluate_retrieval_files

    summary = evaluate_retrieval_files(sim, query_ids, video_ids, gt, ties=ties.value)
    n_runs = len(summary.runs)
    out = summary.to_dict()
    if append:
        row = {k: v for k, v in out.items() if k != "runs"}
        console.append_row(append, name or ",".join(sim), row)
    if as_json:
        console.print_json(out)
        return
    rows = []
    for key in summary.mean["t2v"]:
        cells = [key]
        for direction in ("t2v", "v2t"):
            m, s = summary.mean[direction][key], summary.std[direction][key]
            cells.append(f"{m:.2f} ± {s:.2f}" if n_runs > 1 else f"{m:.2f}")
        rows.append(cells)
    c = out["counts"]
    runs = f"mean ± std over {n_runs} runs; " if n_runs > 1 else ""
    console.print_table(
        rows, ["metric", "text→video", "video→text"], title="retrieval",
        caption=f"{runs}{c['t2v_queries']} captions x {c['videos']} videos, "
        f"{c['v2t_queries']} videos with captions; ties: {ties.value}; R@K in %")

