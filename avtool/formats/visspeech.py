"""VisSpeech (AVATAR's real-world AV-ASR test set): the segment list ``VisSpeech.csv``.

The release (``VisSpeech.zip`` from gabeur.github.io/avatar-visspeech: 508 segments of 495
HowTo100M videos, 4.3 s and 12.2 words on average) is one comma-separated file with a header
row and one segment per row, five columns::

    key,yt_id,start_time,end_time,text
    s0001,Xk3v9Q-a_2c,83410,87650,"now fold the dough, like this"      (invented row)

``yt_id`` is the YouTube id of the source video, ``start_time``/``end_time`` the segment's
span in it and ``text`` its (manually checked) transcript; ``key`` names the segment's media
file (``<key>.mkv`` or ``.mp4``) in the download scripts that use the file. Not verified here
(the release cannot be downloaded from this machine): the exact names of the first and last
columns, and the time unit. Code that reads the real file unpacks five columns positionally
and indexes ``yt_id``, ``start_time`` and ``end_time`` by name, converting the times from
milliseconds. So `read_visspeech`:

* finds columns by header name, case-insensitively: key (``key``, ``id``, ``segment_id``,
  ``clip_id``; optional, else ``<yt_id>_<start_time>_<end_time>`` as written), video
  (``yt_id``, ``video_id``, ``youtube_id``), start (``start_time``, ``start``), end
  (``end_time``, ``end``), transcript (``text``, ``transcript``, ``sentence``); other
  columns are ignored;
* reads times in milliseconds or seconds: ``time_unit="auto"`` takes milliseconds when every
  start and end is a whole number and the median segment is at least 100 units long (no
  VisSpeech segment lasts 100 s), seconds otherwise;
* returns one `VisSpeechSegment` per row, times in seconds, in file order.

`write_visspeech` writes the header ``key,yt_id,start_time,end_time,text`` and integer
milliseconds (``time_unit="ms"``, the default) or seconds (``"s"``). Parse errors are
`FormatError`s naming the file and line.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from avtool.errors import FormatError
from avtool.formats.moments import read_text_lines

__all__ = ["VISSPEECH_HEADER", "VisSpeechSegment", "read_visspeech", "write_visspeech"]

VISSPEECH_HEADER = ("key", "yt_id", "start_time", "end_time", "text")
_COLUMNS = {  # field -> accepted header names, first = the name written
    "key": ("key", "id", "segment_id", "clip_id"),
    "video": ("yt_id", "video_id", "youtube_id"),
    "start": ("start_time", "start"),
    "end": ("end_time", "end"),
    "text": ("text", "transcript", "sentence"),
}
TIME_UNITS = ("auto", "ms", "s")


@dataclass(frozen=True)
class VisSpeechSegment:
    """One segment: its key, source video, span in the video (seconds) and transcript."""

    key: str
    video: str
    start: float
    end: float
    text: str


def _header_columns(path: Path, header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    found = {}
    for field, aliases in _COLUMNS.items():
        hits = [i for i, name in enumerate(names) if name in aliases]
        if hits:
            found[field] = hits[0]
        elif field != "key":
            raise FormatError(f"{path}:1: no {'/'.join(aliases)} column in the header "
                              f"{','.join(header)!r} (expected {','.join(VISSPEECH_HEADER)})")
    return found


def _number(where: str, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FormatError(f"{where}: {name} {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise FormatError(f"{where}: {name} {text!r} must be a finite time >= 0")
    return value


def read_visspeech(path: str | Path, time_unit: str = "auto") -> list[VisSpeechSegment]:
    """Read a VisSpeech segment CSV (see the module doc); times come back in seconds.

    Raises:
        FormatError: missing file, not UTF-8, no header or a missing column, a row with too
            few fields, a time that is not a number >= 0, start after end, a repeated key.
    """
    path = Path(path)
    if time_unit not in TIME_UNITS:
        raise FormatError(f"time unit {time_unit!r}: use one of {', '.join(TIME_UNITS)}")
    reader = csv.reader(io.StringIO("\n".join(read_text_lines(path)) + "\n"))
    header = next(reader, None)
    if not header or not any(f.strip() for f in header):
        raise FormatError(f"{path}: empty file (expected the header "
                          f"{','.join(VISSPEECH_HEADER)})")
    cols = _header_columns(path, header)
    width = max(cols.values()) + 1
    raw = []  # (where, key, video, start text, end text, transcript)
    for row in reader:
        if not any(f.strip() for f in row):
            continue
        where = f"{path}:{reader.line_num}"
        if len(row) < width:
            raise FormatError(f"{where}: {len(row)} fields, expected at least {width} "
                              f"({','.join(header)})")
        video, start, end = (row[cols[f]].strip() for f in ("video", "start", "end"))
        if not video:
            raise FormatError(f"{where}: empty video id")
        key = row[cols["key"]].strip() if "key" in cols else f"{video}_{start}_{end}"
        raw.append((where, key, video, start, end, row[cols["text"]].strip()))
    if not raw:
        raise FormatError(f"{path}: no segment row after the header")
    scale = _seconds_per_unit(raw, time_unit)
    out, seen = [], {}
    for where, key, video, start_text, end_text, text in raw:
        start = _number(where, "start_time", start_text) * scale
        end = _number(where, "end_time", end_text) * scale
        if start > end:
            raise FormatError(f"{where}: start_time {start_text} is after end_time {end_text}")
        if key in seen:
            raise FormatError(f"{where}: key {key!r} repeats {seen[key]}")
        seen[key] = where
        out.append(VisSpeechSegment(key, video, start, end, text))
    return out


def _seconds_per_unit(raw: list[tuple], time_unit: str) -> float:
    """1e-3 for milliseconds, 1.0 for seconds (``auto``: the rule in the module doc)."""
    if time_unit != "auto":
        return 1e-3 if time_unit == "ms" else 1.0
    values = [v for row in raw for v in (row[3], row[4])]
    if not all(v.isdigit() for v in values):
        return 1.0
    return 1e-3 if median(int(r[4]) - int(r[3]) for r in raw) >= 100 else 1.0


def write_visspeech(path: str | Path, segments: Sequence[VisSpeechSegment],
                    time_unit: str = "ms") -> Path:
    """Write segments with the header ``key,yt_id,start_time,end_time,text``, atomically.

    ``time_unit="ms"`` rounds times to whole milliseconds; ``"s"`` writes seconds exactly.
    """
    from avtool.io import atomic_write

    if time_unit not in ("ms", "s"):
        raise FormatError(f"time unit {time_unit!r}: write 'ms' or 's'")

    def fmt(seconds: float) -> str:
        return str(round(seconds * 1000)) if time_unit == "ms" else repr(float(seconds))

    path = Path(path)
    with atomic_write(path, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(VISSPEECH_HEADER)
        for s in segments:
            writer.writerow([s.key, s.video, fmt(s.start), fmt(s.end), s.text])
    return path
