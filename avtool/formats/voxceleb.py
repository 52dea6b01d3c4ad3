"""Readers for the public VoxCeleb1/2 formats: directory trees, meta CSVs, trial lists, scores.

Formats (each reader raises FormatError naming ``file:line`` on a malformed line):

* Directory trees: ``<root>/<speaker>/<video>/<NNNNN>.<ext>``, e.g. VoxCeleb1
  ``vox1_dev_wav/wav/id10001/1zcIwhmdeo4/00001.wav`` and VoxCeleb2
  ``vox2_dev_aac/dev/aac/id00012/21Uxsk56VDQ/00001.m4a`` (test: ``aac/idNNNNN/...``; the video
  release has ``mp4/`` beside ``aac/``). ``read_voxceleb_dir`` accepts the archive root (it
  descends into ``wav/``, ``aac/``, ``dev/aac/`` or ``test/aac/``) or the speaker-level folder.
* ``vox1_meta.csv`` (tab-separated; ``VoxCeleb1 ID, VGGFace1 ID, Gender, Nationality, Set``) and
  ``vox2_meta.csv`` (comma-separated with padded fields: ``VoxCeleb2 ID ,VGGFace2 ID ,Gender
  ,Set``): ``read_voxceleb_meta``.
* Trial lists ``veri_test.txt``, ``veri_test2.txt`` (VoxCeleb1-O, -O cleaned),
  ``list_test_all(2).txt`` (-E), ``list_test_hard(2).txt`` (-H): one trial per line,
  ``label path1 path2`` with label 1 (same speaker) or 0, paths relative to the speaker-level
  folder, e.g. ``1 id10270/x6uYqmx31kE/00001.wav id10270/8jEAjG6SegY/00008.wav``:
  ``read_trials``.
* ``iden_split.txt``: ``split path`` with split 1 (train), 2 (validation), 3 (test):
  ``read_iden_split``.
* Face-track files ``txt/<speaker>/<video>/<NNNNN>.txt`` as VoxCeleb2 releases them: a
  header (``Identity``, ``Reference``, ``Offset``, ``FV Conf``, ``ASD Conf``), a blank line,
  ``FRAME X Y W H`` and one row per frame (6-digit frame number, box as fractions of the
  frame): ``read_face_track`` / ``write_face_track`` (what ``avtool curate`` writes).
  ``write_voxceleb_meta`` writes ``vox1_meta.csv`` rows.
* Score files: ``path1 path2 score`` per line (what verify-speaker's batch mode writes):
  ``read_scores`` / ``write_scores``. ``scores_in_trial_order`` joins scores to trials by the
  ``(path1, path2)`` key, never by line order.

Blank lines are skipped everywhere; anything else that does not fit is an error, never dropped.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import FormatError
from avtool.io import atomic_write, decode_text, read_bytes, read_text

AUDIO_EXTS = (".wav", ".m4a", ".mp4")
ROOT_SUBDIRS = ("wav", "aac", "dev/aac", "test/aac")
IDEN_SPLITS = {"1": "train", "2": "val", "3": "test"}


@dataclass(frozen=True)
class Utterance:
    """One file of a VoxCeleb tree. ``key`` is the path as trial lists write it."""

    speaker: str
    video: str
    utterance: str
    path: Path

    @property
    def key(self) -> str:
        return f"{self.speaker}/{self.video}/{self.path.name}"


@dataclass(frozen=True)
class SpeakerMeta:
    """One row of vox1_meta.csv / vox2_meta.csv (nationality is None for VoxCeleb2)."""

    speaker: str
    name: str
    gender: str
    nationality: str | None
    set: str


@dataclass(frozen=True)
class TrialList:
    """A parsed trial list: parallel sequences, one entry per trial, in file order."""

    path: Path
    labels: np.ndarray
    path1: tuple[str, ...]
    path2: tuple[str, ...]
    lines: tuple[int, ...]
    sha256: str

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def n_target(self) -> int:
        return int(self.labels.sum())

    @property
    def n_nontarget(self) -> int:
        return len(self) - self.n_target


@dataclass(frozen=True)
class ScoreFile:
    """Scores keyed by ``(path1, path2)``, with the line each came from."""

    path: Path
    scores: dict[tuple[str, str], float]
    lines: dict[tuple[str, str], int]

    def __len__(self) -> int:
        return len(self.scores)


def _read_lines(path: str | Path) -> tuple[Path, bytes, Iterator[tuple[int, list[str]]]]:
    path = Path(path)
    raw = read_bytes(path)
    text = decode_text(path, raw)

    def rows():
        for number, line in enumerate(text.splitlines(), start=1):
            fields = line.split()
            if fields:
                yield number, fields

    return path, raw, rows()


def voxceleb_speaker_root(root: str | Path) -> Path:
    """The folder holding the speaker folders: root itself or its wav/, aac/, dev/aac/, test/aac/."""
    root = Path(root)
    if not root.is_dir():
        raise FormatError(f"{root}: not a directory (expected a VoxCeleb tree)")
    for sub in ROOT_SUBDIRS:
        if (root / sub).is_dir():
            return root / sub
    return root


def read_voxceleb_dir(root: str | Path, exts: Sequence[str] = AUDIO_EXTS) -> list[Utterance]:
    """Every ``<speaker>/<video>/<utt>.<ext>`` file under a VoxCeleb tree, sorted by key.

    Raises:
        FormatError: root is not a directory, holds no audio file, or an audio file sits at
            another depth than speaker/video/file (named in the message).
    """
    base = voxceleb_speaker_root(root)
    found: list[Utterance] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(base)
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(tuple(exts)):
                continue
            if len(rel.parts) != 2:
                raise FormatError(
                    f"{Path(dirpath) / name}: expected <speaker>/<video>/<utterance> under "
                    f"{base}, found it at depth {len(rel.parts) + 1}"
                )
            speaker, video = rel.parts
            found.append(Utterance(speaker, video, Path(name).stem, Path(dirpath) / name))
    if not found:
        raise FormatError(f"{base}: no {'/'.join(exts)} files in <speaker>/<video>/ folders")
    found.sort(key=lambda u: u.key)
    return found


_META_COLUMNS = {
    "voxceleb1id": "speaker", "voxceleb2id": "speaker",
    "vggface1id": "name", "vggface2id": "name", "name": "name",
    "gender": "gender", "nationality": "nationality", "set": "set",
}


def read_voxceleb_meta(path: str | Path) -> list[SpeakerMeta]:
    """Read vox1_meta.csv (tab-separated) or vox2_meta.csv (comma-separated, padded fields)."""
    lines = read_text(path).splitlines()
    if not lines or not lines[0].strip():
        raise FormatError(f"{path}:1: empty file, expected a VoxCeleb meta header")
    delimiter = "\t" if "\t" in lines[0] else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip().lower().replace(" ", "") for h in next(reader)]
    columns = [_META_COLUMNS.get(h) for h in header]
    missing = {"speaker", "name", "gender", "set"} - set(columns)
    if missing:
        raise FormatError(
            f"{path}:1: header lacks {', '.join(sorted(missing))} (expected e.g. "
            "'VoxCeleb1 ID<TAB>VGGFace1 ID<TAB>Gender<TAB>Nationality<TAB>Set')"
        )
    out: list[SpeakerMeta] = []
    for number, row in enumerate(reader, start=2):
        if not any(field.strip() for field in row):
            continue
        if len(row) != len(header):
            raise FormatError(f"{path}:{number}: {len(row)} fields, header has {len(header)}")
        rec = {c: v.strip() for c, v in zip(columns, row, strict=True) if c}
        if rec["gender"] not in ("m", "f", ""):  # "": unknown (curate without a gender)
            raise FormatError(f"{path}:{number}: gender {rec['gender']!r}, expected m or f")
        if rec["set"] not in ("dev", "test"):
            raise FormatError(f"{path}:{number}: set {rec['set']!r}, expected dev or test")
        out.append(SpeakerMeta(rec["speaker"], rec["name"], rec["gender"],
                               rec.get("nationality"), rec["set"]))
    if not out:
        raise FormatError(f"{path}: no speaker rows after the header")
    return out


def read_trials(path: str | Path) -> TrialList:
    """Read a VoxCeleb trial list (``label path1 path2``, label 1 = same speaker, 0 = not).

    Raises:
        FormatError: a line without exactly three fields (e.g. unlabelled two-column lists),
            a label other than 0/1, the same pair listed with both labels, or no trial at all.
    """
    path, raw, rows = _read_lines(path)
    labels: list[int] = []
    p1: list[str] = []
    p2: list[str] = []
    lines: list[int] = []
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for number, fields in rows:
        if len(fields) != 3:
            raise FormatError(
                f"{path}:{number}: expected 'label path1 path2', got {len(fields)} field(s)"
            )
        label, a, b = fields
        if label not in ("0", "1"):
            raise FormatError(f"{path}:{number}: label {label!r}, expected 1 (same) or 0")
        previous = seen.setdefault((a, b), (label, number))
        if previous[0] != label:
            raise FormatError(
                f"{path}:{number}: pair '{a} {b}' is labelled {label} here and "
                f"{previous[0]} on line {previous[1]}"
            )
        labels.append(label == "1")
        p1.append(a)
        p2.append(b)
        lines.append(number)
    if not labels:
        raise FormatError(f"{path}: no trials (expected lines 'label path1 path2')")
    return TrialList(path, np.array(labels, dtype=bool), tuple(p1), tuple(p2), tuple(lines),
                     hashlib.sha256(raw).hexdigest())


def read_iden_split(path: str | Path) -> list[tuple[str, str]]:
    """Read iden_split.txt: ``[(split, path)]`` with split 'train' (1), 'val' (2), 'test' (3)."""
    path, _, rows = _read_lines(path)
    out: list[tuple[str, str]] = []
    for number, fields in rows:
        if len(fields) != 2 or fields[0] not in IDEN_SPLITS:
            raise FormatError(f"{path}:{number}: expected 'split path' with split 1, 2 or 3")
        out.append((IDEN_SPLITS[fields[0]], fields[1]))
    if not out:
        raise FormatError(f"{path}: no entries")
    return out


def read_scores(path: str | Path) -> ScoreFile:
    """Read a score file: ``path1 path2 score`` per line, score a finite number.

    Raises:
        FormatError: a line without three fields, a score that is not a finite number, the
            same pair scored twice with different values, or no line at all.
    """
    path, _, rows = _read_lines(path)
    scores: dict[tuple[str, str], float] = {}
    lines: dict[tuple[str, str], int] = {}
    for number, fields in rows:
        if len(fields) != 3:
            raise FormatError(
                f"{path}:{number}: expected 'path1 path2 score', got {len(fields)} field(s)"
            )
        a, b, text = fields
        try:
            value = float(text)
        except ValueError:
            raise FormatError(f"{path}:{number}: score {text!r} is not a number") from None
        if not math.isfinite(value):
            raise FormatError(f"{path}:{number}: score {text!r} is not finite")
        key = (a, b)
        if key in scores and scores[key] != value:
            raise FormatError(
                f"{path}:{number}: pair '{a} {b}' scored {value} here and {scores[key]} "
                f"on line {lines[key]}"
            )
        scores[key] = value
        lines.setdefault(key, number)
    if not scores:
        raise FormatError(f"{path}: no scores (expected lines 'path1 path2 score')")
    return ScoreFile(path, scores, lines)


def write_scores(path: str | Path, path1: Sequence[str], path2: Sequence[str], scores) -> None:
    """Write ``path1 path2 score`` lines atomically (scores round-trip exactly)."""
    scores = np.asarray(scores, dtype=np.float64)
    if not len(path1) == len(path2) == len(scores):
        raise ValueError("path1, path2 and scores must have equal lengths")
    for p in (*path1, *path2):
        if not p or any(c.isspace() for c in p):
            raise FormatError(f"{path}: cannot write path {p!r}: empty or contains whitespace")
    with atomic_write(path) as fh:
        fh.writelines(f"{a} {b} {float(s)!r}\n" for a, b, s in zip(path1, path2, scores,
                                                                      strict=True))


def scores_in_trial_order(trials: TrialList, scores: ScoreFile) -> np.ndarray:
    """One score per trial, in trial order, looked up by ``(path1, path2)``.

    Scores for pairs the trial list does not contain are ignored (a score file may cover
    several lists).

    Raises:
        FormatError: naming the first trial (file:line) without a score, and how many lack one.
    """
    table = scores.scores
    out = np.empty(len(trials), dtype=np.float64)
    missing: list[int] = []
    for i, key in enumerate(zip(trials.path1, trials.path2, strict=True)):
        value = table.get(key)
        if value is None:
            missing.append(i)
            out[i] = np.nan
        else:
            out[i] = value
    if missing:
        i = missing[0]
        a, b = trials.path1[i], trials.path2[i]
        hint = (f"; '{b} {a}' is there: the pair order must match"
                if (b, a) in table else "")
        raise FormatError(
            f"{trials.path}:{trials.lines[i]}: no score for '{a} {b}' in {scores.path} "
            f"({len(missing)} of {len(trials)} trials lack a score){hint}"
        )
    return out


META_HEADER = ("VoxCeleb1 ID", "VGGFace1 ID", "Gender", "Nationality", "Set")


def write_voxceleb_meta(path: str | Path, speakers: Sequence[SpeakerMeta]) -> None:
    """Write ``vox1_meta.csv`` (tab-separated, VoxCeleb1's header) atomically; names may not
    hold tabs or line breaks, gender is m, f or empty (unknown), set dev or test."""
    lines = ["\t".join(META_HEADER)]
    for s in speakers:
        fields = (s.speaker, s.name, s.gender, s.nationality or "", s.set)
        if any(c in f for f in fields for c in "\t\r\n") or not s.speaker or not s.name:
            raise FormatError(f"{path}: cannot write speaker {s.speaker!r}: empty id or name, "
                              "or a tab or line break in a field")
        if s.gender not in ("m", "f", "") or s.set not in ("dev", "test"):
            raise FormatError(f"{path}: speaker {s.speaker}: gender must be m, f or empty "
                              f"and set dev or test (got {s.gender!r}, {s.set!r})")
        lines.append("\t".join(fields))
    with atomic_write(path) as fh:
        fh.write("\n".join(lines) + "\n")


@dataclass(frozen=True)
class FaceTrackFile:
    """A VoxCeleb2 face-track txt: header values and per-frame boxes (fractions of the
    frame: x, y of the top-left corner, width, height)."""

    identity: str
    reference: str  # the YouTube (video) id
    offset: int  # audio-visual offset in frames
    fv_conf: float  # face-verification confidence
    fv_reference: int  # which reference it matched (the "(1)" after FV Conf)
    asd_conf: float  # active-speaker confidence
    frames: np.ndarray  # (n,) int
    boxes: np.ndarray  # (n, 4) float

    def seconds(self, fps: float = 25.0) -> tuple[float, float]:
        """The span the track covers, [first frame, last frame + 1) / fps."""
        return float(self.frames[0]) / fps, float(self.frames[-1] + 1) / fps


def write_face_track(path: str | Path, track: FaceTrackFile) -> None:
    """Write a face-track txt in the VoxCeleb2 layout, atomically."""
    lines = [f"Identity  : \t{track.identity}", f"Reference : \t{track.reference}",
             f"Offset    : \t{int(track.offset)}",
             f"FV Conf   : \t{track.fv_conf:.3f}\t({int(track.fv_reference)})",
             f"ASD Conf  : \t{track.asd_conf:.3f}", "", "FRAME \tX \tY \tW \tH "]
    lines += [f"{int(f):06d} \t" + " \t".join(f"{float(v):.3f}" for v in box) + " "
              for f, box in zip(track.frames, track.boxes, strict=True)]
    with atomic_write(path) as fh:
        fh.write("\n".join(lines) + "\n")


_TRACK_KEYS = {"Identity": "identity", "Reference": "reference", "Offset": "offset",
               "FV Conf": "fv_conf", "ASD Conf": "asd_conf"}


def read_face_track(path: str | Path) -> FaceTrackFile:
    """Read a VoxCeleb2 face-track txt (header, blank line, FRAME X Y W H rows).

    Raises:
        FormatError: naming ``file:line``: a header line missing or malformed, a box row
            without five numbers, or no box row.
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    header: dict[str, str] = {}
    number = 0
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith("FRAME"):
            break
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in _TRACK_KEYS:
            raise FormatError(f"{path}:{number}: expected 'Key : value' with a key of "
                              f"{', '.join(_TRACK_KEYS)}, got {line.strip()!r}")
        header[_TRACK_KEYS[key.strip()]] = value.strip()
    missing = [k for k, v in _TRACK_KEYS.items() if v not in header]
    if missing:
        raise FormatError(f"{path}: header lacks {', '.join(missing)}")
    rows = []
    for row_number, line in enumerate(lines[number:], start=number + 1):
        fields = line.split()
        if not fields:
            continue
        try:
            frame, *box = int(fields[0]), *(float(v) for v in fields[1:])
        except ValueError:
            raise FormatError(f"{path}:{row_number}: expected 'FRAME X Y W H' numbers") from None
        if len(box) != 4:
            raise FormatError(f"{path}:{row_number}: expected 5 fields, got {len(fields)}")
        rows.append((frame, *box))
    if not rows:
        raise FormatError(f"{path}: no FRAME rows")
    try:
        fv_text, _, ref_text = header["fv_conf"].partition("(")
        offset, fv_conf, asd_conf = (int(header["offset"]), float(fv_text),
                                     float(header["asd_conf"]))
        fv_reference = int(ref_text.rstrip(")").strip() or 1)
    except ValueError:
        raise FormatError(f"{path}: Offset, FV Conf or ASD Conf is not a number") from None
    table = np.asarray(rows, np.float64)
    return FaceTrackFile(header["identity"], header["reference"], offset, fv_conf, fv_reference,
                         asd_conf, table[:, 0].astype(int), table[:, 1:])
