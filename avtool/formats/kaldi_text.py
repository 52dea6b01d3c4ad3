"""Transcripts for `avtool evaluate transcription`: Kaldi ``text``, aligned lines, utt2category.

Formats (UTF-8, ``\\n`` or ``\\r\\n`` line ends):

* ``kaldi``: ``utt_id text`` per line, as Kaldi's ``data/*/text``: the id is the first
  whitespace-separated field, the rest of the line (possibly empty) is the transcript. Blank lines
  are skipped; an id may appear once::

      spk1-utt001 now i will cut the tomato
      spk1-utt002 add some salt

* ``plain``: one transcript per line, hypothesis line *k* paired with reference line *k*
  (ids are the 1-based line numbers ``"1"``, ``"2"``...). Only the final newline is dropped, so
  a blank line is an empty transcript; HYP and REF must have the same number of lines.
* ``utt2category``: ``utt_id category`` per line (e.g. a noise condition ``clean``, ``burst``,
  ``env``, ``mixed``); the category is the rest of the line. Blank lines are skipped.

``detect_transcript_format`` picks ``kaldi`` when, in both files, every non-blank line starts
with a token that contains a digit, those tokens are unique within each file, and at least one
HYP id occurs in REF; otherwise ``plain``. Pass the format explicitly when unsure.
"""

from __future__ import annotations

import re
from pathlib import Path

from avtool.errors import FormatError

__all__ = ["TRANSCRIPT_FORMATS", "detect_transcript_format", "read_aligned_lines",
           "read_kaldi_text", "read_transcripts", "read_utt2category", "write_kaldi_text"]

TRANSCRIPT_FORMATS = ("auto", "kaldi", "plain")


def _lines(path: str | Path) -> list[str]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise FormatError(f"{path}: is a directory, expected a text file") from None
    except UnicodeDecodeError as err:
        raise FormatError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise FormatError(f"{path}: cannot read ({err.strerror})") from None
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln.removesuffix("\r") for ln in lines]


def _id_lines(path: str | Path, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for lineno, raw in enumerate(_lines(path), 1):
        parts = raw.strip().split(None, 1)
        if not parts:
            continue
        key = parts[0]
        if key in first_line:
            raise FormatError(f"{path}:{lineno}: {what} id {key!r} repeats line {first_line[key]}")
        first_line[key] = lineno
        out[key] = parts[1] if len(parts) > 1 else ""
    return out


def read_kaldi_text(path: str | Path) -> dict[str, str]:
    """``utt_id text`` lines -> {utt_id: text} in file order (text may be empty).

    Raises:
        FormatError: unreadable file, repeated id, or no utterance at all.
    """
    out = _id_lines(path, "utterance")
    if not out:
        raise FormatError(f"{path}: no utterance in the file")
    return out


def write_kaldi_text(path: str | Path, transcripts: dict[str, str]) -> Path:
    """Write ``utt_id text`` lines (text on one line, whitespace collapsed), atomically, in
    the dict's order; what `read_kaldi_text` reads back.

    Raises:
        FormatError: an id that is empty or holds whitespace (it would not read back).
    """
    from avtool.io import atomic_write

    for key in transcripts:
        if not key or key.split() != [key]:
            raise FormatError(f"{path}: utterance id {key!r} cannot go in a Kaldi text file "
                              "(empty or with whitespace)")
    with atomic_write(path, encoding="utf-8") as fh:
        for key, text in transcripts.items():
            fh.write(f"{key} {' '.join(text.split())}\n")
    return Path(path)


def read_aligned_lines(path: str | Path) -> dict[str, str]:
    """One transcript per line -> {"1": line 1, "2": line 2, ...} (blank lines are empty)."""
    lines = _lines(path)
    if not lines:
        raise FormatError(f"{path}: no line in the file")
    return {str(i): ln.strip() for i, ln in enumerate(lines, 1)}


def read_utt2category(path: str | Path) -> dict[str, str]:
    """``utt_id category`` lines -> {utt_id: category}.

    Raises:
        FormatError: a line without category, a repeated id, or an empty file.
    """
    out = _id_lines(path, "utterance")
    for lineno, raw in enumerate(_lines(path), 1):
        parts = raw.strip().split(None, 1)
        if len(parts) == 1:
            raise FormatError(f"{path}:{lineno}: expected 'utt_id category', got only "
                              f"{parts[0]!r}")
    if not out:
        raise FormatError(f"{path}: no 'utt_id category' line in the file")
    return {k: v.strip() for k, v in out.items()}


_HAS_DIGIT = re.compile(r"\d")


def _first_tokens(path: str | Path) -> list[str]:
    return [ln.split(None, 1)[0] for ln in _lines(path) if ln.strip()]


def detect_transcript_format(hyp: str | Path, ref: str | Path) -> str:
    """``"kaldi"`` or ``"plain"`` by the rule in the module docstring."""
    hyp_ids, ref_ids = _first_tokens(hyp), _first_tokens(ref)
    for ids in (hyp_ids, ref_ids):
        if not ids or len(set(ids)) != len(ids) or not all(_HAS_DIGIT.search(t) for t in ids):
            return "plain"
    return "kaldi" if set(hyp_ids) & set(ref_ids) else "plain"


def read_transcripts(hyp: str | Path, ref: str | Path,
                     fmt: str = "auto") -> tuple[dict[str, str], dict[str, str], str]:
    """Read HYP and REF in one format -> (hypotheses, references, format used).

    Raises:
        FormatError: unknown format, unreadable files, plain files of different lengths, or
            Kaldi files that share no utterance id.
    """
    if fmt not in TRANSCRIPT_FORMATS:
        raise FormatError(f"unknown transcript format {fmt!r}; use one of "
                          f"{', '.join(TRANSCRIPT_FORMATS)}")
    if fmt == "auto":
        fmt = detect_transcript_format(hyp, ref)
    if fmt == "plain":
        hyps, refs = read_aligned_lines(hyp), read_aligned_lines(ref)
        if len(hyps) != len(refs):
            raise FormatError(
                f"{hyp} has {len(hyps)} lines but {ref} has {len(refs)}: plain transcripts pair "
                "line k with line k (use 'utt_id text' lines and --format kaldi otherwise)")
        return hyps, refs, fmt
    hyps, refs = read_kaldi_text(hyp), read_kaldi_text(ref)
    if not set(hyps) & set(refs):
        raise FormatError(
            f"no utterance id of {hyp} occurs in {ref} (e.g. {next(iter(hyps))!r} vs "
            f"{next(iter(refs))!r}); for one transcript per line use --format plain")
    return hyps, refs, fmt
