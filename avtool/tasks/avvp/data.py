"""LLP clips in memory for the AVVP tasks: features from a store, weak and dense labels.

A `ClipSet` holds, for N clips, the three store features of the LLP store contract
(`avtool.tasks.avvp.llp_store`): ``llp_audio`` (N, T, Da), ``llp_frame`` averaged per second
(N, T, Df) (exact for HAN and its variants, whose first 2-D layer is linear; 8x less memory)
and ``llp_motion`` (N, T, Dm), plus the weak labels (N, C) as 0/1.

Which clips and which weak labels (`load_clips`):

* ``labels_csv`` given (``AVVP_train.csv`` format): exactly its clips, in file order, with its
  labels; every clip must be in the store.
* otherwise the store's items whose meta ``split`` equals `split` (all items when `split` is
  empty, or when no item of the store records a split), with the labels of their meta
  (`avtool.tasks.avvp.llp_store.item_labels`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import ConfigError, FormatError, StoreError
from avtool.formats.llp import (
    LLP_CLASSES,
    N_SEGMENTS,
    events_to_masks,
    read_llp_events,
    read_llp_weak,
)
from avtool.tasks.avvp.llp_store import FEATURE_NAMES, item_labels, item_split
from avtool.tasks.avvp.options import AvvpOptions

__all__ = ["ClipSet", "DenseTruth", "feature_infos", "load_clips", "load_dense_truth"]


@dataclass
class ClipSet:
    ids: list[str]
    audio: np.ndarray  # (N, T, Da) float32
    frame: np.ndarray  # (N, T, Df) float32, per-second means
    motion: np.ndarray  # (N, T, Dm) float32
    labels: np.ndarray  # (N, C) float32 0/1 weak labels

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dims(self) -> tuple[int, int, int]:
        return self.audio.shape[-1], self.frame.shape[-1], self.motion.shape[-1]

    def subset(self, index: Sequence[int]) -> ClipSet:
        idx = np.asarray(index, dtype=np.int64)
        return ClipSet([self.ids[i] for i in idx], self.audio[idx], self.frame[idx],
                       self.motion[idx], self.labels[idx])


@dataclass
class DenseTruth:
    """Dense per-second masks (N, C, T) of the clips of a `ClipSet`, in its order."""

    audio: np.ndarray
    visual: np.ndarray
    source: str = ""


def feature_infos(store) -> dict[str, dict[str, Any]]:
    """The three LLP features' provenance as plain data (kept in checkpoints)."""
    out = {}
    for name in FEATURE_NAMES:
        info = store.feature_info(name)
        out[name] = {"extractor": info.extractor, "config": dict(info.config),
                     "frame_rate": float(info.frame_rate),
                     "frame_shape": [int(x) for x in info.frame_shape], "dtype": info.dtype,
                     "model_checksum": info.model_checksum}
    return out


def _check_store(store, segments: int) -> None:
    missing = [n for n in FEATURE_NAMES if n not in store.features]
    if missing:
        have = ", ".join(store.features) or "none"
        raise StoreError(f"{store.path}: lacks LLP feature(s) {', '.join(missing)} (has: {have});"
                         " extract them with --feature llp_audio --feature llp_frame --feature "
                         "llp_motion or `avtool import llp`")
    for name in FEATURE_NAMES:
        info = store.features[name]
        rows = info.frame_rate * segments
        if len(info.frame_shape) != 1 or rows != int(rows) or rows < segments:
            raise StoreError(f"{store.path}: feature {name} has frame rate {info.frame_rate} and "
                             f"frame shape {info.frame_shape}; expected vectors at 1 or more "
                             "rows per second")


def _read(store, name: str, ids: list[str], segments: int) -> np.ndarray:
    info = store.features[name]
    rows = int(round(info.frame_rate * segments))
    dim = int(info.frame_shape[0])
    out = np.empty((len(ids), segments, dim), dtype=np.float32)
    pos = 0
    for got_ids, arrays in store.batches(name, 256, ids):
        for item, arr in zip(got_ids, arrays, strict=True):
            if arr.shape != (rows, dim):
                raise StoreError(f"{store.path}: item {item!r} feature {name} has shape "
                                 f"{arr.shape}, expected ({rows}, {dim}) for a "
                                 f"{segments}-s LLP clip")
            arr = np.asarray(arr, dtype=np.float32)
            out[pos] = arr.reshape(segments, rows // segments, dim).mean(axis=1)
            pos += 1
    if pos != len(ids):
        lacking = [i for i in ids if not store.has(i, name)]
        raise StoreError(f"{store.path}: {len(lacking)} clip(s) lack feature {name} "
                         f"(first: {lacking[0]!r})")
    return out


def load_clips(
    store_path: str | Path,
    split: str = "",
    labels_csv: str | Path | None = None,
    ids: Sequence[str] | None = None,
    classes: Sequence[str] = LLP_CLASSES,
    segments: int = N_SEGMENTS,
    ids_from: str | Path | None = None,
) -> tuple[ClipSet, dict[str, dict[str, Any]]]:
    """Load clips (see the module docstring) -> (ClipSet, feature provenance).

    `ids` (explicit clip names, e.g. from a val list, the file `ids_from`) overrides `split`;
    with `labels_csv` the labels come from the file.

    Raises:
        StoreError: not a store, LLP features missing or misshapen, listed clips absent.
        FormatError: a malformed label file or an unknown class in the store's labels.
        ConfigError: no clip selected.
    """
    from avtool.store import open_store

    store = open_store(store_path)
    try:
        _check_store(store, segments)
        cls_index = {c: i for i, c in enumerate(classes)}
        items = {it.id: it for it in store.items()}
        label_rows: dict[str, tuple[str, ...]] = {}
        if labels_csv is not None:
            rows = read_llp_weak(labels_csv, classes)
            chosen = [r.filename for r in rows]
            label_rows = {r.filename: r.labels for r in rows}
            absent = [c for c in chosen if c not in items]
            if absent:
                raise StoreError(f"{store_path}: {len(absent)} clip(s) of {labels_csv} are not "
                                 f"in the store (first: {absent[0]!r})")
        elif ids is not None:
            chosen = list(ids)
            absent = [c for c in chosen if c not in items]
            if absent and ids_from is not None:
                raise StoreError(f"{ids_from}: {len(absent)} clip(s) are not in the store "
                                 f"{store_path} (first: {absent[0]!r})")
            if absent:
                raise StoreError(f"{store_path}: {len(absent)} listed clip(s) are not in the "
                                 f"store (first: {absent[0]!r})")
        else:
            any_split = any(item_split(it.meta) for it in items.values())
            chosen = [i for i, it in items.items()
                      if not split or not any_split or item_split(it.meta) == split]
        if not chosen:
            where = f" with split {split!r}" if split else ""
            raise ConfigError(f"{store_path}: no clip{where} to use")
        labels = np.zeros((len(chosen), len(classes)), dtype=np.float32)
        for n, clip in enumerate(chosen):
            names = label_rows[clip] if clip in label_rows else item_labels(items[clip].meta)
            for name in names:
                if name not in cls_index:
                    raise FormatError(f"{store_path}: item {clip!r} has unknown class {name!r} "
                                      "in its meta labels")
                labels[n, cls_index[name]] = 1.0
        arrays = [_read(store, name, chosen, segments) for name in FEATURE_NAMES]
        return ClipSet(chosen, *arrays, labels), feature_infos(store)
    finally:
        store.close()


def load_dense_truth(clips: Sequence[str], gt_audio: str | Path, gt_visual: str | Path,
                     classes: Sequence[str] = LLP_CLASSES, segments: int = N_SEGMENTS
                     ) -> DenseTruth:
    """Masks of the dense annotation files for `clips` (official mask semantics)."""
    masks = []
    for path in (gt_audio, gt_visual):
        if not Path(path).is_file():
            raise FormatError(f"{path}: no such annotation file")
        masks.append(events_to_masks(read_llp_events(path, classes), list(clips), classes,
                                     segments, source=path))
    return DenseTruth(masks[0], masks[1], f"{gt_audio}+{gt_visual}")


def read_clip_list(path: str | Path) -> list[str]:
    """The clip names of a weak-label file, in file order (labels are not needed)."""
    return [r.filename for r in read_llp_weak(path, None)]


def load_validation(options: AvvpOptions, store: str | Path, train_ids: Sequence[str],
                    classes: Sequence[str] = LLP_CLASSES
                    ) -> tuple[ClipSet, DenseTruth] | None:
    """The validation clips and their dense truth of `avtool train avvp` options, or None.

    Dense labels: ``val_gt_audio`` / ``val_gt_visual``, else ``AVVP_eval_audio.csv`` /
    ``AVVP_eval_visual.csv`` in ``val_labels_dir``. Clips: ``val_clips``, else
    ``AVVP_val_pd.csv`` in ``val_labels_dir``, else the items of split ``val`` (all items of a
    ``val_store`` that records no split). Features: ``val_store``, else the training store.
    """
    from avtool.tasks.avvp.llp_store import llp_label_files

    labels_dir = options.val_labels_dir
    files: dict[str, Path] = {}
    if labels_dir is not None:
        if not Path(labels_dir).is_dir():
            raise ConfigError(f"--val-labels-dir {labels_dir}: no such folder")
        files = llp_label_files(labels_dir)
    clips_csv = options.val_clips or files.get("val")
    gt_a = options.val_gt_audio or files.get("eval_audio")
    gt_v = options.val_gt_visual or files.get("eval_visual")
    val_store = options.val_store or store
    if gt_a is None and gt_v is None:
        if options.val_store or options.val_clips or labels_dir is not None:
            where = f" ({labels_dir} has no AVVP_eval_audio.csv / AVVP_eval_visual.csv)" \
                if labels_dir is not None else ""
            raise ConfigError("validation needs dense labels: give --val-labels-dir DIR or "
                              f"--val-gt-audio and --val-gt-visual{where}")
        return None
    if gt_a is None or gt_v is None:
        raise ConfigError("give both --val-gt-audio and --val-gt-visual (or --val-labels-dir)")
    if clips_csv is not None:
        clips, _ = load_clips(val_store, ids=read_clip_list(clips_csv), classes=classes)
    else:
        clips, _ = load_clips(val_store, split="val", classes=classes)
    if set(clips.ids) == set(train_ids):
        raise ConfigError(f"{val_store}: the validation clips are the training clips (the store "
                          "records no split): give --val-clips AVVP_val_pd.csv")
    overlap = len(set(clips.ids) & set(train_ids))
    if overlap:
        import logging

        logging.getLogger(__name__).warning("%d validation clip(s) are also training clips",
                                            overlap)
    return clips, load_dense_truth(clips.ids, gt_a, gt_v, classes)
