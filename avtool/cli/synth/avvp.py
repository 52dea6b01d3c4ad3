"""`avtool synth avvp`: a synthetic LLP-like corpus (mp4 clips + LLP label files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import JsonOpt, SeedOpt, WorkersOpt, number_option, output_path
from avtool.cli.synth import app
from avtool.config import Range


@app.command("avvp")
def avvp(
    out: Annotated[Path, output_path("--out", "-o", kind="dir", help="Output folder (created).",
                                     show_default=False)],
    clips: Annotated[int, number_option("--clips", "-n", kind=int, valid=Range(1, 1_000_000),
                                        help="Number of clips.")] = 200,
    seed: SeedOpt = 0,
    val_fraction: Annotated[float, number_option(
        "--val-fraction", valid=Range(0, 1), help="Share of clips in the val split.")] = 0.2,
    test_fraction: Annotated[float, number_option(
        "--test-fraction", valid=Range(0, 1), help="Share of clips in the test split.")] = 0.2,
    size: Annotated[str, typer.Option("--size", help="Frame size WIDTHxHEIGHT.")] = "160x120",
    fps: Annotated[int, number_option("--fps", kind=int, valid=Range(1, 120),
                                      help="Video frame rate.")] = 8,
    workers: WorkersOpt = 2,
    as_json: JsonOpt = False,
) -> None:
    """Generate a synthetic audio-visual video parsing corpus in the LLP file formats.

    10-s mp4 clips with sound, each with one to three events of the 25 LLP classes; every event is audible, visible or both, with its own whole-second audio and visual spans (so audio-only, visual-only and asynchronous events occur). Writes clips/*.mp4, clips.csv (manifest for extract-features), AVVP_train.csv, AVVP_val_pd.csv, AVVP_test_pd.csv, AVVP_eval_audio.csv, AVVP_eval_visual.csv and truth.jsonl. Deterministic from --seed; clips already rendered are kept on a rerun.

    Example: avtool synth avvp --out build/avvp --clips 200 --seed 0 --workers 2
    """
    from avtool.console import counting_bar, print_json, print_table
    from avtool.errors import ConfigError
    from avtool.synth.avvp import SynthAvvpConfig, synth_avvp

    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size {size!r}: expected WIDTHxHEIGHT, e.g. 160x120") from None
    if width < 64 or height < 64 or width % 2 or height % 2:
        raise ConfigError(f"--size {size!r}: width and height must be even and >= 64")
    if val_fraction + test_fraction >= 1.0:
        raise ConfigError("--val-fraction + --test-fraction must leave some train clips (< 1)")
    cfg = SynthAvvpConfig(clips=clips, seed=seed, val_fraction=val_fraction,
                          test_fraction=test_fraction, width=width, height=height, fps=fps)
    with counting_bar("render", clips) as progress:
        report = synth_avvp(out, cfg, workers=workers, progress=progress)
    if as_json:
        print_json(report.to_dict())
        return
    splits = ", ".join(f"{k} {v}" for k, v in report.splits.items())
    events = ", ".join(f"{k} {v}" for k, v in report.events.items())
    print_table([[report.out, report.clips, splits, events, report.asynchronous,
                  f"{report.wall_seconds:.1f}"]],
                ["out", "clips", "splits", "events", "async AV", "seconds"])
