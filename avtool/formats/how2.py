"""How2 transcripts and segment times: the ``data/<split>/`` folders of the How2 300h release.

Each split folder (``train``, ``val``, ``dev5``; How2 reports its test results on ``dev5``)
holds Kaldi-style files, one utterance per line, in the same order::

    text.id.en   <utterance id> <transcript>        e.g. "-fZc293MpJk_2 so first we cut the dough"
    segments     <utterance id> <video id> <start> <end>       "-fZc293MpJk_2 -fZc293MpJk 8.59 16.84"
    text.en      <transcript>                       (text.id.en without the ids)
    id           <utterance id>
    utt2spk      <utterance id> <video id>
    feats.scp, cmvn.scp                             (Kaldi feature pointers; not read here)

An utterance id is the 11-character YouTube id of its video, ``_`` and the segment's number
in the video (``-fZc293MpJk_2``); a segment made of several subtitle sentences joins their
numbers (``FZCEymcpq7I_0_1``). The id carries no times: they are in ``segments`` (seconds
from the start of the video, written with up to 2 decimals, e.g. ``11.7``). The video id is
the id's first 11 characters: YouTube ids contain ``_`` and ``-``, so never split on ``_``.

`read_how2(split_dir, language)` reads exactly two files: ``text.id.<language>`` (all
fields: id, transcript = the rest of the line, stripped) and ``segments`` (all four fields),
and returns one `How2Segment` per transcript line, in that file's order. Both files must
list the same utterances; the recording id in ``segments`` must be the utterance's video.
`write_how2` writes ``text.id.<language>``, ``text.<language>``, ``segments``, ``id`` and
``utt2spk``. Every parse error is a `FormatError` naming the file and line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from avtool.errors import FormatError
from avtool.formats.moments import read_text_lines

__all__ = ["How2Segment", "how2_video_id", "read_how2", "read_how2_segments",
           "read_how2_text", "write_how2"]

_UTTERANCE_ID = re.compile(r"[A-Za-z0-9_-]{11}(?:_\d+)+")


@dataclass(frozen=True)
class How2Segment:
    """One How2 utterance: its id, video, time span in the video (seconds) and transcript."""

    id: str
    video: str
    start: float
    end: float
    text: str


def how2_video_id(utterance_id: str) -> str:
    """The video of an utterance id (its first 11 characters); FormatError if malformed."""
    if not _UTTERANCE_ID.fullmatch(utterance_id):
        raise FormatError(f"utterance id {utterance_id!r} is not '<11-character video id>_<n>'"
                          " (How2)")
    return utterance_id[:11]


def _id_lines(path: Path) -> Iterable[tuple[str, int, str, str]]:
    """(file:line, line number, utterance id, rest of the line) of every non-blank line."""
    seen: dict[str, int] = {}
    for no, raw in enumerate(read_text_lines(path), 1):
        parts = raw.strip().split(None, 1)
        if not parts:
            continue
        where, utt = f"{path}:{no}", parts[0]
        try:
            how2_video_id(utt)
        except FormatError as err:
            raise FormatError(f"{where}: {err}") from None
        if utt in seen:
            raise FormatError(f"{where}: utterance {utt!r} repeats line {seen[utt]}")
        seen[utt] = no
        yield where, no, utt, parts[1].strip() if len(parts) > 1 else ""


def read_how2_text(path: str | Path) -> dict[str, str]:
    """``text.id.<lang>``: {utterance id: transcript}, in file order (a transcript may be "")."""
    path = Path(path)
    out = {utt: rest for _, _, utt, rest in _id_lines(path)}
    if not out:
        raise FormatError(f"{path}: no '<utterance id> <transcript>' line in the file")
    return out


def _seconds(where: str, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FormatError(f"{where}: {name} {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise FormatError(f"{where}: {name} {text!r} must be a finite time >= 0")
    return value


def read_how2_segments(path: str | Path) -> dict[str, tuple[str, float, float]]:
    """``segments``: {utterance id: (video id, start, end)} in file order."""
    path = Path(path)
    out: dict[str, tuple[str, float, float]] = {}
    for where, _, utt, rest in _id_lines(path):
        fields = rest.split()
        if len(fields) != 3:
            raise FormatError(f"{where}: expected '<utterance id> <video id> <start> <end>', "
                              f"got {(utt + ' ' + rest)[:80]!r}")
        video = fields[0]
        if video != utt[:11]:
            raise FormatError(f"{where}: video {video!r} is not the video of utterance {utt!r} "
                              "(its first 11 characters)")
        start, end = _seconds(where, "start", fields[1]), _seconds(where, "end", fields[2])
        if start > end:
            raise FormatError(f"{where}: start {fields[1]} is after end {fields[2]}")
        out[utt] = (video, start, end)
    if not out:
        raise FormatError(f"{path}: no '<utterance id> <video id> <start> <end>' line")
    return out


def read_how2(split_dir: str | Path, language: str = "en") -> list[How2Segment]:
    """The utterances of one How2 split folder (``text.id.<language>`` + ``segments``).

    Raises:
        FormatError: a missing or malformed file, or an utterance in one file only.
    """
    split_dir = Path(split_dir)
    text_path, seg_path = split_dir / f"text.id.{language}", split_dir / "segments"
    texts = read_how2_text(text_path)
    spans = read_how2_segments(seg_path)
    for utt in spans:
        if utt not in texts:
            line = _line_of(seg_path, utt)
            raise FormatError(f"{seg_path}:{line}: utterance {utt!r} has no transcript in "
                              f"{text_path}")
    segments = []
    for utt, text in texts.items():
        if utt not in spans:
            raise FormatError(f"{text_path}:{_line_of(text_path, utt)}: utterance {utt!r} has no "
                              f"line in {seg_path}")
        video, start, end = spans[utt]
        segments.append(How2Segment(utt, video, start, end, text))
    return segments


def _line_of(path: Path, utt: str) -> int:
    return next(no for _, no, u, _ in _id_lines(path) if u == utt)


def _time(seconds: float) -> str:
    return repr(float(seconds))  # shortest text that reads back as the same float


def write_how2(split_dir: str | Path, segments: Sequence[How2Segment], language: str = "en"
               ) -> list[Path]:
    """Write one split folder in the How2 layout (see the module doc); returns the files.

    Raises:
        FormatError: a malformed utterance id, a video that is not the id's, a transcript
            with a line break, or a time span that is not 0 <= start <= end.
    """
    from avtool.io import atomic_write

    split_dir = Path(split_dir)
    for seg in segments:
        if how2_video_id(seg.id) != seg.video:
            raise FormatError(f"utterance {seg.id!r}: video {seg.video!r} is not its first 11 "
                              "characters")
        if "\n" in seg.text or "\r" in seg.text:
            raise FormatError(f"utterance {seg.id!r}: the transcript has a line break")
        if not 0 <= seg.start <= seg.end:
            raise FormatError(f"utterance {seg.id!r}: times {seg.start}-{seg.end} are not "
                              "0 <= start <= end")
    files = {
        f"text.id.{language}": [f"{s.id} {s.text}" for s in segments],
        f"text.{language}": [s.text for s in segments],
        "segments": [f"{s.id} {s.video} {_time(s.start)} {_time(s.end)}" for s in segments],
        "id": [s.id for s in segments],
        "utt2spk": [f"{s.id} {s.video}" for s in segments],
    }
    written = []
    for name, lines in files.items():
        with atomic_write(split_dir / name, newline="\n") as fh:
            fh.writelines(line + "\n" for line in lines)
        written.append(split_dir / name)
    return written
