"""The dialog task's commands: `avtool answer` (answer questions about videos with a model of
`avtool train dialog`) and `avtool evaluate captioning` (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D as
coco-caption and DSTC7-AVSD compute them)."""

from __future__ import annotations

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
    StrictOpt,
    input_path,
    number_option,
    output_path,
)
from avtool.config import Range


class StopwordsOn(str, Enum):
    both = "both"
    hyp = "hyp"


class CaptionTokenizer(str, Enum):
    ptb = "ptb"
    ptb_java = "ptb-java"
    whitespace = "whitespace"


def evaluate_captioning(
    hyp: Annotated[Path, input_path(
        "--hyp", must_exist=False, help="Hypotheses: TSV with header 'id<TAB>text' (one row "
        "per id), a DSTC7-AVSD result JSON (dialogs; ids '{video}_{turn}') or a COCO result "
        "list.")],
    ref: Annotated[Path, input_path(
        "--ref", must_exist=False, help="References: TSV 'id<TAB>text' (an id repeated once "
        "per reference), "
        "DSTC7-AVSD dialogs JSON, or COCO captions JSON such as "
        "test_set4DSTC7-AVSD_multiref.json (ids = image names).")],
    tokenizer: Annotated[CaptionTokenizer, typer.Option(
        "--tokenizer", help="ptb: Python re-implementation of coco-caption's PTB tokenizer + "
        "punctuation removal; ptb-java: the official Stanford jar (needs java + "
        "pycocoevalcap); whitespace: already tokenised text.")] = CaptionTokenizer.ptb,
    stopwords: Annotated[str | None, typer.Option(
        "--stopwords", help="DSTC7 stop-word filter before tokenisation: 'dstc7' (the "
        "baseline's ',' and '.' lines, regex semantics: also deletes one-character words) "
        "or a stop-word file.")] = None,
    stopwords_on: Annotated[StopwordsOn, typer.Option(
        "--stopwords-on", help="Filter hypotheses and references (both: the DSTC7 baseline's "
        "prototype/trial scoring) or hypotheses only (hyp: the official test's "
        "dstc7avsd_eval.sh against the multiref file).")] = StopwordsOn.both,
    last_only: Annotated[bool, typer.Option(
        "--last-only", help="Dialog JSON: score only the last turn of each dialog, as the "
        "official DSTC7-AVSD test (get_hypotheses.py -l).")] = False,
    meteor: Annotated[bool, typer.Option(
        "--meteor/--no-meteor", help="METEOR 1.5 with the official jar when java and "
        "pycocoevalcap are present (a JVM start, seconds); otherwise it is null.")] = True,
    per_item: Annotated[bool, typer.Option(
        "--per-item", help="Also print ROUGE-L, CIDEr and METEOR of every id.")] = False,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
    append: AppendOpt = None,
    name: NameOpt = None,
) -> None:
    """BLEU-1..4, METEOR, ROUGE-L and CIDEr-D exactly as coco-caption (the DSTC7-AVSD scorer).

    Corpus BLEU-1..4 (cumulative, brevity penalty), METEOR 1.5 (official jar), ROUGE-L (beta
    1.2) and CIDEr-D (IDF from these references, sigma 6, x10). Hypotheses pair with
    references by id, never by order: a reference id without hypothesis is an error, a
    hypothesis id without reference is reported and left out (--strict: an error).

    Example: avtool evaluate captioning --hyp result.json --ref test_set4DSTC7-AVSD_multiref.json
    --last-only --json
    """
    from avtool import console
    from avtool.tasks.dialog.evaluate import evaluate_caption_files

    evaluation = evaluate_caption_files(
        hyp, ref, tokenizer=tokenizer.value, stopwords=stopwords,
        stopwords_on=stopwords_on.value, last_only=last_only, meteor=meteor, strict=strict,
        log=console.stderr.print)
    scores, filt = evaluation.scores, evaluation.stopwords
    if meteor and scores.meteor is None:
        console.stderr.print(f"warning: METEOR {scores.meteor_note}; reporting the others")
    out = evaluation.to_dict(per_item=per_item)
    if append:
        keep = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr",
                "hypotheses", "references", "tokenizer")
        row = {k: out[k] for k in keep}
        row["stopwords"] = (None if filt is None else
                            f"{filt.name}:{filt.sha1[:12]}:{stopwords_on.value}")
        row["extra_hypotheses"] = len(evaluation.extra_hypotheses)
        console.append_row(append, name or str(hyp), row)
    if as_json:
        console.print_json(out)
        return
    metrics = ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr"]
    stop_txt = ("none" if filt is None else
                f"{filt.name} (sha1 {filt.sha1[:12]}, on {stopwords_on.value})")
    caption = (f"{out['hypotheses']} hypotheses, {out['references']} references; tokenizer "
               f"{scores.tokenizer}; stopwords {stop_txt}; METEOR: {scores.meteor_note}")
    console.print_table([[("n/a" if out[m] is None else out[m]) for m in metrics]], metrics,
                       title="Caption metrics (coco-caption)", caption=caption)
    if per_item:
        console.print_table(
            [[it["id"], it["ROUGE-L"], it["CIDEr"], "n/a" if it["METEOR"] is None
              else it["METEOR"]] for it in out["items"]],
            ["id", "ROUGE-L", "CIDEr", "METEOR"], title="Per item")


class DescriptionRead(str, Enum):
    model = "model"
    none = "none"


def answer(
    video: Annotated[str | None, typer.Argument(
        metavar="VIDEO", show_default=False, help="A video file (its features are computed "
        "with the checkpoint's extractor settings), or with --videos a video id there.")] = None,
    question: Annotated[str | None, typer.Option(
        "--question", "-q", show_default=False, help="The question to answer about VIDEO.")
    ] = None,
    history: Annotated[Path | None, input_path(
        "--history", show_default=False, help="The dialog so far: a DSTC7-AVSD file (the "
        "dialog of VIDEO, or its only one), one dialog object, or a list of "
        "{question, answer}; its caption/summary is read by description-reading models.")
    ] = None,
    dialogs: Annotated[Path | None, input_path(
        "--dialogs", show_default=False, help="Batch: answer every turn of this DSTC7-AVSD "
        "file (e.g. test_set4DSTC7-AVSD.json).")] = None,
    videos: Annotated[Path | None, input_path(
        "--videos", kind="any", must_exist=False, show_default=False, help="Features: a "
        "feature store (.h5), a folder of the released i3d_rgb/i3d_flow/vggish .npy files, "
        "or a folder of videos named <image_id>.mp4.")] = None,
    model: Annotated[Path | None, input_path(
        "--model", "-m", kind="any", must_exist=False, show_default=False,
        envvar="AVTOOL_DIALOG_MODEL", help="RUN_DIR (its best.pt) or .pt of avtool train "
        "dialog (env AVTOOL_DIALOG_MODEL).")] = None,
    out: Annotated[Path | None, output_path(
        "--out", "-o", show_default=False, help="Batch: the DSTC7 result file (the dialogs, "
        "answers replaced by the system's), for avtool evaluate captioning.")] = None,
    last_only: Annotated[bool, typer.Option(
        "--last-only", help="Batch: answer only the last turn of each dialog (the official "
        "test's undisclosed one); other turns keep the file's answers.")] = False,
    beam: Annotated[int | None, number_option(
        "--beam", kind=int, valid=Range(1, 100), show_default=False,
        help="Beam width (default: the checkpoint's, 5).")] = None,
    penalty: Annotated[float | None, number_option(
        "--penalty", valid=Range(-100, 100), show_default=False, help="DSTC7 insertion bonus "
        "per word of a finished answer (default 1.0; larger gives longer answers).")] = None,
    maxlen: Annotated[int | None, number_option(
        "--maxlen", kind=int, valid=Range(1, 1000), show_default=False,
        help="Longest answer in words (default 30).")] = None,
    greedy: Annotated[bool, typer.Option(
        "--greedy", help="Greedy decoding (the paper's Eq. 4) instead of beam search.")
    ] = False,
    description: Annotated[DescriptionRead, typer.Option(
        "--description", help="model: read the caption/summary the model was trained with "
        "(if any); none: read none (a description-trained model tested without it).")
    ] = DescriptionRead.model,
    batch_size: Annotated[int, number_option(
        "--batch-size", kind=int, valid=Range(1, 4096), help="Turns decoded together.")] = 32,
    device: DeviceOpt = Device.auto,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Answer questions about videos with an audio-visual scene-aware dialog model.

    One question: VIDEO --question "..." [--history dialog.json] prints the answer. Batch: --dialogs FILE --videos DIR|STORE --out results.json answers every turn (beam search as the DSTC7 baseline: beam 5, insertion bonus 1.0, 30 words, <unk> never emitted) and writes the DSTC7 result file; dialogs or turns that cannot be answered (no features, empty question, only unknown words) are listed at the end and make the exit status 1. A history longer than the model's limit is cut to its most recent QA pairs, with a warning.

    Example: avtool answer clip.mp4 --question "what is the man holding ?" --model runs/jst

    Example: avtool answer --dialogs test_set4DSTC7-AVSD.json --videos features.h5 --model runs/jst --out results.json --last-only
    """
    from avtool.console import print_json, stderr
    from avtool.errors import ConfigError

    if model is None:
        raise ConfigError("give --model RUN_DIR (a run of avtool train dialog) or set "
                          "AVTOOL_DIALOG_MODEL; avtool ships no dialog weights")
    decoding = {"beam": beam, "penalty": penalty, "maxlen": maxlen, "greedy": greedy}
    if dialogs is not None:
        if video is not None or question is not None or history is not None:
            raise ConfigError("--dialogs answers a whole file: leave out VIDEO, --question "
                              "and --history")
        if videos is None or out is None:
            raise ConfigError("--dialogs needs --videos (features) and --out (result file)")
        _answer_file(model, dialogs, videos, out, last_only, decoding, description.value,
                     batch_size, strict, device, as_json)
        return
    if video is None or question is None:
        raise ConfigError("give VIDEO and --question (or --dialogs FILE for a batch)")
    if out is not None or last_only:
        raise ConfigError("--out and --last-only are for --dialogs")
    from avtool.tasks.dialog.answer import answer_question

    result = answer_question(model, video, question, history, videos,
                             description=description.value, device=device.value, **decoding)
    if result.history_dropped:
        given = result.history_pairs + result.history_dropped
        stderr.print(f"avtool: warning: the history has {given} QA pairs, the model reads at "
                     f"most {result.history_pairs}: the {result.history_dropped} oldest were "
                     "left out", highlight=False, markup=False)
    if result.description_missing:
        stderr.print(f"avtool: warning: the model was trained reading the dialog's "
                     f"{result.description_missing}, which --history does not give: answering "
                     "without it", highlight=False, markup=False)
    if as_json:
        print_json(result.to_dict())
    else:
        print(result.answer)


def _answer_file(model, dialogs, videos, out, last_only, decoding, description, batch_size,
                 strict, device, as_json) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from avtool.console import print_json, print_table, stderr
    from avtool.tasks.dialog.answer import answer_dialogs

    with Progress(TextColumn("features"), BarColumn(), MofNCompleteColumn(), console=stderr,
                  transient=True) as bar:
        task = bar.add_task("features", total=None)
        answers, answerer = answer_dialogs(
            model, dialogs, videos, last_only, description=description, batch_size=batch_size,
            strict=strict, device=device.value,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            **decoding)
    answerer.write(answers, out)
    if answers.truncated:
        stderr.print(f"avtool: warning: {answers.truncated} turn(s) had a longer history than "
                     f"the model reads ({answerer.max_history} QA pairs): the oldest pairs "
                     "were left out", highlight=False, markup=False)
    for what, reason in answers.failed:
        stderr.print(f"avtool: failed: {what}: {reason}", highlight=False, markup=False)
    if as_json:
        print_json({**answers.to_dict(), "written": str(out)})
    else:
        d = answers.decoding
        how = "greedy" if d.greedy else f"beam {d.beam}, penalty {d.penalty:g}"
        print_table([[len(answers.dialogs), len(answers.answers), len(answers.failed), how,
                      str(out)]], ["dialogs", "answered", "failed", "decoding", "written"],
                    title="avtool answer")
    if answers.failed:
        raise typer.Exit(1)


# (group, name, function): group None is a top-level command, else `avtool GROUP NAME`.
COMMANDS = [("evaluate", "captioning", evaluate_captioning), (None, "answer", answer)]
