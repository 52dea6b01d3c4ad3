"""LLP clip stores: the contract between LLP features and the AVVP models (HAN & co.).

Store contract (an ordinary avtool feature store, see `avtool.store`)
-----------------------------------------------------------------------
* **One item per 10-s clip.** Item id = the LLP clip name (the ``filename`` column of the
  ``AVVP_*.csv`` files), e.g. ``-0A9suni5YA_0_10``; the video id is its first 11 characters
  (ids may contain ``_`` and ``-``: never split on ``_``; `avtool.formats.llp.llp_video_id`).
* **Item meta** (JSON object)::

      {"split": "train" | "val" | "test", "labels": [weak class names], ...}

  ``labels`` are the clip's weak (video-level) labels, LLP class names
  (`avtool.formats.llp.LLP_CLASSES`). Stores written by `import_llp_features` hold a JSON list;
  stores written by ``avtool extract-features --manifest clips.csv`` hold the manifest's
  comma-joined string (``"Dog,Speech"``). Always read them with `item_labels(meta)`, which
  returns a tuple for either form (empty when absent). ``split`` may be missing for user clips
  that came without one (`item_split(meta)` returns ``""``). Other keys may be present
  (``video_id``, ``path``...) and are to be ignored.
* **Dense (per-second, per-modality) labels are not in the store**: they stay in the LLP files
  ``AVVP_eval_audio.csv`` / ``AVVP_eval_visual.csv`` (rows keyed by the same clip name); read
  them with `avtool.formats.llp.read_llp_events` + `events_to_masks`. ``avtool synth avvp`` writes
  them next to its clips; `llp_label_files(dir)` finds the five LLP files in a folder.
* **Three features**, float32, time first, on the LLP 1-s grid (T = 10 segments):

  ==============  =========  ===========  ===================================================
  name            rows       frame_rate   real LLP / avtool substitute (dim)
  ==============  =========  ===========  ===================================================
  ``llp_audio``   10         1.0          VGGish embedding (128) / log-mel mean+std (128)
  ``llp_frame``   80         8.0          ResNet-152 pool (2048) / colour + layout (512)
  ``llp_motion``  10         1.0          R(2+1)D-18 pool (512) / optical flow stats (256)
  ==============  =========  ===========  ===================================================

  Row k of a feature at ``frame_rate`` r covers seconds [k/r, (k+1)/r) of the clip, so rows
  ``8t .. 8t+7`` of ``llp_frame`` belong to segment t. **Models read the dimension from
  ``store.features[name].frame_shape[0]``** (it differs between real and substitute
  features) and the number of rows per segment from ``frame_rate`` (rows = 10 x frame_rate).
  ``import llp --pool-frames`` stores ``llp_frame`` pre-averaged over each second
  (10 rows, frame_rate 1.0); for HAN, whose first 2-D layer is linear, this gives the same
  outputs as averaging inside the model, so a model must accept ``llp_frame`` at 8 or 1 rows
  per second (``x.reshape(10, rows_per_s, D).mean(1)``).
* ``FeatureInfo.extractor`` is ``llp_audio`` / ``llp_frame`` / ``llp_motion`` for features
  extracted by avtool (hand-crafted, or a user's ONNX network given as ``model=PATH``, whose
  sha256 is the feature's ``model_checksum``), so `avtool.features.extractor_from_info`
  re-extracts the same features from a new video; it is ``llp_import`` for imported real
  features (config names the stream and network), which avtool cannot recompute (no
  pretrained weights ship with it).
* Stores made by ``extract-features`` keep items in the order they were committed (new items
  sorted by id), not in CSV order: order clips by the LLP files when the order matters.

Importing real LLP features
---------------------------
`import_llp_features(feature_root, csv_files, out_store)` reads the weak-label files
(``AVVP_train.csv``, ``AVVP_val_pd.csv``, ``AVVP_test_pd.csv``; split from the file name) and, per
clip, ``<root>/vggish/<vid>.npy`` (10, 128), ``<root>/res152/<vid>.npy`` (80, 2048) and
``<root>/r2plus1d_18/<vid>.npy`` (10, 512), looked up by the 11-character video id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import AvtoolError, FormatError
from avtool.formats.llp import (
    LLP_CLASSES,
    LLP_FEATURE_SHAPES,
    N_SEGMENTS,
    llp_video_id,
    parse_clip_name,
    read_llp_weak,
)

log = logging.getLogger(__name__)

__all__ = [
    "FEATURE_NAMES",
    "LLP_FILES",
    "ImportReport",
    "import_llp_features",
    "item_labels",
    "item_split",
    "llp_label_files",
    "split_of_file",
]

#: Store feature names, in the order audio, 2-D frames, 3-D motion.
FEATURE_NAMES: tuple[str, ...] = ("llp_audio", "llp_frame", "llp_motion")

#: Released LLP feature directory -> (store feature name, network that made it, rows per second).
_STREAMS: dict[str, tuple[str, str, float]] = {
    "vggish": ("llp_audio", "VGGish (AudioSet), 0.96-s examples", 1.0),
    "res152": ("llp_frame", "ResNet-152 (ImageNet) global pool, 224x224 frames", 8.0),
    "r2plus1d_18": ("llp_motion", "R(2+1)D-18 (Kinetics-400) pool, 8-frame 112x112 clips", 1.0),
}

#: The LLP label files, by role.
LLP_FILES: dict[str, str] = {
    "train": "AVVP_train.csv",
    "val": "AVVP_val_pd.csv",
    "test": "AVVP_test_pd.csv",
    "eval_audio": "AVVP_eval_audio.csv",
    "eval_visual": "AVVP_eval_visual.csv",
}


def item_labels(meta: Mapping[str, Any]) -> tuple[str, ...]:
    """The weak labels of a store item: a list or a comma-joined string -> tuple of names."""
    value = meta.get("labels", ())
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    return tuple(str(s) for s in value)


def item_split(meta: Mapping[str, Any]) -> str:
    """The split of a store item (``train``/``val``/``test``), ``""`` when not recorded."""
    return str(meta.get("split") or "")


def split_of_file(path: str | Path) -> str:
    """Split named by a weak-label file: ``AVVP_train.csv`` -> train, ``*_val_pd`` -> val,
    ``*_test_pd`` -> test; ``""`` when the name says none (e.g. ``AVVP_dataset_full.csv``)."""
    words = set(re.split(r"[^a-z0-9]+", Path(path).stem.lower()))
    found = [s for s in ("train", "val", "test") if s in words]
    return found[0] if len(found) == 1 else ""


def llp_label_files(folder: str | Path) -> dict[str, Path]:
    """The LLP label files present in `folder`, by role (see `LLP_FILES`)."""
    folder = Path(folder)
    return {role: folder / name for role, name in LLP_FILES.items() if (folder / name).is_file()}


@dataclass
class ImportReport:
    """What `import_llp_features` did: counts, per-split counts and the failed clips."""

    store: str
    total: int
    imported: int
    skipped: int
    failed: list[tuple[str, str]] = field(default_factory=list)  # (clip, reason)
    splits: dict[str, int] = field(default_factory=dict)
    features: dict[str, list[int]] = field(default_factory=dict)  # name -> frame shape (rows, D)

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store, "clips": self.total, "imported": self.imported,
            "already_done": self.skipped, "splits": dict(self.splits),
            "features": dict(self.features),
            "failed": [{"clip": c, "reason": r} for c, r in self.failed],
        }


def _import_infos(pool_frames: bool) -> dict[str, Any]:
    from avtool.store import FeatureInfo

    infos = {}
    for stream, (name, network, rate) in _STREAMS.items():
        rows, dim = LLP_FEATURE_SHAPES[stream]
        pooled = pool_frames and stream == "res152"
        config = {"type": "llp_import", "stream": stream, "network": network,
                  "pooled_per_second": pooled}
        infos[name] = FeatureInfo(name, "llp_import", config, 1.0 if pooled else rate, (dim,),
                                  "float32")
    return infos


def _read_clips(csv_files: Sequence[str | Path], classes: Sequence[str] | None
                ) -> list[tuple[str, dict[str, Any]]]:
    """(clip, meta) for every row of the weak-label files; checks ids and collisions."""
    clips: list[tuple[str, dict[str, Any]]] = []
    first: dict[str, str] = {}  # clip -> "file:line"
    by_video: dict[str, str] = {}  # video id -> clip
    for path in csv_files:
        split = split_of_file(path)
        for row in read_llp_weak(path, classes):
            where = f"{path}:{row.line}"
            if row.filename in first:
                raise FormatError(f"{where}: clip {row.filename!r} already listed at "
                                  f"{first[row.filename]}")
            try:
                vid, start, end = parse_clip_name(row.filename)
            except FormatError as err:
                raise FormatError(f"{where}: {err}") from None
            other = by_video.get(vid)
            if other is not None:
                raise FormatError(
                    f"{where}: clips {other!r} and {row.filename!r} share the video id {vid!r}; "
                    "LLP features are keyed by video id, so both would get the same features"
                )
            first[row.filename] = where
            by_video[vid] = row.filename
            meta = {"split": split, "labels": list(row.labels), "video_id": vid,
                    "clip_start": start, "clip_end": end}
            clips.append((row.filename, meta))
    return clips


def _load_clip(root: Path, clip: str, pool_frames: bool) -> dict[str, np.ndarray]:
    from avtool.formats.llp import load_llp_features

    arrays = load_llp_features(root, clip, tuple(_STREAMS), LLP_FEATURE_SHAPES)
    out = {}
    for stream, arr in arrays.items():
        arr = np.asarray(arr, dtype=np.float32)
        if not np.isfinite(arr).all():
            raise FormatError(f"{root / stream / (llp_video_id(clip) + '.npy')}: NaN or inf "
                              "values")
        if pool_frames and stream == "res152":
            arr = arr.reshape(N_SEGMENTS, -1, arr.shape[1]).mean(axis=1)
        out[_STREAMS[stream][0]] = arr
    return out


def import_llp_features(
    feature_root: str | Path,
    csv_files: Sequence[str | Path],
    out_store: str | Path,
    pool_frames: bool = False,
    strict: bool = False,
    classes: Sequence[str] | None = LLP_CLASSES,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import released LLP per-clip features and weak labels into a feature store.

    Args:
        feature_root: folder with ``vggish/``, ``res152/`` and ``r2plus1d_18/``, each holding
            ``<11-char video id>.npy`` (shapes 10x128, 80x2048, 10x512; any float dtype,
            stored as float32).
        csv_files: weak-label files; each row becomes one item (id = clip name, meta split
            from the file name via `split_of_file`, labels = the row's classes).
        out_store: the store to create or extend (resumable: clips already there are
            skipped; the feature recipe must match, see `StoreWriter`).
        pool_frames: store ``llp_frame`` averaged over each second (10 x 2048 at 1 fps, 8x
            smaller; exact for models whose first 2-D layer is linear, such as HAN).
        strict: raise the first clip error instead of collecting it in the report.
        classes: allowed class names (``None``: any).
        progress: called with (done, total) after each clip.

    Returns:
        An `ImportReport`; clips whose features are missing, unreadable, wrongly shaped or
        not finite are listed in ``failed`` (the others are committed).

    Raises:
        FormatError: a malformed label file, a clip listed twice, a clip name that is not
            ``<id>_<start>_<end>``, two clips sharing a video id, or ``feature_root`` missing.
    """
    from avtool.store import ItemInfo, StoreWriter

    root = Path(feature_root)
    if not root.is_dir():
        raise FormatError(f"{root}: no such feature folder (expected vggish/, res152/, "
                          "r2plus1d_18/ inside)")
    missing_dirs = [s for s in _STREAMS if not (root / s).is_dir()]
    if missing_dirs:
        raise FormatError(f"{root}: missing feature folder(s) {', '.join(missing_dirs)}")
    if not csv_files:
        raise FormatError("give at least one weak-label file (AVVP_train.csv ...)")
    clips = _read_clips(csv_files, classes)
    infos = _import_infos(pool_frames)
    report = ImportReport(str(out_store), len(clips), 0, 0,
                          features={n: [10 if i.frame_rate == 1 else 80, i.frame_shape[0]]
                                    for n, i in infos.items()})
    for _, meta in clips:
        report.splits[meta["split"] or "none"] = report.splits.get(meta["split"] or "none", 0) + 1
    with StoreWriter(out_store, infos) as writer:
        todo = writer.missing(c for c, _ in clips)
        todo_set = set(todo)
        report.skipped = len(clips) - len(todo)
        done = 0
        for clip, meta in clips:
            if clip not in todo_set:
                continue
            try:
                arrays = _load_clip(root, clip, pool_frames)
            except AvtoolError as err:
                if strict:
                    raise
                report.failed.append((clip, str(err)))
            else:
                duration = float(meta["clip_end"] - meta["clip_start"])
                source = str(root / "vggish" / f"{meta['video_id']}.npy")
                writer.add(ItemInfo(clip, source, duration, meta), arrays)
                report.imported += 1
            done += 1
            if progress:
                progress(done, len(todo))
    if report.failed:
        log.warning("%d of %d clips failed", len(report.failed), len(clips))
    return report
