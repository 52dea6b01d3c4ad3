"""The MALTA caption-alignment layout (Konda et al., Interspeech 2020: TFT_av, TFT_v, ATMA_av).

The paper describes its release by subset only (digest caption-alignment-000 §2.1: TFT_av
with audio-visual annotations, TFT_v with video-only ones for a subset of the videos, ATMA_av,
train/test 389:103 for TFT_av); it gives no file format. avtool reads and writes it as a
folder per subset, one ActivityNet Captions JSON per split (so `avtool evaluate grounding`
reads each file as it is), with two optional extra keys per video: ``kinds`` (what each
caption is grounded in: visual, sound, speech) and ``language`` (``en`` or ``mr``)::

    MALTA/TFT_av/train.json   {"<vid>": {"duration": 80.2, "timestamps": [[s, e], ...],
    MALTA/TFT_av/test.json              "sentences": [...], "kinds": [...], "language": "mr"}}
    MALTA/TFT_v/test.json     (video-only annotation of some test videos)
    MALTA/ATMA_av/...

Query ids are ActivityNet's, ``vid#k``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from avtool.errors import FormatError
from avtool.formats.activitynet_captions import read_activitynet_captions
from avtool.formats.moments import MomentQuery, read_text_lines

__all__ = ["MALTA_SUBSETS", "malta_kinds", "read_malta", "write_malta_json"]

MALTA_SUBSETS = ("TFT_av", "TFT_v", "ATMA_av")


def read_malta(path: str | Path) -> tuple[list[MomentQuery], dict[str, float], dict[str, str]]:
    """(queries, durations, kind per query id: "" where the file gives none)."""
    queries, durations = read_activitynet_captions(path)
    return queries, durations, malta_kinds(path)


def malta_kinds(path: str | Path) -> dict[str, str]:
    """The ``kinds`` of every caption, by query id (FormatError for a malformed list)."""
    data = json.loads("\n".join(read_text_lines(path)))
    out: dict[str, str] = {}
    for vid, entry in data.items():
        kinds = entry.get("kinds")
        n = len(entry.get("timestamps", []))
        if kinds is None:
            out.update({f"{vid}#{k}": "" for k in range(n)})
            continue
        if not isinstance(kinds, list) or len(kinds) != n:
            raise FormatError(f"{path}: video {vid!r}: 'kinds' must list one kind per timestamp")
        out.update({f"{vid}#{k}": str(kind) for k, kind in enumerate(kinds)})
    return out


def write_malta_json(path: str | Path,
                     videos: Mapping[str, tuple[float, Sequence[tuple[float, float, str, str]]]],
                     language: str) -> Path:
    """Write one split: ``{vid: (duration, [(start, end, sentence, kind), ...])}``."""
    from avtool.io import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {vid: {"duration": duration,
                  "timestamps": [[s, e] for s, e, _, _ in caps],
                  "sentences": [t for _, _, t, _ in caps],
                  "kinds": [k for _, _, _, k in caps], "language": language}
            for vid, (duration, caps) in videos.items()}
    with atomic_write(path) as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
    return path
