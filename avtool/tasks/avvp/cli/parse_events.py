"""`avtool parse-events`: audio, visual and audio-visual events of videos with an AVVP parser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import Device, DeviceOpt, JsonOpt, StrictOpt


def _opt(help_: str, *flags: str) -> typer.models.OptionInfo:
    return typer.Option(*flags, help=help_, show_default=False)


def parse_events(
    inputs: Annotated[list[Path], typer.Argument(
        help="A feature store (.h5, LLP store contract), or video files / folders of videos.",
        metavar="INPUT", show_default=False)],
    model: Annotated[Path, _opt("RUN_DIR (its best.pt) or .pt of avtool train avvp.",
                                "--model", "-m")],
    out: Annotated[Path | None, _opt(
        "Write the events as TSV: clip, modality, class, onset, offset, confidence.",
        "--out", "-o")] = None,
    out_audio: Annotated[Path | None, _opt(
        "Write the audio events in the AVVP_eval_audio.csv format (for avtool evaluate avvp).",
        "--out-audio")] = None,
    out_visual: Annotated[Path | None, _opt(
        "Write the visual events in the AVVP_eval_visual.csv format.", "--out-visual")] = None,
    plot: Annotated[Path | None, _opt(
        "Draw the events of the first --plot-clips clips as timelines (PNG).", "--plot")] = None,
    plot_clips: Annotated[int, typer.Option("--plot-clips", min=1,
                                            help="Clips drawn by --plot.")] = 8,
    gt_audio: Annotated[Path | None, _opt(
        "Dense audio annotations (AVVP_eval_audio.csv) drawn beside the predictions in --plot.",
        "--gt-audio")] = None,
    gt_visual: Annotated[Path | None, _opt(
        "Dense visual annotations (AVVP_eval_visual.csv) for --plot.", "--gt-visual")] = None,
    split: Annotated[str, typer.Option(
        "--split", help="Store input: only the items of this split (e.g. test).")] = "",
    clips: Annotated[Path | None, _opt(
        "Store input: the clips, in order, of this weak-label file (e.g. AVVP_test_pd.csv).",
        "--clips")] = None,
    threshold: Annotated[float | None, _opt(
        "Snippet probability threshold (default: the checkpoint's, 0.5).", "--threshold")] = None,
    clip_threshold: Annotated[float | None, _opt(
        "Video-level probability threshold keeping a class (default 0.5).",
        "--clip-threshold")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 64,
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
    written = []
    if out is not None:
        write_events_tsv(out, result.events)
        written.append(str(out))
    if out_audio is not None or out_visual is not None:
        write_llp_predictions(result, out_audio, out_visual)
        written += [str(p) for p in (out_audio, out_visual) if p is not None]
    if plot is not None:
        from avtool.tasks.avvp.timeline import save_timeline

        gt = (None, None)
        if gt_audio is not None:
            from avtool.tasks.avvp.data import load_dense_truth

            truth = load_dense_truth(result.clips, gt_audio, gt_visual, result.classes)
            gt = (truth.audio, truth.visual)
            bare = [c for i, c in enumerate(result.clips[:plot_clips])
                    if not (truth.audio[i].any() or truth.visual[i].any())]
            if bare:  # e.g. training clips: the eval files annotate val and test clips only
                stderr.print(f"avtool: --plot: no ground-truth events for {len(bare)} clip(s) "
                             f"({', '.join(bare[:3])}{', ...' if len(bare) > 3 else ''}); "
                             "are they in --gt-audio/--gt-visual?", highlight=False, markup=False)
        save_timeline(plot, result, *gt, max_clips=plot_clips)
        written.append(str(plot))
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
