"""Plain-text inputs of `avtool evaluate retrieval`: id lists and caption -> video ground truth.

Formats (UTF-8; a trailing newline is optional; a line's surrounding whitespace is ignored):

* id list (``Q.txt``, ``V.txt``): one id per line, in the row (queries) or column (videos) order
  of the similarity matrix. Blank lines are allowed only at the end; ids are unique::

      video7020_0
      video7020_1

* ground truth (``GT.tsv``): ``caption_id<TAB>video_id`` per line, several captions per video
  allowed (MSR-VTT has 20). An optional first line ``caption_id<TAB>video_id`` is a header.
  Blank lines are skipped::

      video7020_0<TAB>video7020
      video7020_1<TAB>video7020

``match_retrieval_gt`` ties them together: every query id must have exactly one ground-truth
video, and every id in the ground truth must appear in the id lists. Videos without a caption
are allowed (distractors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import FormatError
from avtool.io import read_text

__all__ = ["GtPair", "RetrievalGroundTruth", "match_retrieval_gt", "read_id_list",
           "read_retrieval_gt"]

GT_HEADER = ("caption_id", "video_id")


def _read_lines(path: str | Path) -> list[str]:
    return read_text(path).splitlines()


def read_id_list(path: str | Path) -> list[str]:
    """One id per line, in matrix order. Raises FormatError on gaps, duplicates or no id."""
    lines = _read_lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    ids: list[str] = []
    seen: dict[str, int] = {}
    for lineno, raw in enumerate(lines, 1):
        item = raw.strip()
        if not item:
            raise FormatError(f"{path}:{lineno}: blank line inside the id list "
                              "(ids are matrix rows/columns; remove it)")
        if item in seen:
            raise FormatError(f"{path}:{lineno}: id {item!r} repeats line {seen[item]}")
        seen[item] = lineno
        ids.append(item)
    if not ids:
        raise FormatError(f"{path}: no id in the file")
    return ids


@dataclass(frozen=True)
class GtPair:
    caption_id: str
    video_id: str
    line: int


def read_retrieval_gt(path: str | Path) -> list[GtPair]:
    """``caption_id<TAB>video_id`` lines. Raises FormatError naming file:line."""
    pairs: list[GtPair] = []
    for lineno, raw in enumerate(_read_lines(path), 1):
        if not raw.strip():
            continue
        fields = [f.strip() for f in raw.rstrip("\r\n").split("\t")]
        if len(fields) != 2 or not all(fields):
            raise FormatError(f"{path}:{lineno}: expected 'caption_id<TAB>video_id', "
                              f"got {raw.strip()!r}")
        if not pairs and lineno == 1 and tuple(fields) == GT_HEADER:
            continue
        pairs.append(GtPair(fields[0], fields[1], lineno))
    if not pairs:
        raise FormatError(f"{path}: no 'caption_id<TAB>video_id' line in the file")
    return pairs


@dataclass(frozen=True)
class RetrievalGroundTruth:
    query_ids: tuple[str, ...]
    video_ids: tuple[str, ...]
    query_video: np.ndarray
    """Column (video index) of each row's ground truth."""


def match_retrieval_gt(
    query_ids: Sequence[str], video_ids: Sequence[str], pairs: Sequence[GtPair],
    *, query_path: str | Path = "query ids", video_path: str | Path = "video ids",
    gt_path: str | Path = "ground truth",
) -> RetrievalGroundTruth:
    """Map each query row to its ground-truth column; every mismatch is a FormatError."""
    q_index = {q: i for i, q in enumerate(query_ids)}
    v_index = {v: j for j, v in enumerate(video_ids)}
    query_video = np.full(len(query_ids), -1, dtype=np.int64)
    first_line: dict[str, int] = {}
    for p in pairs:
        qi = q_index.get(p.caption_id)
        if qi is None:
            raise FormatError(f"{gt_path}:{p.line}: caption id {p.caption_id!r} is not in "
                              f"{query_path}")
        vj = v_index.get(p.video_id)
        if vj is None:
            raise FormatError(f"{gt_path}:{p.line}: video id {p.video_id!r} is not in "
                              f"{video_path}")
        if p.caption_id in first_line:
            raise FormatError(f"{gt_path}:{p.line}: caption id {p.caption_id!r} already has a "
                              f"video on line {first_line[p.caption_id]} (one video per caption)")
        first_line[p.caption_id] = p.line
        query_video[qi] = vj
    missing = np.flatnonzero(query_video < 0)
    if missing.size:
        k = int(missing[0])
        raise FormatError(f"{query_path}:{k + 1}: query id {query_ids[k]!r} has no video in "
                          f"{gt_path} ({missing.size} queries lack one)")
    return RetrievalGroundTruth(tuple(query_ids), tuple(video_ids), query_video)
