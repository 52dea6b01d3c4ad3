"""ActivityNet Captions as paragraph-to-video retrieval (Gabeur thesis §3.6, CE §9.4).

A video's sentences (`avtool.formats.activitynet_captions`) sorted by start time and joined
into one paragraph (as in Zhang et al.'s FSE/HSE protocol, which the thesis follows); the
query id is the video id. ``val_1.json`` is the test split of both theses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from avtool.formats.activitynet_captions import read_activitynet_captions


@dataclass(frozen=True)
class Paragraph:
    video_id: str
    text: str
    duration: float


def read_activitynet_paragraphs(path: str | Path) -> list[Paragraph]:
    """One paragraph per video, sentences in start-time order (ties: file order)."""
    queries, durations = read_activitynet_captions(path)
    by_video: dict[str, list] = {}
    for q in queries:
        by_video.setdefault(q.video_id, []).append(q)
    out = []
    for vid, qs in by_video.items():
        ordered = sorted(enumerate(qs), key=lambda iq: (iq[1].start, iq[0]))
        text = " ".join(s for s in (q.sentence.strip() for _, q in ordered) if s)
        out.append(Paragraph(vid, text, durations[vid]))
    return out


def write_activitynet_captions(path: str | Path,
                               videos: Mapping[str, tuple[float, Sequence[tuple[float, float]],
                                                          Sequence[str]]]) -> Path:
    """``{vid: (duration, [(start, end)...], [sentence...])}`` as an ActivityNet JSON."""
    from avtool.io import atomic_write

    data = {vid: {"duration": d, "timestamps": [list(t) for t in ts], "sentences": list(ss)}
            for vid, (d, ts, ss) in videos.items()}
    with atomic_write(path) as fh:
        json.dump(data, fh, indent=0)
    return Path(path)
