"""`avtool evaluate captioning`: BLEU-1..4, METEOR, ROUGE-L, CIDEr-D as coco-caption/DSTC7-AVSD."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from avtool.cli.options import AppendOpt, JsonOpt, NameOpt, StrictOpt


class StopwordsOn(str, Enum):
    both = "both"
    hyp = "hyp"


class CaptionTokenizer(str, Enum):
    ptb = "ptb"
    ptb_java = "ptb-java"
    whitespace = "whitespace"


def evaluate_captioning(
    hyp: Annotated[Path, typer.Option(
        "--hyp", help="Hypotheses: TSV with header 'id<TAB>text' (one row per id), a DSTC7-AVSD "
        "result JSON (dialogs; ids '{video}_{turn}') or a COCO result list.")],
    ref: Annotated[Path, typer.Option(
        "--ref", help="References: TSV 'id<TAB>text' (an id repeated once per reference), "
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


# (group, name, function): group None is a top-level command, else `avtool GROUP NAME`.
COMMANDS = [("evaluate", "captioning", evaluate_captioning)]
