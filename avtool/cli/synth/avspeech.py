"""`avtool synth avspeech`: a synthetic audio-visual speech corpus (mp4 + How2/VisSpeech
transcripts + word timings) in which the frames show what the words name."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import JsonOpt, SeedOpt, WorkersOpt, number_option, output_path
from avtool.cli.synth import app
from avtool.config import Range


@app.command("avspeech")
def avspeech(
    out: Annotated[Path, output_path("--out", "-o", kind="dir", help="Output folder (created, "
                                     "or resumed when it holds a corpus of the same options).",
                                     show_default=False)],
    clips: Annotated[int, number_option("--clips", "-n", kind=int, valid=Range(1, 1_000_000),
                                        help="Number of clips.")] = 400,
    seed: SeedOpt = 0,
    language: Annotated[str, typer.Option(
        "--language", help="Spoken language: en (English voices) or mr (Marathi).")] = "en",
    val_fraction: Annotated[float, number_option(
        "--val-fraction", valid=Range(0, 1), help="Share of clips in the val split.")] = 0.15,
    test_fraction: Annotated[float, number_option(
        "--test-fraction", valid=Range(0, 1), help="Share of clips in the test split.")] = 0.15,
    on_screen: Annotated[float, number_option(
        "--on-screen", valid=Range(0, 1), help="Share of clips whose frames show the sprite "
        "the sentence describes (in each split).")] = 0.7,
    size: Annotated[str, typer.Option("--size", help="Frame size WIDTHxHEIGHT.")] = "96x96",
    fps: Annotated[int, number_option("--fps", kind=int, valid=Range(1, 60),
                                      help="Video frame rate (dividing 16000).")] = 25,
    workers: WorkersOpt = 2,
    as_json: JsonOpt = False,
) -> None:
    """Generate a synthetic audio-visual speech corpus in which seeing helps.

    2-4 s mp4 clips in which an espeak-ng voice (varied accent, variant, pitch, rate) says a sentence about a moving sprite, e.g. "the red circle bounces" or "a blue star spins with the siren". Colour, shape and motion words come from closed sets of 8 and, in on-screen clips, the frames show exactly that sprite, so the words can be read off the frames when noise hides them in the audio. Writes clips/*.mp4, clips.csv (manifest for extract-features: id,path,split,text,on_screen), words.tsv (word spans, content and on-screen flags), how2/<split>/ (How2 text.id.<lang>, segments...), visspeech.csv (VisSpeech layout), corpus.json and config.json. Deterministic from --seed whatever --workers; a rerun with the same options resumes.

    Example: avtool synth avspeech --out build/avspeech --clips 400 --seed 0 --workers 2
    """
    from avtool.console import counting_bar, print_json, print_table
    from avtool.errors import ConfigError
    from avtool.synth.avspeech import SynthAvspeechConfig, check_synth_avspeech, synth_avspeech

    try:
        width, height = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size {size!r}: expected WIDTHxHEIGHT, e.g. 96x96") from None
    cfg = SynthAvspeechConfig(clips=clips, seed=seed, language=language,
                              val_fraction=val_fraction, test_fraction=test_fraction,
                              p_on_screen=on_screen, width=width, height=height, fps=fps)
    check_synth_avspeech(out, cfg)  # before the progress bar: errors stay one line
    with counting_bar("render", clips) as progress:
        report = synth_avspeech(out, cfg, workers=workers, progress=progress)
    if as_json:
        print_json(report.to_dict())
        return
    splits = ", ".join(f"{k} {v}" for k, v in report.splits.items())
    print_table([[report.out, report.clips, report.language, splits, report.on_screen,
                  report.words, report.content_words, f"{report.seconds:.1f}",
                  f"{report.wall_seconds:.1f}"]],
                ["out", "clips", "language", "splits", "on screen", "words", "content words",
                 "audio s", "seconds"])
