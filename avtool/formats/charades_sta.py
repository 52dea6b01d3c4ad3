"""Charades-STA sentence grounding annotations (``charades_sta_train.txt`` / ``_test.txt``).

One query per line, ``vid start end##sentence``, times in seconds (TALL / CTRL release)::

    AO8RW 0.0 6.9##a person is putting a book on a shelf.
    Y6R7T 20.8 30.0##person turns the light off.

The query id of a line is its 0-based line number (line 1 is query ``"0"``), as string; blank
lines hold no query but still count. The file gives no video durations (Charades videos are
about 30 s; ends past the video are common): pass them separately (``read_durations``).
Zero-length moments are kept; ``start > end``, a missing ``##`` or a non-number is a
``FormatError`` naming file:line.
"""

from __future__ import annotations

import math
from pathlib import Path

from avtool.errors import FormatError
from avtool.formats.moments import MomentQuery, read_text_lines

__all__ = ["read_charades_sta"]


def read_charades_sta(path: str | Path) -> list[MomentQuery]:
    """Read a Charades-STA annotation file into one ``MomentQuery`` per line."""
    queries: list[MomentQuery] = []
    for index, raw in enumerate(read_text_lines(path)):
        line = raw.strip()
        if not line:
            continue
        where = f"{path}:{index + 1}"
        head, sep, sentence = line.partition("##")
        fields = head.split()
        if not sep or len(fields) != 3:
            raise FormatError(f"{where}: expected 'vid start end##sentence', got {line[:80]!r}")
        try:
            start, end = float(fields[1]), float(fields[2])
        except ValueError:
            raise FormatError(f"{where}: start/end must be numbers, got {fields[1]!r} "
                              f"{fields[2]!r}") from None
        if not (math.isfinite(start) and math.isfinite(end)):
            raise FormatError(f"{where}: start/end must be finite, got {start} {end}")
        if start > end:
            raise FormatError(f"{where}: start {start} is after end {end}")
        queries.append(MomentQuery(str(index), fields[0], start, end, sentence.strip(), where))
    if not queries:
        raise FormatError(f"{path}: no 'vid start end##sentence' line in the file")
    return queries
