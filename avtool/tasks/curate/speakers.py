"""The people of interest: ``speakers.csv`` (id, name, references[, gender, nationality,
set]), one row per POI. ``references`` holds one or more face photos joined with ``;``,
relative to the CSV's folder or absolute. The POI's videos are in ``VIDEOS/<id>/`` (or
``VIDEOS/<name>/``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from avtool.errors import FormatError

REQUIRED = ("id", "name", "references")
OPTIONAL = ("gender", "nationality", "set")


@dataclass(frozen=True)
class Poi:
    id: str
    name: str
    references: tuple[Path, ...]
    gender: str = ""
    nationality: str = ""
    set: str = "dev"


def read_speakers(path: str | Path) -> list[Poi]:
    """Parse ``speakers.csv``.

    Raises:
        FormatError: naming ``file:line``: a missing column, an empty id or name, an id
            given twice, a reference photo that does not exist, a gender other than m/f,
            a set other than dev/test, or no row at all.
    """
    from avtool.io import read_text

    path = Path(path)
    rows = list(csv.reader(read_text(path).splitlines()))
    if not rows or not any(f.strip() for f in rows[0]):
        raise FormatError(f"{path}:1: empty file, expected the header "
                          f"{','.join(REQUIRED + OPTIONAL)}")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FormatError(f"{path}:1: missing column(s) {', '.join(missing)} (header: "
                          f"{','.join(REQUIRED)}[,{','.join(OPTIONAL)}])")
    pois: list[Poi] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(f.strip() for f in row):
            continue
        if len(row) != len(header):
            raise FormatError(f"{path}:{number}: {len(row)} fields, the header has {len(header)}")
        rec = {h: v.strip() for h, v in zip(header, row, strict=True)}
        if not rec["id"] or not rec["name"] or "/" in rec["id"]:
            raise FormatError(f"{path}:{number}: empty id or name, or '/' in the id")
        if rec["id"] in seen:
            raise FormatError(f"{path}:{number}: id {rec['id']} already on line {seen[rec['id']]}")
        seen[rec["id"]] = number
        refs = tuple(_reference(path, number, r) for r in rec["references"].split(";")
                     if r.strip())
        if not refs:
            raise FormatError(f"{path}:{number}: no reference photo for {rec['id']}")
        gender, split = rec.get("gender", "").lower(), rec.get("set", "") or "dev"
        if gender not in ("m", "f", ""):
            raise FormatError(f"{path}:{number}: gender {gender!r}, expected m, f or empty")
        if split not in ("dev", "test"):
            raise FormatError(f"{path}:{number}: set {split!r}, expected dev or test")
        pois.append(Poi(rec["id"], rec["name"], refs, gender, rec.get("nationality", ""), split))
    if not pois:
        raise FormatError(f"{path}: no speaker rows after the header")
    return pois


def _reference(csv_path: Path, number: int, text: str) -> Path:
    ref = Path(text.strip())
    ref = ref if ref.is_absolute() else csv_path.parent / ref
    if not ref.is_file():
        raise FormatError(f"{csv_path}:{number}: reference photo {ref}: no such file")
    return ref


def poi_folder(videos: Path, poi: Poi) -> Path | None:
    """The folder of a POI's videos: ``videos/<id>`` or else ``videos/<name>``."""
    for name in (poi.id, poi.name):
        if (videos / name).is_dir():
            return videos / name
    return None
