"""`avtool parse-events`: audio, visual and audio-visual events of videos with an AVVP parser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import (
    PLOT_SUFFIXES,
    Device,
    DeviceOpt,
    JsonOpt,
    StrictOpt,
    input_path,
    number_option,
    output_path,
)
from avtool.config import Range

PROBABILITY = Range(0, 1)


def parse_events(
    inputs: Annotated[list[Path], input_path(
        "INPUT", kind="any", must_exist=False, argument=True,
        help="A feature store (.h5, LLP store contract), or video files / folders of videos.",
        show_default=False)],
    model: Annotated[Path, input_path(
        "--model", "-m", kind="any", must_exist=False, show_default=False,
        help="RUN_DIR (its best.pt) or .pt of avtool train avvp.")],
    out: Annotated[Path | None, output_path(
        "--out", "-o", show_default=False,
        help="Write the events as TSV: clip, modality, class, onset, offset, confidence.")] = None,
    out_audio: Annotated[Path | None, output_path(
        "--out-audio", show_default=False, help="Write the audio events in the "
        "AVVP_eval_audio.csv format (for avtool evaluate avvp).")] = None,
    out_visual: Annotated[Path | None, output_path(
        "--out-visual", show_default=False,
        help="Write the visual events in the AVVP_eval_visual.csv format.")] = None,
    plot: Annotated[Path | None, output_path(
        "--plot", suffixes=PLOT_SUFFIXES, show_default=False,
        help="Draw the events of the first --plot-clips clips as timelines (.png, .pdf, "
        ".svg).")] = None,
    plot_clips: Annotated[int, number_option("--plot-clips", kind=int, valid=Range(min=1),
                                             help="Clips drawn by --plot.")] = 8,
    gt_audio: Annotated[Path | None, input_path(
        "--gt-audio", must_exist=False, show_default=False, help="Dense audio annotations "
        "(AVVP_eval_audio.csv) drawn beside the predictions in --plot.")] = None,
    gt_visual: Annotated[Path | None, input_path(
        "--gt-visual", must_exist=False, show_default=False,
        help="Dense visual annotations (AVVP_eval_visual.csv) for --plot.")] = None,
    split: Annotated[str, typer.Option(
        "--split", help="Store input: only the items of this split (e.g. test).")] = "",
    clips: Annotated[Path | None, input_path(
        "--clips", must_exist=False, show_default=False, help="Store input: the clips, in "
        "order, of this weak-label file (e.g. AVVP_test_pd.csv).")] = None,
    threshold: Annotated[float | None, number_option(
        "--threshold", valid=PROBABILITY, show_default=False,
        help="Snippet probability threshold (default: the checkpoint's, 0.5).")] = None,
    clip_threshold: Annotated[float | None, number_option(
        "--clip-threshold", valid=PROBABILITY, show_default=False,
        help="Video-level probability threshold keeping a class (default 0.5).")] = None,
    batch_size: Annotated[int, number_option("--batch-size", kind=int, valid=Range(min=1),
                                             help="Clips per forward pass.")] = 64,
    device: DeviceOpt = Device.auto,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Parse the audio, visual and audio-visual events of videos (LLP audio-visual video parsing).

    Runs an AVVP parser (HAN or a Lamba et al. variant, from avtool train avvp) over 10-s clips. Video inputs are turned into the llp_audio / llp_frame / llp_motion features with the training store's extractor settings (saved in the checkpoint); a store input is used as it is. Official inference rule: a class is present when the video-level probability is >= 0.5, a second is positive in a modality when its probability is >= 0.5, audio-visual = audio AND visual; events are maximal runs of positive seconds (offset exclusive). Prints the events (or a summary when --out is given); videos that fail are listed on stderr and make the exit status 1.

    Example: avtool parse-events clips/ --model runs/avvp --out events.tsv --plot timeline.png

    Example: avtool parse-events test.h5 --model runs/avvp --clips AVVP_test_pd.csv --out-audio pred_audio.tsv --out-visual pred_visual.tsv
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from avtool.console import print_json, print_table, stderr
    from avtool.errors import ConfigError
    from avtool.io import atomic_paths
    from avtool.tasks.avvp.parse import parse_events as run
    from avtool.tasks.avvp.predictor import MODALITIES, write_events_tsv, write_llp_predictions

    if (gt_audio is None) != (gt_visual is None):
        raise ConfigError("give both --gt-audio and --gt-visual")
    if gt_audio is not None and plot is None:
        raise ConfigError("--gt-audio/--gt-visual are drawn by --plot; give --plot FILE.png")
    with Progress(TextColumn("extract"), BarColumn(), MofNCompleteColumn(), console=stderr,
                  transient=True) as bar:
        task = bar.add_task("extract", total=None)
        result = run(inputs, model, device=device.value, split=split, clips_file=clips,
                     clip_threshold=clip_threshold, segment_threshold=threshold,
                     batch_size=batch_size, strict=strict,
                     progress=lambda done, total: bar.update(task, completed=done, total=total))
    gt = (None, None)
    if gt_audio is not None:  # read before anything is written: a bad file leaves no output
        from avtool.tasks.avvp.data import load_dense_truth

        truth = load_dense_truth(result.clips, gt_audio, gt_visual, result.classes)
        gt = (truth.audio, truth.visual)
        bare = [c for i, c in enumerate(result.clips[:plot_clips])
                if not (truth.audio[i].any() or truth.visual[i].any())]
        if bare:  # e.g. training clips: the eval files annotate val and test clips only
            stderr.print(f"avtool: --plot: no ground-truth events for {len(bare)} clip(s) "
                         f"({', '.join(bare[:3])}{', ...' if len(bare) > 3 else ''}); "
                         "are they in --gt-audio/--gt-visual?", highlight=False, markup=False)
    targets = [out, out_audio, out_visual, plot]
    with atomic_paths(targets) as (tmp_out, tmp_audio, tmp_visual, tmp_plot):
        if tmp_out is not None:
            write_events_tsv(tmp_out, result.events)
        if tmp_audio is not None or tmp_visual is not None:
            write_llp_predictions(result, tmp_audio, tmp_visual)
        if tmp_plot is not None:
            from avtool.tasks.avvp.timeline import save_timeline

            save_timeline(tmp_plot, result, *gt, max_clips=plot_clips)
    written = [str(p) for p in targets if p is not None]
    for path, reason in result.failed:
        stderr.print(f"avtool: failed: {path}: {reason}", highlight=False, markup=False)
    if as_json:
        print_json({**result.to_dict(), "written": written})
    elif written:
        counts = {m: sum(e.modality == m for e in result.events) for m in MODALITIES}
        print_table([[len(result.clips), *counts.values(), len(result.failed),
                      ", ".join(written)]],
                    ["clips", *(f"{m} events" for m in MODALITIES), "failed", "written"],
                    title=f"AVVP events ({result.variant})")
    else:
        print_table([[e.clip, e.modality, e.label, f"{e.onset:g}", f"{e.offset:g}",
                      f"{e.confidence:.3f}"] for e in result.events],
                    ["clip", "modality", "class", "onset", "offset", "confidence"],
                    title=f"AVVP events ({result.variant}), {len(result.clips)} clip(s)")
    if result.failed:
        raise typer.Exit(1)
