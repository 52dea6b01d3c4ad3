"""Moments (temporal sentence grounding): ground-truth records, prediction and duration TSVs.

Formats written by people and models (UTF-8, tab-separated, blank lines skipped):

* predictions (``avtool evaluate grounding --pred``), with a header naming the columns (any
  order; other columns such as ``score`` are ignored)::

      query_id<TAB>video_id<TAB>start<TAB>end[<TAB>rank]
      0<TAB>AO8RW<TAB>0.0<TAB>7.2

  ``query_id`` is the 0-based line number in a Charades-STA file or ``vid#k`` (sentence k,
  0-based) for ActivityNet Captions; ``start``/``end`` in seconds with ``start <= end``.
  Without ``rank`` a query has at most one prediction; with it, ``rank`` is an integer >= 1,
  unique per query (rank 1 = the top prediction; R@n uses ranks <= n).
* durations (``--durations``): ``video_id<TAB>duration`` (seconds, > 0), optional header
  ``video_id<TAB>duration``.

Every malformed line is a ``FormatError`` naming file:line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import FormatError
from avtool.io import atomic_write

__all__ = [
    "GroundingInputs",
    "MomentPredictions",
    "MomentQuery",
    "match_grounding",
    "read_durations",
    "read_moment_predictions",
    "read_text_lines",
    "write_tsv",
]

PRED_COLUMNS = ("query_id", "video_id", "start", "end")


@dataclass(frozen=True)
class MomentQuery:
    """One sentence query with its ground-truth moment (seconds)."""

    query_id: str
    video_id: str
    start: float
    end: float
    sentence: str
    where: str
    """file:line (or file and video) the query comes from, for messages."""


def read_text_lines(path: str | Path) -> list[str]:
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise FormatError(f"{path}: file not found") from None
    except UnicodeDecodeError as err:
        raise FormatError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise FormatError(f"{path}: cannot read ({err.strerror})") from None


def _float(text: str, where: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FormatError(f"{where}: {what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise FormatError(f"{where}: {what} must be finite, got {text!r}")
    return value


def read_durations(path: str | Path) -> dict[str, float]:
    """``video_id<TAB>duration`` lines -> ``{video_id: seconds}``."""
    out: dict[str, float] = {}
    for lineno, raw in enumerate(read_text_lines(path), 1):
        if not raw.strip():
            continue
        fields = [f.strip() for f in raw.split("\t")]
        where = f"{path}:{lineno}"
        if len(fields) != 2:
            raise FormatError(f"{where}: expected 'video_id<TAB>duration', got {raw.strip()!r}")
        if not out and fields == ["video_id", "duration"]:
            continue
        seconds = _float(fields[1], where, "duration")
        if seconds <= 0:
            raise FormatError(f"{where}: duration must be positive, got {seconds}")
        if fields[0] in out:
            raise FormatError(f"{where}: video {fields[0]!r} listed twice")
        out[fields[0]] = seconds
    if not out:
        raise FormatError(f"{path}: no 'video_id<TAB>duration' line in the file")
    return out


@dataclass(frozen=True)
class MomentPredictions:
    """Prediction rows as columns; ``rank`` is None when the file has no rank column."""

    query_id: tuple[str, ...]
    video_id: tuple[str, ...]
    start: np.ndarray
    end: np.ndarray
    rank: np.ndarray | None
    line: np.ndarray
    path: str

    def __len__(self) -> int:
        return len(self.query_id)


def read_moment_predictions(path: str | Path) -> MomentPredictions:
    """Read a prediction TSV (module doc). An empty body is allowed (every query scores 0)."""
    lines = read_text_lines(path)
    first = next((i for i, raw in enumerate(lines) if raw.strip()), None)
    if first is None:
        raise FormatError(f"{path}: empty file; expected a header "
                          f"'{chr(9).join(PRED_COLUMNS)}[{chr(9)}rank]'")
    header = [h.strip() for h in lines[first].split("\t")]
    missing = [c for c in PRED_COLUMNS if c not in header]
    if missing or len(set(header)) != len(header):
        raise FormatError(f"{path}:{first + 1}: header must name the columns query_id, video_id, "
                          f"start, end (and optionally rank) once each; got {header}")
    col = {name: header.index(name) for name in (*PRED_COLUMNS, "rank") if name in header}
    qids: list[str] = []
    vids: list[str] = []
    starts: list[float] = []
    ends: list[float] = []
    ranks: list[int] = []
    linenos: list[int] = []
    for lineno in range(first + 2, len(lines) + 1):
        raw = lines[lineno - 1]
        if not raw.strip():
            continue
        where = f"{path}:{lineno}"
        fields = [f.strip() for f in raw.split("\t")]
        if len(fields) != len(header):
            raise FormatError(f"{where}: {len(fields)} fields, header has {len(header)}")
        start = _float(fields[col["start"]], where, "start")
        end = _float(fields[col["end"]], where, "end")
        if start > end:
            raise FormatError(f"{where}: start {start} is after end {end}")
        if "rank" in col:
            text = fields[col["rank"]]
            if not text.isdigit() or int(text) < 1:
                raise FormatError(f"{where}: rank must be an integer >= 1, got {text!r}")
            ranks.append(int(text))
        if not fields[col["query_id"]] or not fields[col["video_id"]]:
            raise FormatError(f"{where}: empty query_id or video_id")
        qids.append(fields[col["query_id"]])
        vids.append(fields[col["video_id"]])
        starts.append(start)
        ends.append(end)
        linenos.append(lineno)
    return MomentPredictions(
        tuple(qids), tuple(vids), np.asarray(starts, dtype=np.float64),
        np.asarray(ends, dtype=np.float64),
        np.asarray(ranks, dtype=np.int64) if "rank" in col else None,
        np.asarray(linenos, dtype=np.int64), str(path),
    )


@dataclass(frozen=True)
class GroundingInputs:
    """Arrays for ``avtool.metrics.temporal.grounding_metrics``, plus the query records."""

    queries: tuple[MomentQuery, ...]
    gt: np.ndarray
    duration: np.ndarray
    """Seconds per query; NaN where unknown (then only negative times are clipped)."""
    pred: np.ndarray
    pred_query: np.ndarray
    pred_rank: np.ndarray | None


def match_grounding(
    queries: Sequence[MomentQuery], preds: MomentPredictions,
    durations: Mapping[str, float] | None = None, *, durations_path: str | Path = "durations",
) -> GroundingInputs:
    """Index predictions by query, checking ids, videos and rank uniqueness (FormatError)."""
    index: dict[str, int] = {}
    for i, q in enumerate(queries):
        if q.query_id in index:
            raise FormatError(f"{q.where}: query id {q.query_id!r} repeats "
                              f"{queries[index[q.query_id]].where}")
        index[q.query_id] = i
    if durations is None:
        duration = np.full(len(queries), np.nan)
    else:
        absent = next((q for q in queries if q.video_id not in durations), None)
        if absent is not None:
            raise FormatError(f"{durations_path}: no duration for video {absent.video_id!r} "
                              f"(needed by {absent.where})")
        duration = np.array([durations[q.video_id] for q in queries], dtype=np.float64)
    pred_query = np.empty(len(preds), dtype=np.int64)
    seen: dict[tuple[int, int], int] = {}
    for k, (qid, vid) in enumerate(zip(preds.query_id, preds.video_id, strict=True)):
        where = f"{preds.path}:{int(preds.line[k])}"
        i = index.get(qid)
        if i is None:
            raise FormatError(f"{where}: query id {qid!r} is not in the ground truth")
        if vid != queries[i].video_id:
            raise FormatError(f"{where}: query {qid!r} belongs to video "
                              f"{queries[i].video_id!r}, not {vid!r}")
        key = (i, int(preds.rank[k]) if preds.rank is not None else 1)
        if key in seen:
            what = f"rank {key[1]} twice" if preds.rank is not None else (
                "two predictions (add a rank column for several)")
            raise FormatError(f"{where}: query {qid!r} has {what}; first on line {seen[key]}")
        seen[key] = int(preds.line[k])
        pred_query[k] = i
    gt = np.array([[q.start, q.end] for q in queries], dtype=np.float64).reshape(-1, 2)
    pred = np.stack([preds.start, preds.end], axis=1) if len(preds) else np.zeros((0, 2))
    return GroundingInputs(tuple(queries), gt, duration, pred, pred_query, preds.rank)


def write_tsv(path: str | Path, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Write a header and rows, tab-separated; the file appears only when complete."""
    with atomic_write(path) as fh:
        fh.write("\t".join(columns) + "\n")
        for row in rows:
            fh.write("\t".join(_cell(v) for v in row) + "\n")


def _cell(v: object) -> str:
    if isinstance(v, float | np.floating):
        return f"{float(v):.6g}"
    return str(v)
