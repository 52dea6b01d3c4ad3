"""`avtool synth speakers`: a synthetic speaker-verification corpus in the VoxCeleb1 layout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import JsonOpt, SeedOpt, WorkersOpt, number_option, output_path
from avtool.cli.synth import app
from avtool.config import Range


@app.command("speakers")
def speakers(
    out: Annotated[Path, output_path("--out", "-o", kind="dir",
                                     help="New folder for the corpus.")],
    n_speakers: Annotated[
        int, number_option("--speakers", kind=int, valid=Range(2, 99_999),
                           help="Number of speakers (espeak-ng voices).")
    ] = 20,
    n_utterances: Annotated[
        int, number_option("--utterances", kind=int, valid=Range(2, 99_999),
                           help="Utterances per speaker.")
    ] = 10,
    variety: Annotated[
        str, typer.Option("--variety",
                          help="classic: 10 languages, variants m1-m7/f1-f5, pitch 20-80, rate "
                               "130-190 (the thesis-table corpus). wide: for training hundreds "
                               "of voices: 28 languages, 58 variants, pitch 5-95, rate 110-220, "
                               "per-speaker formant scale and spectral envelope.")
    ] = "classic",
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,  # type: ignore[assignment]
    as_json: JsonOpt = False,
) -> None:
    """Generate synthetic speakers: espeak-ng voices with per-utterance noise, reverb, band-pass and silence.

    Each speaker is a fixed voice (language or accent, variant m1..m7/f1..f5, pitch, rate); each utterance a different random text of 2 to 8 s. Writes wav/idNNNNN/<video>/NNNNN.wav (16 kHz mono), meta.csv, vox1_meta.csv, utterances.csv and VoxCeleb-format trial lists trials_o.txt (test-split speakers), trials_e.txt (all speakers), trials_h.txt (non-targets of the same language and gender). Deterministic from --seed; --workers defaults to the number of CPUs.

    Example: avtool synth speakers --out corpus --speakers 20 --utterances 10 --seed 0

    Training corpus: avtool synth speakers --out train --speakers 400 --utterances 8 --variety wide
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress

    from avtool import console
    from avtool.synth.speakers import synth_speakers

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), console=console.stderr, transient=True) as bar:
        task = bar.add_task("utterances", total=n_speakers * n_utterances)
        result = synth_speakers(out, n_speakers, n_utterances, seed, workers,
                                progress=lambda n: bar.advance(task, n), variety=variety)
    if as_json:
        console.print_json(result.to_dict())
        return
    rows = [(f"trials_{k}.txt", t, n) for k, (t, n) in result.trial_counts.items()]
    console.print_table(rows, ["trial list", "target", "non-target"],
                       title=f"{result.out}: {len(result.speakers)} speakers, "
                       f"{result.n_utterances} utterances, {result.seconds:.0f} s")
