"""Caption queries for `avtool retrieve query --queries FILE`.

Accepted files:

* the JSFusion 1k-A test CSV (``key,vid_key,video_id,sentence``): query id = key, ground truth
  = video_id;
* a TSV of ``query_id<TAB>caption[<TAB>video_id]`` lines (a third column gives the truth);
* plain text, one caption per line (ids ``q0``, ``q1``...);
* an ActivityNet Captions JSON (``val_1.json``): one paragraph per video, its sentences in
  time order (`avtool.formats.activitynet_paragraphs`), query id and truth = the video id.

Every caption must be non-empty UTF-8 (`FormatError` naming the file and line).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from avtool.errors import FormatError


@dataclass(frozen=True)
class Query:
    id: str
    caption: str
    video_id: str = ""  # the ground truth, when known


def check_caption(caption: str, where: str) -> str:
    """A caption with its whitespace squeezed (`FormatError` when empty)."""
    text = " ".join(str(caption).split())
    if not text:
        raise FormatError(f"{where}: empty caption")
    return text


def read_queries(path: str | Path) -> list[Query]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file (queries)") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not UTF-8 text (queries)") from None
    lines = text.splitlines()
    if path.suffix.lower() == ".json":
        from avtool.formats.activitynet_paragraphs import read_activitynet_paragraphs

        return [Query(p.video_id, check_caption(p.text, f"{path}: {p.video_id}"), p.video_id)
                for p in read_activitynet_paragraphs(path)]
    if lines and lines[0].strip().lower().startswith("key,vid_key,video_id,sentence"):
        from avtool.formats.msrvtt import read_jsfusion_test

        return [Query(q.key, check_caption(q.sentence, f"{path}: {q.key}"), q.video_id)
                for q in read_jsfusion_test(path)]
    out, seen = [], set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if "\t" in line:
            cells = line.split("\t")
            if len(cells) > 3:
                raise FormatError(f"{path}:{n}: expected query_id<TAB>caption[<TAB>video_id]")
            qid, caption = cells[0].strip(), cells[1]
            truth = cells[2].strip() if len(cells) == 3 else ""
        else:
            qid, caption, truth = f"q{len(out)}", line, ""
        if not qid:
            raise FormatError(f"{path}:{n}: empty query id")
        if qid in seen:
            raise FormatError(f"{path}:{n}: duplicate query id {qid!r}")
        seen.add(qid)
        out.append(Query(qid, check_caption(caption, f"{path}:{n}"), truth))
    if not out:
        raise FormatError(f"{path}: no query")
    return out
