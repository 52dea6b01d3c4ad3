"""`avtool evaluate avvp`: the ten LLP audio-visual video parsing numbers from event TSVs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import AppendOpt, JsonOpt, NameOpt, input_path

_COLUMNS = ("audio", "visual", "av", "type_av", "event_av")
_HEADERS = ("Audio", "Visual", "AV", "Type@AV", "Event@AV")


def _file(flag: str, help_: str) -> typer.models.OptionInfo:
    return input_path(flag, must_exist=False, help=help_, show_default=False)


def evaluate_avvp(
    clips: Annotated[Path, _file("--clips", "Weak-label file listing the scored clips "
                                 "(AVVP_test_pd.csv).")],
    gt_audio: Annotated[Path, _file("--gt-audio", "Dense audio annotations "
                                    "(AVVP_eval_audio.csv).")],
    gt_visual: Annotated[Path, _file("--gt-visual", "Dense visual annotations "
                                     "(AVVP_eval_visual.csv).")],
    pred_audio: Annotated[Path, _file("--pred-audio", "Predicted audio events, same format as "
                                      "--gt-audio.")],
    pred_visual: Annotated[Path, _file("--pred-visual", "Predicted visual events, same format "
                                       "as --gt-visual.")],
    allow_extra: Annotated[bool, typer.Option(
        "--allow-extra",
        help="Ignore prediction rows for clips not in --clips (default: an error).",
    )] = False,
    as_json: JsonOpt = False,
    append: AppendOpt = None,
    name: NameOpt = None,
) -> None:
    """Score audio-visual video parsing on LLP exactly as the official LLP scorer.

    Prints segment-level and event-level F1 (%) for audio, visual and audio-visual events, Type@AV and Event@AV. Every clip in --clips counts (1.0 when a modality has nothing annotated and nothing predicted); event hits need IoU >= 0.5; AV = audio AND visual. Prediction files use the AVVP_eval_*.csv format; a prediction for a clip not in --clips is an error unless --allow-extra.

    Example: avtool evaluate avvp --clips AVVP_test_pd.csv --gt-audio AVVP_eval_audio.csv --gt-visual AVVP_eval_visual.csv --pred-audio pred_audio.tsv --pred-visual pred_visual.tsv --json
    """
    from avtool.console import append_row, print_json, print_table, stderr
    from avtool.tasks.avvp.evaluate import evaluate_avvp_files

    result = evaluate_avvp_files(clips, gt_audio, gt_visual, pred_audio, pred_visual,
                                 allow_extra=allow_extra)
    ignored = result.parameters.get("ignored_pred_rows", 0)
    if ignored:
        stderr.print(f"ignored {ignored} prediction row(s) for clips not in {clips}")
    summary = {"segment": dict(result.segment), "event": dict(result.event)}
    if append:
        append_row(append, name or f"{pred_audio.name}+{pred_visual.name}",
                   {**summary, "n_clips": result.n_clips})
    if as_json:
        print_json(result.to_dict())
        return
    rows = [
        [level.capitalize() + "-level", *(f"{summary[level][k]:.1f}" for k in _COLUMNS)]
        for level in ("segment", "event")
    ]
    print_table(rows, ("Level", *_HEADERS), title="AVVP F1 (%)",
                caption=f"{result.n_clips} clips from {clips.name}; IoU >= 0.5 for events")
