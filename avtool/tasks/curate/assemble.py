"""Write the VoxCeleb layout from the finished videos' staging folders.

Per POI, in (video, segment) order: duplicates are removed (`dedup`), the rest are numbered
00001... within their video and written as ``wav/<id>/<video>/<nnnnn>.wav`` (16 kHz mono,
PCM16) and ``txt/<id>/<video>/<nnnnn>.txt`` (VoxCeleb2 face-track header and per-frame
boxes); ``meta.csv`` (vox1_meta format) lists the POIs with at least one segment and
``segments.csv`` every candidate segment with its fate. Each file appears atomically, and
files of an earlier assembly that are no longer part of the output are removed, so any run
that finishes leaves exactly the output of its inputs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

from avtool.tasks.curate.config import CurateConfig
from avtool.tasks.curate.speakers import Poi

SEGMENT_COLUMNS = ("poi", "video", "segment", "start", "end", "decision", "stage", "reason",
                   "track", "asd_offset", "asd_conf", "fv_score")


def assemble(out: Path, pois: list[Poi], results: list[dict], stage_root: Path,
             config: CurateConfig) -> list[dict]:
    """Write the layout; returns one row per candidate segment (kept or rejected)."""
    from avtool.formats.voxceleb import SpeakerMeta, write_voxceleb_meta
    from avtool.io import atomic_write
    from avtool.tasks.curate.dedup import find_duplicates

    rows: list[dict] = []
    written: set[Path] = set()
    speakers = []
    by_poi: dict[str, list[dict]] = {}
    for result in sorted(results, key=lambda r: (r["poi"], r["video"])):
        by_poi.setdefault(result["poi"], []).append(result)
    for poi in pois:
        videos = by_poi.get(poi.id, [])
        candidates = [(r, seg) for r in videos for seg in r["kept"]]
        hashes = [_file_hash(stage_root / r["poi"] / r["video"] / f"{s['number']:05d}.wav")
                  for r, s in candidates]
        duplicates = find_duplicates(hashes, [s.get("embedding") for _, s in candidates],
                                     config.dedup.threshold)
        numbers: dict[str, int] = {}
        for i, (result, seg) in enumerate(candidates):
            if i in duplicates:
                j, why = duplicates[i]
                first = candidates[j]
                rows.append(_row(result, seg, "rejected", "duplicate",
                                 f"repeats {first[0]['video']} at "
                                 f"{first[1]['first'] / result['fps']:.2f} s: {why}"))
                continue
            number = numbers[result["video"]] = numbers.get(result["video"], 0) + 1
            rel = f"{poi.id}/{result['video']}/{number:05d}"
            _write_segment(out, rel, result, seg, stage_root, poi)
            written |= {out / "wav" / f"{rel}.wav", out / "txt" / f"{rel}.txt"}
            rows.append(_row(result, seg, "kept", "", "", segment=rel))
        for result in videos:
            rows += [_row(result, r, "rejected", r["stage"], r["reason"])
                     for r in result["rejected"]]
        if numbers:
            speakers.append(SpeakerMeta(poi.id, poi.name.replace(" ", "_"), poi.gender,
                                        poi.nationality or None, poi.set))
    _remove_stale(out, written)
    if speakers:
        write_voxceleb_meta(out / "meta.csv", speakers)
    elif (out / "meta.csv").exists():
        (out / "meta.csv").unlink()
    text = io.StringIO()
    writer = csv.DictWriter(text, SEGMENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(out / "segments.csv") as fh:
        fh.write(text.getvalue())
    return rows


def _row(result: dict, seg: dict, decision: str, stage: str, reason: str, segment: str = ""
         ) -> dict:
    fps = result["fps"]
    return {"poi": result["poi"], "video": result["video"], "segment": segment,
            "start": round(seg["first"] / fps, 3), "end": round((seg["last"] + 1) / fps, 3),
            "decision": decision, "stage": stage, "reason": reason, "track": seg.get("track", ""),
            "asd_offset": seg.get("asd_offset", ""), "asd_conf": seg.get("asd_conf", ""),
            "fv_score": seg.get("fv_score", "")}


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_segment(out: Path, rel: str, result: dict, seg: dict, stage_root: Path,
                   poi: Poi) -> None:
    import numpy as np

    from avtool.formats.voxceleb import FaceTrackFile, write_face_track
    from avtool.io import atomic_path

    source = stage_root / result["poi"] / result["video"] / f"{seg['number']:05d}.wav"
    with atomic_path(out / "wav" / f"{rel}.wav") as tmp:
        shutil.copyfile(source, tmp)
    boxes = np.asarray(seg["boxes"], np.float64)
    scale = np.array([result["width"], result["height"]] * 2, np.float64)
    write_face_track(out / "txt" / f"{rel}.txt", FaceTrackFile(
        poi.id, result["video"], int(seg["asd_offset"]), float(seg["fv_score"]),
        int(seg["fv_reference"]), float(seg["asd_conf"]),
        np.arange(seg["first"], seg["last"] + 1), boxes / scale))


def _remove_stale(out: Path, keep: set[Path]) -> None:
    for top in ("wav", "txt"):
        root = out / top
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*"), reverse=True):
            if path.is_file() and path not in keep:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
