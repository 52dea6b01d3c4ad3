"""LLP ("Look, Listen and Parse", AVVP) file formats: labels, dense events, per-clip features.

Formats (all tab-separated, UTF-8, one header line; blank lines are skipped):

* weak labels, ``AVVP_train.csv`` / ``AVVP_val_pd.csv`` / ``AVVP_test_pd.csv``::

      filename<TAB>event_labels
      KSRjje7GH44_60_70<TAB>Blender,Speech

* dense events, ``AVVP_eval_audio.csv`` / ``AVVP_eval_visual.csv`` (and avtool's prediction
  TSVs, same format)::

      filename<TAB>onset<TAB>offset<TAB>event_labels
      KSRjje7GH44_60_70<TAB>8<TAB>10<TAB>Blender

  One class per row; ``onset``/``offset`` in seconds from the clip start, offset exclusive.

A clip name is ``<11-character YouTube id>_<start>_<end>``; ids may contain ``_`` and ``-`` and
times may be fractional (``AP0061o0Nvk_101.8_111.8``), so the id is the first 11 characters,
never a split on ``_``. Features are ``<root>/<stream>/<id>.npy``.

Dense rows are turned into per-second masks exactly as the official LLP scorer does:
``mask[class, int(onset):int(offset)] = True`` (Python slice semantics), so zero-length and
reversed rows set nothing, offsets past the grid are clipped, and adjacent or overlapping rows of
one class merge into one event. Negative or non-finite times are rejected on read (the
official code would give a negative onset Python's wrap-around meaning).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import FormatError
from avtool.io import atomic_write, read_text

__all__ = [
    "LLP_CLASSES",
    "LLP_FEATURE_SHAPES",
    "N_SEGMENTS",
    "DenseEvent",
    "WeakLabel",
    "dense_to_events",
    "events_to_masks",
    "llp_video_id",
    "load_llp_features",
    "parse_clip_name",
    "read_llp_events",
    "read_llp_weak",
    "write_llp_events",
    "write_llp_weak",
]

#: The 25 LLP classes in model-output index order (exact CSV spellings).
LLP_CLASSES: tuple[str, ...] = (
    "Speech", "Car", "Cheering", "Dog", "Cat", "Frying_(food)", "Basketball_bounce",
    "Fire_alarm", "Chainsaw", "Cello", "Banjo", "Singing", "Chicken_rooster", "Violin_fiddle",
    "Vacuum_cleaner", "Baby_laughter", "Accordion", "Lawn_mower", "Motorcycle", "Helicopter",
    "Acoustic_guitar", "Telephone_bell_ringing", "Baby_cry_infant_cry", "Blender", "Clapping",
)

#: LLP clips are 10 s, scored on 10 one-second segments.
N_SEGMENTS = 10

#: Per-clip feature arrays of the released LLP features: stream directory -> shape.
LLP_FEATURE_SHAPES: dict[str, tuple[int, int]] = {
    "vggish": (10, 128),
    "res152": (80, 2048),
    "r2plus1d_18": (10, 512),
}

_WEAK_COLUMNS = ("filename", "event_labels")
_DENSE_COLUMNS = ("filename", "onset", "offset", "event_labels")
_ID_LEN = 11


@dataclass(frozen=True)
class WeakLabel:
    """One row of a weak-label file: the clip and its video-level classes (file order kept)."""

    filename: str
    labels: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True)
class DenseEvent:
    """One row of a dense event file. `onset`/`offset` are the numbers as written (seconds)."""

    filename: str
    onset: float
    offset: float
    label: str
    line: int = 0


def llp_video_id(filename: str) -> str:
    """The YouTube id of a clip: its first 11 characters (ids may contain `_` and `-`)."""
    if len(filename) < _ID_LEN:
        raise FormatError(f"clip name {filename!r} is shorter than an 11-character video id")
    return filename[:_ID_LEN]


def parse_clip_name(filename: str) -> tuple[str, float, float]:
    """Split ``<id>_<start>_<end>`` into (id, start s, end s); times may be fractional."""
    vid = llp_video_id(filename)
    rest = filename[_ID_LEN:]
    parts = rest.split("_")
    try:
        if len(parts) != 3 or parts[0] != "":
            raise ValueError
        start, end = float(parts[1]), float(parts[2])
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError
    except ValueError:
        raise FormatError(
            f"clip name {filename!r} is not <11-char id>_<start>_<end>"
        ) from None
    return vid, start, end


def _rows(path: str | Path, columns: Sequence[str]) -> Iterable[tuple[int, dict[str, str]]]:
    """Yield (line number, {column: stripped field}) for each non-blank data line."""
    path = Path(path)
    lines = read_text(path).splitlines()
    head_no = next((i for i, line in enumerate(lines) if line.strip()), None)
    if head_no is None:
        raise FormatError(f"{path}: empty file (expected a header {chr(9).join(columns)!r})")
    header = [h.strip() for h in lines[head_no].split("\t")]
    missing = [c for c in columns if c not in header]
    if missing:
        raise FormatError(
            f"{path}:{head_no + 1}: header {header} lacks column(s) {missing}; expected the "
            f"tab-separated columns {list(columns)}"
        )
    index = {c: header.index(c) for c in columns}
    for no, line in enumerate(lines[head_no + 1:], start=head_no + 2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            raise FormatError(
                f"{path}:{no}: {len(fields)} tab-separated field(s), the header has "
                f"{len(header)} ({chr(9).join(header)!r})"
            )
        yield no, {c: fields[i].strip() for c, i in index.items()}


def _check_class(path: Path, no: int, label: str, classes: Sequence[str] | None) -> None:
    if not label:
        raise FormatError(f"{path}:{no}: empty class name")
    if classes is not None and label not in classes:
        raise FormatError(f"{path}:{no}: unknown class {label!r} (not one of the LLP classes)")


def read_llp_weak(
    path: str | Path, classes: Sequence[str] | None = LLP_CLASSES
) -> list[WeakLabel]:
    """Read a weak-label file (``AVVP_train.csv``, ``AVVP_val_pd.csv``, ``AVVP_test_pd.csv``).

    Args:
        path: the tab-separated file with columns ``filename`` and ``event_labels``.
        classes: allowed class names (``None`` accepts any non-empty name).

    Returns:
        The rows in file order. An empty ``event_labels`` field gives an empty tuple; duplicate
        clips are kept (the official evaluation would score them twice).

    Raises:
        FormatError: missing file, bad header, wrong field count, empty filename or unknown
            class; the message names ``file:line``.
    """
    path = Path(path)
    out: list[WeakLabel] = []
    for no, row in _rows(path, _WEAK_COLUMNS):
        if not row["filename"]:
            raise FormatError(f"{path}:{no}: empty filename")
        labels = tuple(s.strip() for s in row["event_labels"].split(",")) if row[
            "event_labels"] else ()
        for label in labels:
            _check_class(path, no, label, classes)
        out.append(WeakLabel(row["filename"], labels, no))
    return out


def _seconds(path: Path, no: int, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FormatError(f"{path}:{no}: {name} {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise FormatError(f"{path}:{no}: {name} {text!r} must be a finite time >= 0")
    return value


def read_llp_events(
    path: str | Path, classes: Sequence[str] | None = LLP_CLASSES
) -> list[DenseEvent]:
    """Read a dense event file (``AVVP_eval_audio.csv``, ``AVVP_eval_visual.csv``, predictions).

    Rows are kept as written: zero-length (``9 9``) and reversed (``9 0``) rows, duplicates and
    filenames that are not clip names (the pre-2024 audio file has two rows whose filename is a
    class name) are all accepted; `events_to_masks` gives them the official meaning.

    Raises:
        FormatError: missing file, bad header, wrong field count, empty filename, a time that is
            not a finite number >= 0, or an unknown class; the message names ``file:line``.
    """
    path = Path(path)
    out: list[DenseEvent] = []
    for no, row in _rows(path, _DENSE_COLUMNS):
        if not row["filename"]:
            raise FormatError(f"{path}:{no}: empty filename")
        onset = _seconds(path, no, "onset", row["onset"])
        offset = _seconds(path, no, "offset", row["offset"])
        _check_class(path, no, row["event_labels"], classes)
        out.append(DenseEvent(row["filename"], onset, offset, row["event_labels"], no))
    return out


def events_to_masks(
    events: Sequence[DenseEvent],
    clips: Sequence[str],
    classes: Sequence[str] = LLP_CLASSES,
    n_segments: int = N_SEGMENTS,
    source: str | Path = "",
) -> np.ndarray:
    """Per-second boolean masks (len(clips), len(classes), n_segments) from dense rows.

    Each row sets ``mask[clip, class, int(onset):int(offset)]`` (``int`` truncates, as the
    official scorer's ``int()`` of the pandas value does). Rows of clips not in `clips` are
    ignored (orphan rows are never evaluated); a clip listed twice gets the same mask twice.

    Raises:
        FormatError: a row's class is not in `classes` (names `source` and the row's line).
    """
    cls_index = {c: i for i, c in enumerate(classes)}
    clip_rows: dict[str, list[int]] = {}
    for i, clip in enumerate(clips):
        clip_rows.setdefault(clip, []).append(i)
    masks = np.zeros((len(clips), len(classes), n_segments), dtype=bool)
    ci: list[int] = []
    ki: list[int] = []
    on: list[int] = []
    off: list[int] = []
    for ev in events:
        rows = clip_rows.get(ev.filename)
        if rows is None:
            continue
        k = cls_index.get(ev.label)
        if k is None:
            raise FormatError(f"{source}:{ev.line}: class {ev.label!r} is not among the classes")
        for r in rows:
            ci.append(r)
            ki.append(k)
            on.append(min(int(ev.onset), n_segments))  # times are >= 0 (checked on read)
            off.append(min(int(ev.offset), n_segments))
    if ci:
        t = np.arange(n_segments)
        span = (t >= np.asarray(on)[:, None]) & (t < np.asarray(off)[:, None])
        r_idx, t_idx = np.nonzero(span)
        masks[np.asarray(ci)[r_idx], np.asarray(ki)[r_idx], t_idx] = True
    return masks


def dense_to_events(
    masks: np.ndarray,
    clips: Sequence[str],
    classes: Sequence[str] = LLP_CLASSES,
    segment_s: float = 1.0,
) -> list[DenseEvent]:
    """Maximal runs of True in (clips, classes, segments) masks -> event rows.

    Rows come out ordered by clip, class index, onset. Onset/offset are segment indices times
    `segment_s` (offset exclusive), so `events_to_masks` of the result gives `masks` back.
    """
    masks = np.asarray(masks).astype(bool, copy=False)
    if masks.ndim != 3 or masks.shape[:2] != (len(clips), len(classes)):
        raise ValueError(
            f"masks of shape {masks.shape} do not match ({len(clips)} clips, "
            f"{len(classes)} classes, segments)"
        )
    pad = np.zeros(masks.shape[:2] + (1,), dtype=bool)
    padded = np.concatenate([pad, masks, pad], axis=2).astype(np.int8)
    edges = np.diff(padded, axis=2)
    n_s, c_s, t_s = np.nonzero(edges == 1)  # run starts, in (clip, class, t) order
    t_e = np.nonzero(edges == -1)[2]  # run ends (exclusive), same order
    return [
        DenseEvent(clips[n], float(s) * segment_s, float(e) * segment_s, classes[c])
        for n, c, s, e in zip(n_s.tolist(), c_s.tolist(), t_s.tolist(), t_e.tolist(),
                              strict=True)
    ]


def _fmt_time(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def write_llp_events(path: str | Path, events: Iterable[DenseEvent]) -> None:
    """Write rows in the ``AVVP_eval_*.csv`` format (header, tab-separated), atomically."""
    with atomic_write(path, newline="") as fh:
        fh.write("\t".join(_DENSE_COLUMNS) + "\n")
        for ev in events:
            fh.write(f"{ev.filename}\t{_fmt_time(ev.onset)}\t{_fmt_time(ev.offset)}\t{ev.label}\n")


def write_llp_weak(path: str | Path, rows: Iterable[WeakLabel]) -> None:
    """Write rows in the ``AVVP_train.csv`` / ``AVVP_*_pd.csv`` format (header, tab-separated,
    labels comma-joined in the given order), atomically."""
    with atomic_write(path, newline="") as fh:
        fh.write("\t".join(_WEAK_COLUMNS) + "\n")
        for row in rows:
            fh.write(f"{row.filename}\t{','.join(row.labels)}\n")


def load_llp_features(
    root: str | Path,
    filename: str,
    streams: Sequence[str] = tuple(LLP_FEATURE_SHAPES),
    shapes: Mapping[str, tuple[int, ...]] | None = LLP_FEATURE_SHAPES,
    mmap: bool = False,
) -> dict[str, np.ndarray]:
    """Load one clip's feature arrays: ``<root>/<stream>/<first 11 chars of filename>.npy``.

    Args:
        root: the folder holding ``vggish/``, ``res152/``, ``r2plus1d_18/``.
        filename: a clip name (``AP0061o0Nvk_101.8_111.8``) or a bare 11-character id.
        streams: which sub-folders to read.
        shapes: expected shape per stream (default: 10x128, 80x2048, 10x512); streams not in
            it, or ``shapes=None``, are not checked.
        mmap: memory-map the arrays instead of reading them.

    Returns:
        {stream: array} in the order of `streams`, dtype as stored.

    Raises:
        FormatError: a missing, unreadable or wrongly shaped file (names the file).
    """
    vid = llp_video_id(filename)
    out: dict[str, np.ndarray] = {}
    for stream in streams:
        path = Path(root) / stream / f"{vid}.npy"
        if not path.is_file():
            raise FormatError(f"{path}: no such feature file (clip {filename}, stream {stream})")
        try:
            arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (ValueError, OSError, EOFError) as err:
            raise FormatError(f"{path}: not a readable .npy array ({err})") from None
        want = None if shapes is None else shapes.get(stream)
        if want is not None and tuple(arr.shape) != tuple(want):
            raise FormatError(f"{path}: shape {tuple(arr.shape)}, expected {tuple(want)}")
        out[stream] = arr
    return out
