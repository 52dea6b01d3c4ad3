"""MSR-VTT retrieval files: ``MSRVTT_data.json``, the 9k/7k train CSVs, the JSFusion 1k-A test
CSV.

* ``MSRVTT_data.json`` (Xu et al. 2016, as redistributed with CLIP4Clip/MMT):
  ``{"videos": [{"video_id": "video0", "category": 9, "url": ..., "start time": 137.72,
  "end time": 149.44, "split": "train", "id": 0}, ...], "sentences": [{"caption": "...",
  "video_id": "video0", "sen_id": 0}, ...]}``; other top-level keys (``info``) are ignored;
* ``MSRVTT_train.9k.csv`` / ``MSRVTT_train.7k.csv``: a ``video_id`` column (one video a row);
* ``MSRVTT_JSFUSION_test.csv`` (1k-A): columns ``key,vid_key,video_id,sentence`` with one
  caption per test video (``ret0,msr9770,video9770,a person is ...``).

Readers return typed records and raise `FormatError` naming the file and the problem;
writers go through `avtool.io.atomic_write`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from avtool.errors import FormatError

DATA_FILE = "MSRVTT_data.json"
TRAIN_9K = "MSRVTT_train.9k.csv"
TRAIN_7K = "MSRVTT_train.7k.csv"
JSFUSION_TEST = "MSRVTT_JSFUSION_test.csv"
JSFUSION_COLUMNS = ("key", "vid_key", "video_id", "sentence")


@dataclass(frozen=True)
class MsrvttVideo:
    video_id: str
    split: str = ""
    category: int = 0
    url: str = ""
    start: float = 0.0
    end: float = 0.0


@dataclass(frozen=True)
class MsrvttSentence:
    sen_id: int
    video_id: str
    caption: str


@dataclass(frozen=True)
class MsrvttData:
    videos: tuple[MsrvttVideo, ...]
    sentences: tuple[MsrvttSentence, ...]

    def captions_of(self) -> dict[str, list[MsrvttSentence]]:
        """Each video's sentences, in file order."""
        out: dict[str, list[MsrvttSentence]] = {v.video_id: [] for v in self.videos}
        for s in self.sentences:
            out.setdefault(s.video_id, []).append(s)
        return out


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file ({what})") from None
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not UTF-8 text ({what})") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_msrvtt_data(path: str | Path) -> MsrvttData:
    """``MSRVTT_data.json`` as videos and sentences (every sentence's video must be listed)."""
    path = Path(path)
    try:
        raw = json.loads(_read_text(path, DATA_FILE))
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("videos"), list) \
            or not isinstance(raw.get("sentences"), list):
        raise FormatError(f"{path}: expected an object with 'videos' and 'sentences' lists "
                          f"({DATA_FILE})")
    videos = []
    for i, v in enumerate(raw["videos"]):
        if not isinstance(v, dict) or not isinstance(v.get("video_id"), str) or not v["video_id"]:
            raise FormatError(f"{path}: videos[{i}] lacks a video_id string")
        try:
            videos.append(MsrvttVideo(v["video_id"], str(v.get("split", "")),
                                      int(v.get("category", 0)), str(v.get("url", "")),
                                      float(v.get("start time", 0.0)),
                                      float(v.get("end time", 0.0))))
        except (TypeError, ValueError):
            raise FormatError(f"{path}: videos[{i}] ({v['video_id']}) has a non-numeric "
                              "category or time") from None
    known = {v.video_id for v in videos}
    if len(known) != len(videos):
        raise FormatError(f"{path}: duplicate video_id in 'videos'")
    sentences = []
    for i, s in enumerate(raw["sentences"]):
        if not isinstance(s, dict) or not isinstance(s.get("caption"), str) \
                or not isinstance(s.get("video_id"), str):
            raise FormatError(f"{path}: sentences[{i}] needs 'caption' and 'video_id' strings")
        if s["video_id"] not in known:
            raise FormatError(f"{path}: sentences[{i}] names video {s['video_id']!r}, which is "
                              "not in 'videos'")
        try:
            sen_id = int(s.get("sen_id", i))
        except (TypeError, ValueError):
            raise FormatError(f"{path}: sentences[{i}] has a non-integer sen_id") from None
        sentences.append(MsrvttSentence(sen_id, s["video_id"], s["caption"]))
    return MsrvttData(tuple(videos), tuple(sentences))


def _csv_rows(path: Path, what: str, columns: Sequence[str]) -> list[dict[str, str]]:
    text = _read_text(path, what)
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise FormatError(f"{path}: missing column(s) {', '.join(missing)} ({what}: "
                          f"{','.join(columns)})")
    rows = []
    for n, row in enumerate(reader, 2):
        if None in row or any(v is None for v in row.values()):
            raise FormatError(f"{path}:{n}: expected {len(reader.fieldnames)} columns "
                              f"({','.join(reader.fieldnames)})")
        rows.append(row)
    return rows


def read_msrvtt_split(path: str | Path) -> list[str]:
    """The video ids of a train CSV (``MSRVTT_train.9k.csv``, ``.7k``), in order."""
    path = Path(path)
    rows = _csv_rows(path, "MSR-VTT split CSV", ("video_id",))
    ids = [r["video_id"].strip() for r in rows]
    if not ids or any(not i for i in ids):
        raise FormatError(f"{path}: an empty video_id (or no rows)")
    return ids


@dataclass(frozen=True)
class JsfusionQuery:
    key: str
    vid_key: str
    video_id: str
    sentence: str


def read_jsfusion_test(path: str | Path) -> list[JsfusionQuery]:
    """The 1k-A test CSV: one (key, vid_key, video_id, sentence) per test video."""
    path = Path(path)
    rows = _csv_rows(path, "JSFusion 1k-A test CSV", JSFUSION_COLUMNS)
    out = [JsfusionQuery(*(r[c].strip() if c != "sentence" else r[c] for c in JSFUSION_COLUMNS))
           for r in rows]
    if not out:
        raise FormatError(f"{path}: no test rows")
    return out


def write_msrvtt_data(path: str | Path, videos: Sequence[MsrvttVideo],
                      sentences: Sequence[MsrvttSentence]) -> Path:
    from avtool.io import atomic_write

    data = {"info": {"description": "avtool synthetic retrieval corpus (MSR-VTT layout)"},
            "videos": [{"category": v.category, "url": v.url, "video_id": v.video_id,
                        "start time": v.start, "end time": v.end, "split": v.split,
                        "id": i} for i, v in enumerate(videos)],
            "sentences": [{"caption": s.caption, "video_id": s.video_id, "sen_id": s.sen_id}
                          for s in sentences]}
    with atomic_write(path) as fh:
        json.dump(data, fh, indent=0)
    return Path(path)


def write_msrvtt_split(path: str | Path, video_ids: Sequence[str]) -> Path:
    from avtool.io import atomic_write

    with atomic_write(path, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["video_id"])
        writer.writerows([v] for v in video_ids)
    return Path(path)


def write_jsfusion_test(path: str | Path, queries: Sequence[JsfusionQuery]) -> Path:
    from avtool.io import atomic_write

    with atomic_write(path, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(JSFUSION_COLUMNS)
        writer.writerows([q.key, q.vid_key, q.video_id, q.sentence] for q in queries)
    return Path(path)
