"""`avtool synth dialogs`: a synthetic AVSD corpus (mp4 videos + DSTC7-AVSD dialog files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from avtool.cli.options import JsonOpt, SeedOpt, WorkersOpt, number_option, output_path
from avtool.cli.synth import app
from avtool.config import Range


@app.command("dialogs")
def dialogs(
    out: Annotated[Path, output_path("--out", "-o", kind="dir", help="Output folder (created).",
                                     show_default=False)],
    videos: Annotated[int, number_option("--videos", "-n", kind=int, valid=Range(1, 1_000_000),
                                         help="Number of videos (one dialog each).")] = 200,
    seed: SeedOpt = 0,
    val_fraction: Annotated[float, number_option(
        "--val-fraction", valid=Range(0, 1, max_open=True),
        help="Share of videos in the validation split.")] = 0.15,
    test_fraction: Annotated[float, number_option(
        "--test-fraction", valid=Range(0, 1, max_open=True),
        help="Share of videos in the test split.")] = 0.15,
    turns: Annotated[int, number_option("--turns", kind=int, valid=Range(1, 10),
                                        help="Question-answer turns per dialog.")] = 10,
    seconds: Annotated[int, number_option("--seconds", kind=int, valid=Range(3, 60),
                                          help="Video length.")] = 4,
    workers: WorkersOpt = 2,
    as_json: JsonOpt = False,
) -> None:
    """Generate a synthetic audio-visual scene-aware dialog corpus in the DSTC7-AVSD formats.

    Short mp4 videos of one or two sprites (colour, shape, motion, size, starting side; the second appears later) with a library sound at the beginning, at the end or throughout (or none) and sometimes a voice, each with a dialog of ten questions answered by the frames, the motion, the audio or the history ("what about the other one ?"). Each dialog's caption and summary give away part of the answers (sizes, which the frames only hint at), so a model reading them has privileged information. Writes videos/*.mp4, videos.csv (manifest for extract-features), train_set4DSTC7-AVSD.json, valid_set4DSTC7-AVSD.json, test_set.json (all turns, one reference), test_set4DSTC7-AVSD.json (cut dialogs, last answer __UNDISCLOSED__), lbl_test_set4DSTC7-AVSD.json, test_set4DSTC7-AVSD_multiref.json (2-6 references) and truth.jsonl. Deterministic from --seed; videos already rendered are kept on a rerun.

    Example: avtool synth dialogs --out build/avsd --videos 200 --seed 0 --workers 2
    """
    from avtool.console import counting_bar, print_json, print_table
    from avtool.errors import ConfigError
    from avtool.synth.dialogs import SynthDialogsConfig, synth_dialogs

    if val_fraction + test_fraction >= 1.0:
        raise ConfigError("--val-fraction + --test-fraction must leave training videos (< 1)")
    cfg = SynthDialogsConfig(videos=videos, seed=seed, val_fraction=val_fraction,
                             test_fraction=test_fraction, turns=turns, seconds=seconds)
    with counting_bar("render", videos) as progress:
        report = synth_dialogs(out, cfg, workers=workers, progress=progress)
    if as_json:
        print_json(report.to_dict())
        return
    splits = ", ".join(f"{k} {v}" for k, v in report.splits.items())
    print_table([[report.out, report.videos, splits, report.turns,
                  f"{report.wall_seconds:.1f}"]],
                ["out", "videos", "splits", "turns", "seconds"])
