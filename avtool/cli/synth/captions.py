"""`avtool synth captions`: a caption-alignment corpus where audio matters (MALTA-like)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import JsonOpt, SeedOpt, WorkersOpt, number_option, output_path
from avtool.cli.synth import app
from avtool.config import Range


class Language(str, Enum):
    en = "en"
    mr = "mr"


@app.command("captions")
def captions(
    out: Annotated[Path, output_path("--out", "-o", kind="dir", help="Output folder (created).",
                                     show_default=False)],
    videos: Annotated[int, number_option("--videos", "-n", kind=int, valid=Range(1, 1_000_000),
                                         help="Number of videos.")] = 120,
    language: Annotated[Language, typer.Option(
        "--language", help="Language of the speech and the captions: en (English) or mr "
        "(Marathi, Devanagari captions, espeak-ng's Marathi voice; the paper's low-resource "
        "language).")] = Language.en,
    seed: SeedOpt = 0,
    min_seconds: Annotated[int, number_option("--min-seconds", kind=int, valid=Range(6, 120),
                                              help="Shortest video.")] = 16,
    max_seconds: Annotated[int, number_option("--max-seconds", kind=int, valid=Range(6, 120),
                                              help="Longest video.")] = 24,
    p_speech: Annotated[float, number_option(
        "--p-speech", valid=Range(0, 1), help="Chance that an audio event is a voice (else a "
        "library sound).")] = 0.5,
    val_fraction: Annotated[float, number_option(
        "--val-fraction", valid=Range(0, 1, max_open=True),
        help="Share of videos in the validation split.")] = 0.1,
    test_fraction: Annotated[float, number_option(
        "--test-fraction", valid=Range(0, 1, max_open=True),
        help="Share of videos in the test split.")] = 0.25,
    workers: WorkersOpt = 2,
    as_json: JsonOpt = False,
) -> None:
    """Generate a caption-alignment corpus whose captions are grounded in what is seen, heard or said.

    Videos of 3-4 scenes (one coloured sprite each) over which 2-4 audio events play: library sounds, or an espeak-ng voice talking about a toy-from-trash topic. Each scene gets a visual caption, each sound a sound caption, each voice a speech caption paraphrasing it (the frames then show something unrelated); spans are known exactly. Writes videos/*.mp4, videos.csv (manifest for extract-features), durations.tsv, Charades-STA charades_sta_{train,val,test}.txt, ActivityNet Captions activitynet_{train,val,test}.json, the MALTA layout MALTA/TFT_av/{train,val,test}.json (audio-visual annotation, caption kinds) and MALTA/TFT_v/test.json (the video-only annotation), queries.jsonl and transcripts.jsonl. Deterministic from --seed; videos already rendered are kept on a rerun.

    Example: avtool synth captions --out build/captions --videos 120 --seed 0 --workers 2
    """
    from avtool.console import counting_bar, print_json, print_table
    from avtool.errors import ConfigError
    from avtool.synth.captions import SynthCaptionsConfig, synth_captions

    if val_fraction + test_fraction >= 1.0:
        raise ConfigError("--val-fraction + --test-fraction must leave training videos (< 1)")
    if min_seconds > max_seconds:
        raise ConfigError(f"--min-seconds {min_seconds} is above --max-seconds {max_seconds}")
    cfg = SynthCaptionsConfig(videos=videos, seed=seed, language=language.value,
                              val_fraction=val_fraction, test_fraction=test_fraction,
                              min_seconds=min_seconds, max_seconds=max_seconds,
                              p_speech=p_speech)
    with counting_bar("render", videos) as progress:
        report = synth_captions(out, cfg, workers=workers, progress=progress)
    if as_json:
        print_json(report.to_dict())
        return
    splits = ", ".join(f"{k} {v}" for k, v in report.splits.items())
    kinds = ", ".join(f"{k} {v}" for k, v in report.queries.items())
    print_table([[report.out, report.videos, splits, kinds, f"{report.wall_seconds:.1f}"]],
                ["out", "videos", "splits", "captions", "seconds"])
