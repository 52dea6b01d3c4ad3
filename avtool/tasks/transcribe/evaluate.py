"""Transcription evaluation from files (`avtool evaluate transcription`).

`evaluate_transcription_files` reads hypotheses and references in one format (Kaldi ``text`` or
aligned lines, auto-detected by default) and an optional ``utt2category`` file
(`avtool.formats.kaldi_text`), checks that they match, and scores them with the pure
`avtool.metrics.text.error_rates` (corpus WER/CER/MER/WIL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avtool.errors import FormatError
from avtool.formats.kaldi_text import read_transcripts, read_utt2category
from avtool.metrics.text import WerResult, error_rates

__all__ = ["TranscriptionEvaluation", "evaluate_transcription_files"]


def _examples(ids: Sequence[str], k: int = 5) -> str:
    shown = ", ".join(ids[:k])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > k else "")


@dataclass(frozen=True)
class TranscriptionEvaluation:
    """The error rates of one hypothesis file and the transcript format it was read as."""

    result: WerResult
    format: str
    """``"kaldi"`` or ``"plain"``."""

    @property
    def missing_hypotheses(self) -> tuple[str, ...]:
        """Reference ids without hypothesis (counted as deletions)."""
        return self.result.missing_hypotheses

    @property
    def extra_hypotheses(self) -> tuple[str, ...]:
        """Hypothesis ids absent from the references (not scored)."""
        return self.result.extra_hypotheses

    def to_dict(self, alignments: bool = False) -> dict[str, Any]:
        """The JSON of `avtool evaluate transcription --json`: the rates and ``format``."""
        out = self.result.to_dict(alignments=alignments)
        out["format"] = self.format
        return out


def evaluate_transcription_files(
    hyp: str | Path,
    ref: str | Path,
    *,
    normalize: str = "basic",
    fmt: str = "auto",
    categories: str | Path | None = None,
    strict: bool = False,
    log: Callable[[str], Any] | None = None,
) -> TranscriptionEvaluation:
    """Corpus WER/CER/MER/WIL of HYP against REF, matched by utterance id.

    Args:
        hyp, ref: transcripts, ``utt_id text`` lines (``kaldi``) or one per line (``plain``).
        normalize: normalisation of both sides: a preset (none, basic, whisper-like) or
            transforms joined by ``+`` (`avtool.metrics.normalize`).
        fmt: ``"auto"``, ``"kaldi"`` or ``"plain"`` (`avtool.formats.kaldi_text`).
        categories: ``utt_id category`` file; it must cover every reference id.
        strict: a reference without hypothesis or a hypothesis id not in REF is an error
            (by default the first counts as all deletions and the second is left out).
        log: called with the auto-detection note (the format read) as soon as it is known,
            before any later error; the CLI prints it on stderr.

    Raises:
        FormatError: unreadable or malformed files, categories lacking reference ids, an
            unmatched id with `strict`, or references without any word after normalisation.
        UnknownNameError: an unknown normalisation.
    """
    hyps, refs, used = read_transcripts(hyp, ref, fmt)
    if fmt == "auto" and log is not None:
        log(f"reading {hyp} and {ref} as {used} transcripts (auto-detected; --format to "
            "override)")
    cats = read_utt2category(categories) if categories is not None else None
    if cats is not None:
        lacking = [u for u in refs if u not in cats]
        if lacking:
            raise FormatError(f"{categories}: no category for {len(lacking)} of {len(refs)} "
                              f"utterances of {ref}: {_examples(lacking)}")
    missing = [u for u in refs if u not in hyps]
    extra = [u for u in hyps if u not in refs]
    if strict and (missing or extra):
        parts = []
        if missing:
            parts.append(f"{len(missing)} reference ids have no hypothesis in {hyp}: "
                         f"{_examples(missing)}")
        if extra:
            parts.append(f"{len(extra)} hypothesis ids are not in {ref}: {_examples(extra)}")
        raise FormatError("; ".join(parts) + " (--strict)")
    try:
        result = error_rates(refs, hyps, normalize=normalize, categories=cats)
    except ValueError as err:
        raise FormatError(f"{ref}: {err}") from None
    return TranscriptionEvaluation(result, used)
