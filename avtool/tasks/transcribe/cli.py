"""`avtool evaluate transcription`: corpus WER/CER/MER/WIL (AVATAR's definition), via jiwer."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import AppendOpt, JsonOpt, NameOpt, StrictOpt


class TranscriptFormat(str, Enum):
    auto = "auto"
    kaldi = "kaldi"
    plain = "plain"


def _examples(ids, k: int = 5) -> str:
    shown = ", ".join(ids[:k])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > k else "")


def evaluate_transcription(
    hyp: Annotated[Path, typer.Option("--hyp", help="Hypotheses: 'utt_id text' lines (Kaldi) "
                                      "or one transcript per line (plain).")],
    ref: Annotated[Path, typer.Option("--ref", help="References, same format as --hyp.")],
    normalize: Annotated[str, typer.Option(
        "--normalize", help="Normalisation applied to both sides: none | basic | whisper-like, "
        "or transforms joined by '+' (e.g. lowercase+remove_punctuation). Recorded with the "
        "result.")] = "basic",
    fmt: Annotated[TranscriptFormat, typer.Option(
        "--format", help="kaldi: 'utt_id text' lines matched by id; plain: line k of HYP "
        "against line k of REF; auto: kaldi when every line starts with a unique id that "
        "contains a digit and the files share ids.")] = TranscriptFormat.auto,
    categories: Annotated[Path | None, typer.Option(
        "--categories", help="'utt_id category' lines (e.g. a noise condition): adds one row "
        "per category.")] = None,
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


# (group, name, function): group None is a top-level command, else `avtool GROUP NAME`.
COMMANDS = [("evaluate", "transcription", evaluate_transcription)]
