"""ActivityNet Captions annotations (``train.json``, ``val_1.json``, ``val_2.json``).

One JSON object keyed by video id; per video its duration (seconds), the ``[start, end]`` of
each sentence and the sentences, index-aligned::

    {"v_QOlSCBRmfWY": {"duration": 82.73,
                       "timestamps": [[0.83, 19.86], [17.37, 60.81]],
                       "sentences": ["A young woman is seen standing ...", "She then ..."]}}

The query id of sentence ``k`` (0-based) of video ``vid`` is ``vid#k``. Extra keys are ignored.
Timestamps past the duration are common and kept (the metric clips them); zero-length moments are
kept; ``start > end``, a missing key, a non-number or mismatched list lengths is a ``FormatError``
naming the file and the video.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from avtool.errors import FormatError
from avtool.formats.moments import MomentQuery, read_text_lines

__all__ = ["read_activitynet_captions"]


def _number(value: Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FormatError(f"{where}: {what} must be a finite number, got {value!r}")
    return float(value)


def read_activitynet_captions(path: str | Path) -> tuple[list[MomentQuery], dict[str, float]]:
    """Read the JSON into one ``MomentQuery`` per sentence and a ``{vid: duration}`` map."""
    text = "\n".join(read_text_lines(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise FormatError(f"{path}:{err.lineno}:{err.colno}: invalid JSON ({err.msg})") from None
    if not isinstance(data, dict):
        raise FormatError(f"{path}: expected an object keyed by video id, got "
                          f"{type(data).__name__}")
    queries: list[MomentQuery] = []
    durations: dict[str, float] = {}
    for vid, entry in data.items():
        where = f"{path}: video {vid!r}"
        if not isinstance(entry, dict) or "timestamps" not in entry or "duration" not in entry:
            raise FormatError(f"{where}: expected an object with 'duration' and 'timestamps'")
        duration = _number(entry["duration"], where, "duration")
        if duration <= 0:
            raise FormatError(f"{where}: duration must be positive, got {duration}")
        durations[vid] = duration
        stamps = entry["timestamps"]
        sentences = entry.get("sentences", [""] * len(stamps) if isinstance(stamps, list) else [])
        if not isinstance(stamps, list) or not isinstance(sentences, list):
            raise FormatError(f"{where}: 'timestamps' and 'sentences' must be lists")
        if len(sentences) != len(stamps):
            raise FormatError(f"{where}: {len(stamps)} timestamps but {len(sentences)} sentences")
        for k, (stamp, sentence) in enumerate(zip(stamps, sentences, strict=True)):
            at = f"{where} timestamp {k}"
            if not isinstance(stamp, list | tuple) or len(stamp) != 2:
                raise FormatError(f"{at}: expected [start, end], got {stamp!r}")
            start, end = _number(stamp[0], at, "start"), _number(stamp[1], at, "end")
            if start > end:
                raise FormatError(f"{at}: start {start} is after end {end}")
            queries.append(MomentQuery(f"{vid}#{k}", vid, start, end, str(sentence).strip(), at))
    if not queries:
        raise FormatError(f"{path}: no timestamp in the file")
    return queries, durations
