"""Caption / dialog-answer evaluation from files (`avtool evaluate captioning`).

`evaluate_caption_files` reads hypotheses and references (TSV, DSTC7-AVSD dialogs JSON, COCO
captions or results; `avtool.formats.captions`), pairs them by id, loads the DSTC7 stop-word
filter (`load_stopwords`) and scores them with the pure
`avtool.metrics.captioning.caption_scores` (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avtool.errors import FormatError
from avtool.formats.captions import load_captions
from avtool.metrics.captioning import (
    DSTC7_STOPWORDS,
    CaptionScores,
    StopwordFilter,
    caption_scores,
)

__all__ = ["CaptionEvaluation", "evaluate_caption_files", "load_stopwords"]


def _examples(ids: Sequence[str], k: int = 5) -> str:
    shown = ", ".join(ids[:k])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > k else "")


def load_stopwords(spec: str | Path) -> StopwordFilter:
    """``"dstc7"`` (the DSTC7-AVSD baseline's ``data/stopwords.txt``) or a stop-word file.

    Raises:
        FormatError: the file cannot be read as UTF-8, or a line is not a regular expression.
    """
    if str(spec) == "dstc7":
        return StopwordFilter.from_text(DSTC7_STOPWORDS, "dstc7")
    try:
        text = Path(spec).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise FormatError(f"{spec}: cannot read the stop-word file ({err})") from None
    return StopwordFilter.from_text(text, str(spec))


@dataclass(frozen=True)
class CaptionEvaluation:
    """The caption metrics of one hypothesis file, with how the inputs were read."""

    scores: CaptionScores
    formats: dict[str, str]
    """``{"hyp": ..., "ref": ...}``: the format each file was read as."""
    extra_hypotheses: tuple[str, ...]
    """Hypothesis ids without reference (not scored)."""
    stopwords: StopwordFilter | None
    stopwords_on: str

    def to_dict(self, per_item: bool = False) -> dict[str, Any]:
        """The JSON of `avtool evaluate captioning --json`: the scores and ``formats``."""
        out = self.scores.to_dict(per_item=per_item)
        out["formats"] = self.formats
        return out


def evaluate_caption_files(
    hyp: str | Path,
    ref: str | Path,
    *,
    tokenizer: str = "ptb",
    stopwords: str | Path | None = None,
    stopwords_on: str = "both",
    last_only: bool = False,
    meteor: bool = True,
    strict: bool = False,
    log: Callable[[str], Any] | None = None,
) -> CaptionEvaluation:
    """BLEU-1..4, METEOR, ROUGE-L and CIDEr-D of HYP against REF, paired by id (never order).

    Args:
        hyp: TSV ``id<TAB>text`` (one row per id), DSTC7-AVSD result JSON or COCO result list.
        ref: TSV (an id repeated once per reference), DSTC7-AVSD dialogs or COCO captions JSON.
        tokenizer: ``ptb``, ``ptb-java`` or ``whitespace`` (`avtool.metrics.tokenizers`).
        stopwords: ``"dstc7"`` or a stop-word file (`load_stopwords`); None: no filter.
        stopwords_on: filter ``"both"`` sides or ``"hyp"`` only.
        last_only: dialog JSON: only the last turn of each dialog.
        meteor: METEOR 1.5 with the official jar when available (else None, with a note).
        strict: a hypothesis id without reference is an error (by default it is left out).
        log: called, as they arise, with the warning about hypothesis ids without reference
            and the note that METEOR's JVM is starting; the CLI prints them on stderr.

    Raises:
        FormatError: unreadable or malformed files, a reference id without hypothesis, a
            hypothesis id without reference with `strict`, or a bad stop-word file.
    """
    hyps, refs, formats = load_captions(hyp, ref, last_only=last_only)
    missing = [i for i in refs if i not in hyps]
    if missing:
        raise FormatError(f"{len(missing)} of {len(refs)} reference ids of {ref} have no "
                          f"hypothesis in {hyp}: {_examples(missing)}; partial sets are not "
                          "scored")
    extra = [i for i in hyps if i not in refs]
    if extra:
        msg = (f"{len(extra)} hypothesis ids of {hyp} have no reference in {ref}: "
               f"{_examples(extra)}")
        if strict:
            raise FormatError(msg + " (--strict)")
        if log is not None:
            log(f"warning: {msg} (not scored)")
    filt = load_stopwords(stopwords) if stopwords else None
    if meteor and log is not None:
        log("starting METEOR 1.5 (JVM)...")
    scores = caption_scores(hyps, refs, tokenizer=tokenizer, stopwords=filt,
                            stopwords_on=stopwords_on, meteor=meteor)
    return CaptionEvaluation(scores, formats, tuple(extra), filt, stopwords_on)
