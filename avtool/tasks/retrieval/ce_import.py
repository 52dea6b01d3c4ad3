"""Collaborative Experts' released expert features -> a store `avtool train retrieval` reads.

One store feature per CE expert file (`avtool.formats.ce_features`), named after the expert
with torch-safe characters (``imagenet.senet154.0`` -> ``imagenet_senet154_0``), extractor
``ce_import``, config ``{"type": "ce_import", "expert": ..., "file": <file name>, "untimed":
true, "temporal": "avg" | "vlad"}``: CE's rows carry no time, so retrieval gives them the
"unknown time" embedding (`avtool.tasks.retrieval.experts.is_timed`); ``temporal`` is CE's
aggregation (``avg`` for files of pooled vectors, ``vlad`` for files of rows: audio, speech,
OCR), which ``--model ce`` follows (`avtool.tasks.retrieval.ce.default_vlad_experts`). frame_rate is 1.0 (the store needs a positive
rate; it places nothing). A pooled ``(D,)`` vector is stored as one row; a video that lacks
the expert (CE's NaN, or absent from the file) gets zero rows: a missing expert.

One item per video id (meta ``{"split": ...}`` when split lists are given, duration 0: CE's
files give none; an item the store already holds keeps its source, duration and meta). Reruns import only the videos the store lacks; a video whose value is
malformed in any file is reported, not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import FormatError

log = logging.getLogger(__name__)

EXTRACTOR = "ce_import"


@dataclass
class CeImportReport:
    """What `import_ce_features` did: counts, splits, features and the failed videos."""

    store: str
    total: int
    imported: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (video, reason)
    splits: dict[str, int] = field(default_factory=dict)
    features: dict[str, dict[str, Any]] = field(default_factory=dict)
    unlisted: int = 0  # videos of the files in no split list (not imported)

    def to_dict(self) -> dict[str, Any]:
        return {"store": self.store, "videos": self.total, "imported": self.imported,
                "already_done": self.skipped, "unlisted": self.unlisted,
                "splits": dict(self.splits), "features": dict(self.features),
                "failed": [{"video": v, "reason": r} for v, r in self.failed]}


def _splits(lists: Sequence[str | Path]) -> dict[str, str]:
    """video id -> split, from the lists in order; a video in two lists is an error."""
    from avtool.formats.ce_features import read_split_list, split_of_list

    split_of: dict[str, str] = {}
    where: dict[str, Path] = {}
    for path in lists:
        path = Path(path)
        split = split_of_list(path)
        if not split:
            raise FormatError(f"{path}: cannot tell the split from the file name (name it "
                              "train_list*.txt, val_list*.txt or test_list*.txt)")
        for vid in read_split_list(path):
            if vid in split_of:
                raise FormatError(f"{path}: video {vid!r} is also in {where[vid]} "
                                  f"({split_of[vid]})")
            split_of[vid], where[vid] = split, path
    return split_of


def _files(root: str | Path | None, experts: Sequence[str], files: Sequence[str | Path]
           ) -> dict[str, tuple[str, Path]]:
    """store feature name -> (CE expert, its file), from the release folder and the explicit
    files."""
    from avtool.formats.ce_features import ce_expert_of, find_ce_experts, store_name

    if root is None and not files:
        raise FormatError("give a CE release folder (--root) or expert files (--file)")
    if root is None and experts:
        raise FormatError("--expert picks files of a release folder: give --root too")
    chosen: dict[str, tuple[str, Path]] = {}
    by_expert = (find_ce_experts(root, experts or None, require=not files)
                 if root is not None else {})
    named = list(by_expert.items())
    named += [(ce_expert_of(path), Path(path)) for path in files]
    for expert, path in named:
        name = store_name(expert)
        if name in chosen and chosen[name][1].resolve() != path.resolve():
            raise FormatError(f"{path}: expert {name!r} is also {chosen[name][1]}; import "
                              "them into separate stores")
        chosen[name] = (expert, path)
    return dict(sorted(chosen.items()))


def import_ce_features(
    out_store: str | Path,
    root: str | Path | None = None,
    experts: Sequence[str] = (),
    files: Sequence[str | Path] = (),
    split_lists: Sequence[str | Path] = (),
    strict: bool = False,
) -> CeImportReport:
    """Import CE's per-expert feature files into a feature store.

    Args:
        out_store: the store to create or extend (resumable: videos already there are
            skipped; an expert stored before from another file is an error, see `StoreWriter`).
        root: a CE release folder (``data/MSRVTT/structured-symlinks``): its known expert
            files (`CE_EXPERT_FILES`) are imported.
        experts: only these CE experts of `root` (``audio``, ``imagenet.senet154.0`` ...).
        files: more expert files, each named by `ce_expert_of`.
        split_lists: CE's ``train_list_jsfusion.txt``-style lists (or the MSR-VTT CSVs): only
            their videos are imported, each with its split (from the list's name).
        strict: raise the first malformed video (before anything is written) instead of
            reporting it.

    Returns:
        A `CeImportReport`; videos malformed in some file, or listed but in no file, are in
        ``failed`` (the others are committed).

    Raises:
        FormatError: an unreadable, refused (code-running) or malformed file, an unknown
            expert, a split list that names no split or repeats a video.
    """
    from avtool.formats.ce_features import read_ce_expert
    from avtool.store import FeatureInfo, ItemInfo, StoreWriter

    chosen = _files(root, experts, files)
    split_of = _splits(split_lists)  # lists first: a bad list fails before the big files load
    loaded = {name: read_ce_expert(path) for name, (_, path) in chosen.items()}
    infos = {name: FeatureInfo(name, EXTRACTOR, _config(chosen[name][0], e), 1.0, (e.dim,),
                               "float32")
             for name, e in loaded.items()}
    in_files = list(dict.fromkeys(v for e in loaded.values() for v in e.order))
    if split_lists:
        videos = list(split_of)
        known = set(videos)
        unlisted = sum(1 for v in in_files if v not in known)
    else:
        videos, unlisted = in_files, 0
    report = CeImportReport(str(out_store), len(videos), unlisted=unlisted)
    for name, e in loaded.items():
        report.features[name] = {"file": str(e.path), "dim": e.dim, "present": len(e.rows),
                                 "missing": len(e.missing), "aggregated": e.aggregated}
    for vid in videos:
        s = split_of.get(vid, "") or "none"
        report.splits[s] = report.splits.get(s, 0) + 1
    source = str(root) if root is not None else str(next(iter(chosen.values()))[1])
    with StoreWriter(out_store, infos) as writer:
        todo = writer.missing(videos)
        report.skipped = len(videos) - len(todo)
        rows: dict[str, dict[str, np.ndarray]] = {}
        for vid in todo:  # every video checked before any is written: --strict leaves nothing
            try:
                rows[vid] = _video_rows(vid, loaded)
            except FormatError as err:
                if strict:
                    raise
                report.failed.append((vid, str(err)))
        for vid, arrays in rows.items():
            meta = {"split": split_of[vid]} if split_lists else {}
            have = writer.item_info(vid)  # an item of the store's other features: kept as is
            info = (ItemInfo(vid, source, 0.0, meta) if have is None else
                    ItemInfo(vid, have.source, have.duration, {**meta, **have.meta}))
            writer.add(info, arrays)
            report.imported += 1
    if report.failed:
        log.warning("%d of %d videos failed", len(report.failed), len(videos))
    return report


def _config(expert: str, e) -> dict[str, Any]:
    """The recorded recipe: CE's temporal aggregation is ``avg`` for files of pooled vectors
    and ``vlad`` for files of rows (CE's audio, speech, OCR), which `--model ce` follows."""
    return {"type": EXTRACTOR, "expert": expert, "file": e.path.name, "untimed": True,
            "temporal": "avg" if e.aggregated else "vlad"}


def _video_rows(vid: str, loaded) -> dict[str, np.ndarray]:
    arrays = {}
    for name, e in loaded.items():
        if vid in e.bad:
            raise FormatError(e.bad[vid])
        arrays[name] = e.rows.get(vid, np.zeros((0, e.dim), np.float32))
    if not any(vid in e.rows or vid in e.missing for e in loaded.values()):
        raise FormatError(f"video {vid!r} is listed but in none of the expert files")
    return arrays
