"""`avtool evaluate speaker`: EER and minDCF of a score file on a VoxCeleb-style trial list."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import (
    PLOT_SUFFIXES,
    AppendOpt,
    JsonOpt,
    NameOpt,
    input_path,
    number_option,
    output_path,
)
from avtool.config import Range


class EerMode(str, Enum):
    roc = "roc"
    max = "max"
    mean = "mean"


def evaluate_speaker(
    scores: Annotated[Path, input_path("--scores", must_exist=False,
                                       help="Score file: 'path1 path2 score' per line.")],
    trials: Annotated[
        Path, input_path("--trials", must_exist=False,
                         help="Trial list: 'label path1 path2' (veri_test.txt...).")
    ],
    p_target: Annotated[
        list[float] | None,
        number_option("--p-target", valid=Range(0, 1, min_open=True, max_open=True),
                      help="Prior of a target trial for minDCF; repeat for several. Default "
                      "0.01 (the thesis, NIST SRE16/18); VoxSRC uses 0.05."),
    ] = None,
    c_miss: Annotated[float, number_option("--c-miss", valid=Range(0, min_open=True),
                                           help="Cost of a miss.")] = 1.0,
    c_fa: Annotated[float, number_option("--c-fa", valid=Range(0, min_open=True),
                                         help="Cost of a false alarm.")] = 1.0,
    eer_mode: Annotated[
        EerMode, typer.Option("--eer-mode", help="EER on finite trials: roc (interpolated ROC "
                              "crossing, as the thesis code), max or mean (voxceleb_trainer).")
    ] = EerMode.roc,
    det: Annotated[
        Path | None, output_path("--det", suffixes=PLOT_SUFFIXES,
                                 help="Write a DET curve plot here (.png, .pdf, .svg).")
    ] = None,
    as_json: JsonOpt = False,
    append: AppendOpt = None,
    name: NameOpt = None,
) -> None:
    """Score a trial list: EER (%) and minDCF per P_target (C_miss = C_fa = 1 by default).

    Trials and scores are joined by the (path1, path2) pair, never by line order; a trial without a score is an error naming the trial file and line.

    Example: avtool evaluate speaker --scores scores.txt --trials veri_test2.txt --p-target 0.01 --p-target 0.05 --det det.png
    """
    from avtool import console
    from avtool.io import atomic_paths
    from avtool.metrics.verification import det_curve, p_target_key
    from avtool.tasks.speaker.scoring import evaluate_trials

    evaluation = evaluate_trials(scores, trials, p_targets=tuple(p_target or ()), c_miss=c_miss,
                                 c_fa=c_fa, eer_mode=eer_mode.value)
    result = evaluation.result
    with atomic_paths([det]) as (tmp_det,):  # the plot appears only if the row is appended
        if tmp_det is not None:
            from avtool.tasks.speaker.det_plot import save_det_plot

            save_det_plot(tmp_det, det_curve(evaluation.scores, evaluation.labels), result,
                          title=f"{trials.name}: {scores.name}")
        if append is not None:
            console.append_row(append, name or f"{scores.name} on {trials.name}", {
                "eer": result.eer,
                "min_dcf": {p_target_key(d.p_target): d.min_dcf for d in result.min_dcf},
                "eer_mode": result.eer_mode,
                "c_miss": c_miss,
                "c_fa": c_fa,
                "n_target": result.n_target,
                "n_nontarget": result.n_nontarget,
                "trial_list_sha256": result.trial_list_sha256,
            })
    if det is not None:
        console.stderr.print(f"DET curve written to {det}")
    if as_json:
        console.print_json(evaluation.to_dict())
        return
    rows = [("EER (%)", result.eer, f"{result.eer_mode} convention; threshold "
             f"{result.eer_threshold:.6g} (P_miss {100 * result.eer_p_miss:.2f}%, "
             f"P_fa {100 * result.eer_p_fa:.2f}%)")]
    for d in result.min_dcf:
        rows.append(("minDCF", d.min_dcf, f"P_target={p_target_key(d.p_target)}, "
                     f"C_miss={d.c_miss:g}, C_fa={d.c_fa:g}; threshold {d.threshold:.6g}"))
    rows.append(("trials", len(evaluation.labels),
                 f"{result.n_target} target, {result.n_nontarget} non-target"))
    console.print_table(
        rows, ["metric", "value", "parameters"], title=f"Speaker verification: {trials.name}",
        caption=f"trial list sha256 {result.trial_list_sha256[:12]}; scores {scores}",
    )
