"""`avtool synth talking-heads`: talking real faces with shot cuts and the curation truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import JsonOpt, SeedOpt, WorkersOpt, number_option, output_path
from avtool.cli.synth import app
from avtool.config import Range


@app.command("talking-heads")
def talking_heads(
    out: Annotated[Path, output_path("--out", "-o", kind="dir", help="Output folder (created).",
                                     show_default=False)],
    pois: Annotated[int, number_option("--pois", kind=int, valid=Range(1, 3),
                                       help="People of interest.")] = 2,
    shot_seconds: Annotated[float, number_option(
        "--shot-seconds", valid=Range(2, 30), help="Length of every shot.")] = 4.0,
    size: Annotated[str, typer.Option("--size", help="Frame size WIDTHxHEIGHT.")] = "320x240",
    references: Annotated[int, number_option("--references", kind=int, valid=Range(1, 10),
                                             help="Reference photos per person.")] = 2,
    bad_video: Annotated[bool, typer.Option(
        "--bad-video/--no-bad-video", help="Add one video without audio (a bad input).")
    ] = True,
    seed: SeedOpt = 0,
    workers: WorkersOpt = 2,
    as_json: JsonOpt = False,
) -> None:
    """Generate videos of talking faces with the answers, for avtool curate.

    Real faces (the six of insightface's group photo) whose lips open with an espeak-ng voice, in shots cut between scenes: per person of interest the cases the VoxCeleb pipeline must handle (speaking in sync, beside a silent distractor, voice-over, dubbed audio 0.6 s late, a distractor speaking, no face, a re-uploaded duplicate) and one video without audio. Writes speakers.csv, references/, videos/<id>/*.mp4, curate.toml (settings for these short shots) and truth.json (what a perfect pipeline keeps and which stage rejects the rest). Deterministic from --seed.

    Example: avtool synth talking-heads --out build/th --pois 2 --seed 0
    """
    from avtool.console import print_json, print_table
    from avtool.errors import ConfigError
    from avtool.synth.talking_faces import TalkingHeadsConfig, synth_talking_heads

    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size {size!r}: expected WIDTHxHEIGHT, e.g. 320x240") from None
    if width < 160 or height < 120 or width % 2 or height % 2:
        raise ConfigError(f"--size {size!r}: width and height must be even, >= 160x120")
    cfg = TalkingHeadsConfig(pois=pois, shot_seconds=shot_seconds, width=width, height=height,
                             references=references, bad_video=bad_video, seed=seed)
    truth = synth_talking_heads(out, cfg, workers=workers)
    videos = truth["videos"]
    expected = [s["expected"] for v in videos for s in v["speech"]]
    summary = {"out": str(out), "pois": pois, "videos": len(videos),
               "seconds": round(sum(v["frames"] for v in videos) / cfg.fps, 2),
               "speech_spans": len(expected), "kept_by_a_perfect_pipeline":
               expected.count("kept")}
    if as_json:
        print_json(summary)
    else:
        print_table([list(summary.values())], list(summary))
