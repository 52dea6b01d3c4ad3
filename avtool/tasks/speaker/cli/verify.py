"""`avtool verify-speaker`: score one pair of recordings, or a whole trial list."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import (
    Device,
    DeviceOpt,
    JsonOpt,
    StrictOpt,
    WorkersOpt,
    input_path,
    number_option,
    output_path,
)
from avtool.config import Range

BATCH = "Batch mode (trial list)"
GE2E_PANEL = "GE2E preprocessing"


class Tta(str, Enum):
    whole = "whole"
    crops10 = "crops10"
    crops100 = "crops100"


def verify_speaker(
    files: Annotated[
        list[Path] | None,
        input_path("FILES", kind="file", must_exist=False, argument=True,
                   help="Pair mode: the two recordings to compare (any audio or video file; "
                   "resampled to 16 kHz mono).", show_default=False),
    ] = None,
    model: Annotated[
        str, typer.Option("--model", "-m", help="'ge2e' (the GE2E encoder shipped by the "
                          "resemblyzer package) or a checkpoint / run directory from "
                          "'avtool train speaker'.")
    ] = "ge2e",
    threshold: Annotated[
        float | None, number_option("--threshold", valid=Range(), help="Decision threshold "
                                    "on the score (same speaker iff score >= threshold; cosine "
                                    "scores lie in [-1, 1]). Default: the model's calibrated "
                                    "threshold (ge2e: 0.6988), else 0.5.")
    ] = None,
    tta: Annotated[
        Tta, typer.Option("--tta", help="Test-time augmentation: whole utterance; crops10 = "
                          "mean embedding of 10 evenly spaced 3-s crops (TTA-2); crops100 = mean "
                          "score over the 10x10 crop pairs (TTA-3).")
    ] = Tta.whole,
    trials: Annotated[
        Path | None, input_path("--trials", must_exist=False, help="Trial list 'label "
                                "path1 path2' (VoxCeleb format).", rich_help_panel=BATCH)
    ] = None,
    audio_root: Annotated[
        Path | None, input_path("--audio-root", kind="dir", must_exist=False,
                                help="Folder the trial paths are relative to (VoxCeleb1: the "
                                "wav/ folder).", rich_help_panel=BATCH)
    ] = None,
    out: Annotated[
        Path | None, output_path("--out", "-o", help="Score file to write: 'path1 path2 "
                                 "score' per trial.", rich_help_panel=BATCH)
    ] = None,
    cache: Annotated[
        Path | None, output_path("--cache", help="Embedding store reused by later runs "
                                 "(default: OUT with suffix .emb.h5).", rich_help_panel=BATCH)
    ] = None,
    snorm_cohort: Annotated[
        Path | None, input_path("--snorm-cohort", kind="any", must_exist=False,
                                help="Adaptive s-norm: a folder of cohort audio, or an "
                                "embedding store from an earlier run with the same --model "
                                "and --tta.", rich_help_panel=BATCH)
    ] = None,
    snorm_top: Annotated[
        int, number_option("--snorm-top", kind=int, valid=Range(min=1),
                           help="Highest cohort scores used per file.", rich_help_panel=BATCH)
    ] = 200,
    trim_silence: Annotated[
        bool, typer.Option("--trim-silence/--no-trim-silence", help="Drop silences longer than "
                           "0.2 s with webrtcvad (resemblyzer's preprocess_wav).",
                           rich_help_panel=GE2E_PANEL)
    ] = True,
    normalize_volume: Annotated[
        bool, typer.Option("--normalize-volume/--no-normalize-volume", help="Raise quiet "
                           "audio to -30 dBFS (resemblyzer's preprocess_wav).",
                           rich_help_panel=GE2E_PANEL)
    ] = True,
    device: DeviceOpt = Device.auto,
    workers: WorkersOpt = 1,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Decide whether two recordings hold the same speaker, or score a trial list.

    Pair mode prints the cosine score (higher = same speaker) and the decision; exit status 0 whatever the decision, 2 for bad input (missing, unreadable, too short or silent audio).

    The default model is the GE2E speaker encoder whose weights the resemblyzer package ships, reimplemented in avtool (same preprocessing, 1.6-s partial windows). Its threshold 0.6988 is the EER threshold on a synthetic development set (avtool synth speakers --speakers 40 --utterances 8 --seed 7, trials_e.txt).

    Batch mode embeds each file once into a cache store, writes one 'path1 path2 score' line per trial, and reports bad files at the end (exit 1; --strict stops at the first). Relation-loss checkpoints get the thesis score in both modes, the mean of the cosine and the relation module's same-speaker probability (the cache keeps both embeddings); with them only --tta whole is allowed and --snorm-cohort is refused.

    Example: avtool verify-speaker examples/speaker/same_a.wav examples/speaker/same_b.wav

    Example: avtool verify-speaker examples/speaker/same_a.wav examples/speaker/other.wav --json

    Example: avtool verify-speaker --trials corpus/trials_o.txt --audio-root corpus/wav --out scores.txt --tta crops10
    """
    from avtool.errors import ConfigError

    if model.strip().lower() == "ge2e":
        options = {"trim_silence": trim_silence, "normalize_volume": normalize_volume}
    elif not (trim_silence and normalize_volume):
        raise ConfigError("--no-trim-silence / --no-normalize-volume apply only to --model ge2e")
    else:
        options = None
    if trials is None:
        _pair(files or [], model, threshold, tta.value, device.value, options, as_json,
              [("--audio-root", audio_root), ("--out", out), ("--cache", cache),
               ("--snorm-cohort", snorm_cohort)])
        return
    if files:
        raise ConfigError("give either two files (pair mode) or --trials (batch mode), not both")
    missing = [name for name, v in (("--audio-root", audio_root), ("--out", out)) if v is None]
    if missing:
        raise ConfigError(f"batch mode (--trials) needs {' and '.join(missing)}")
    if threshold is not None:
        raise ConfigError("--threshold applies to pair mode; batch mode writes scores only")
    _batch(trials, audio_root, out, cache, model, tta.value, device.value, workers,
           snorm_cohort, snorm_top, strict, options, as_json)


def _pair(files, model, threshold, tta, device, options, as_json, batch_only) -> None:
    from avtool import console
    from avtool.errors import ConfigError
    from avtool.runtime import resolve_device
    from avtool.tasks.speaker.verify import verify_pair

    given = [name for name, value in batch_only if value is not None]
    if given:
        raise ConfigError(f"{', '.join(given)} apply to batch mode (--trials)")
    if len(files) != 2:
        raise ConfigError(f"pair mode needs exactly two audio files, got {len(files)} "
                          "(or use --trials for batch mode)")
    result = verify_pair(files[0], files[1], model=model, threshold=threshold,
                         device=resolve_device(device), tta=tta, ge2e_options=options)
    if result.threshold_source.startswith("default"):
        console.stderr.print(f"note: {result.threshold_source}; pass --threshold to set one")
    if as_json:
        console.print_json(result.to_dict())
        return
    decision = "same speaker" if result.same_speaker else "different speakers"
    console.print_table(
        [(result.files[0], result.files[1], result.score, result.threshold, decision)],
        ["file 1", "file 2", "score", "threshold", "decision"],
        caption=f"model {result.model}, tta {result.tta}; threshold: {result.threshold_source}",
    )


def _batch(trials, audio_root, out, cache, model, tta, device, workers, snorm_cohort,
           snorm_top, strict, options, as_json) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from avtool import console
    from avtool.runtime import resolve_device
    from avtool.tasks.speaker.verify import verify_trials

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console.stderr,
                  transient=True) as bar:

        def progress(name: str, total: int):
            task = bar.add_task(name, total=total)
            return lambda n: bar.advance(task, n)

        result = verify_trials(trials, audio_root, out, model=model, cache=cache, tta=tta,
                               device=resolve_device(device), workers=workers,
                               snorm_cohort=snorm_cohort, snorm_top=snorm_top, strict=strict,
                               ge2e_options=options, progress=progress)
    for bad in result.bad:
        console.stderr.print(f"avtool: bad file: {bad}", markup=False, highlight=False)
    if as_json:
        console.print_json(result.to_dict())
    else:
        rows = [(k, v) for k, v in result.to_dict().items() if k not in ("bad_files", "snorm")]
        if result.snorm:
            rows.append(("snorm", f"top {result.snorm['top']} of {result.snorm['cohort_size']} "
                         f"({result.snorm['cohort']})"))
        console.print_table(rows, ["", "value"], title="verify-speaker")
    if result.bad:
        console.stderr.print(f"avtool: {len(result.bad)} of {result.n_files} files failed; "
                            f"{result.n_trials - result.n_scored} trials have no score",
                            markup=False, highlight=False)
        raise typer.Exit(1)
