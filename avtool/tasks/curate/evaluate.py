"""Precision and recall of each curation stage against a synthetic corpus's ``truth.json``
(`avtool.synth.talking_faces`), and of the final segments.

Units per stage:

* shots: detected cuts against true cuts (within +-1 frame);
* tracks: face tracks against the faces of each shot (a track is a face's when its box centre
  lies inside that face's pasted box in most of its frames);
* active_speaker: tracks that passed it, against faces speaking in sync;
* face_verification: verified tracks that passed it, against tracks of the POI;
* duplicates: candidate segments removed as duplicates, against re-uploaded speech;
* final: kept segments against the speech spans a perfect pipeline keeps (a segment counts
  when at least half of it lies in such a span; a span is found when a kept segment does).

The thesis's operating points (Table 2.5, other data) are given beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

THESIS = {"active_speaker": (1.000, 0.613), "face_verification": (1.000, 0.726)}
STAGES = ("shots", "tracks", "active_speaker", "face_verification", "duplicates", "final")


@dataclass
class Count:
    tp_pred: int = 0  # predictions that are right
    pred: int = 0
    tp_true: int = 0  # truths that were found
    true: int = 0

    def add(self, pred_right: list[bool], true_found: list[bool]) -> None:
        self.tp_pred += sum(pred_right)
        self.pred += len(pred_right)
        self.tp_true += sum(true_found)
        self.true += len(true_found)

    def to_dict(self) -> dict:
        return {"precision": self.tp_pred / self.pred if self.pred else None,
                "recall": self.tp_true / self.true if self.true else None,
                "predicted": self.pred, "true": self.true}


def _track_person(track: dict, shot: dict) -> str | None:
    """The truth person whose pasted box holds the track's centre in most frames."""
    box = np.asarray(track["mean_box"], np.float64)
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    for face in shot["faces"]:
        boxes = np.asarray(face["boxes"], np.float64)
        rel = slice(track["first"] - shot["start_frame"], track["last"] - shot["start_frame"] + 1)
        b = boxes[rel].mean(axis=0) if len(boxes[rel]) else boxes.mean(axis=0)
        if b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3]:
            return face["person"]
    return None


def _shot_of(frame: int, video: dict) -> dict:
    return next(s for s in video["shots"] if s["start_frame"] <= frame < s["end_frame"])


def evaluate_curation(truth: dict, results: list[dict], rows: list[dict]) -> dict:
    """{stage: {precision, recall, predicted, true}} plus the thesis's operating points.

    `results` are the videos' ``result.json`` contents, `rows` the assembly's segment rows
    (``segments.csv``)."""
    counts = {s: Count() for s in STAGES}
    by_video = {r["video"]: r for r in results}
    for video in truth["videos"]:
        result = by_video.get(video["video"])
        if result is None:
            continue
        cuts = [s[0] for s in result["shots"][1:]]
        counts["shots"].add([any(abs(c - t) <= 1 for t in video["cuts"]) for c in cuts],
                            [any(abs(c - t) <= 1 for c in cuts) for t in video["cuts"]])
        people = [_track_person(t, _shot_of(t["first"], video)) for t in result["tracks"]]
        faces = [(i, f["person"]) for i, s in enumerate(video["shots"]) for f in s["faces"]]
        found = {(_shot_index(t["first"], video), p) for t, p in zip(result["tracks"], people,
                                                                    strict=True)}
        counts["tracks"].add([p is not None for p in people], [f in found for f in faces])
        in_sync = {}
        for span in video["speech"]:
            for person in span["in_sync"]:
                in_sync[(span["shot"], person)] = True
        passed_asd = {s["track"] for s in result["kept"]} | {
            r["track"] for r in result["rejected"]
            if r["stage"] in ("face_verification", "speech")}
        speaking = [in_sync.get((_shot_index(t["first"], video), p), False)
                    for t, p in zip(result["tracks"], people, strict=True)]
        counts["active_speaker"].add([speaking[i] for i in sorted(passed_asd)],
                                     [i in passed_asd for i, s in enumerate(speaking) if s])
        passed_fv = {s["track"] for s in result["kept"]} | {
            r["track"] for r in result["rejected"] if r["stage"] == "speech"}
        is_poi = {i: people[i] == video["poi"] for i in passed_asd}
        counts["face_verification"].add([is_poi[i] for i in sorted(passed_fv)],
                                         [i in passed_fv for i in sorted(passed_asd)
                                          if is_poi[i]])
        mine = [r for r in rows if r["video"] == video["video"]]
        good = [s for s in video["speech"] if s["expected"] == "kept" and
                "duplicate_group" not in s]
        grouped = [s for s in video["speech"] if "duplicate_group" in s]
        kept = [r for r in mine if r["decision"] == "kept" and not _inside(r, grouped)]
        counts["final"].add([_inside(r, good) for r in kept],
                            [any(_inside(r, [s]) for r in kept) for s in good])
    _count_duplicate_groups(truth, rows, counts)
    out = {stage: counts[stage].to_dict() for stage in STAGES}
    for stage, (p, r) in THESIS.items():
        out[stage]["thesis"] = {"precision": p, "recall": r}
    return out


def _count_duplicate_groups(truth: dict, rows: list[dict], counts: dict) -> None:
    """A shot and its re-upload: the final segments must hold one copy (either), and the
    duplicate stage must remove the other when both reached it."""
    groups: dict[str, list[tuple[str, dict]]] = {}
    for video in truth["videos"]:
        for span in video["speech"]:
            if "duplicate_group" in span:
                groups.setdefault(span["duplicate_group"], []).append((video["video"], span))
    for members in groups.values():
        kept = removed = reached = 0
        for video, span in members:
            here = [r for r in rows if r["video"] == video and _inside(r, [span])]
            kept += sum(r["decision"] == "kept" for r in here)
            removed += sum(r["stage"] == "duplicate" for r in here)
            reached += any(r["decision"] == "kept" or r["stage"] == "duplicate" for r in here)
        counts["final"].add([True] * min(kept, 1) + [False] * max(0, kept - 1), [kept >= 1])
        counts["duplicates"].add([True] * removed, [removed >= 1] if reached == 2 else [])


def track_truth(track: dict, video: dict) -> tuple[str | None, bool]:
    """(the person whose face a track follows, whether that face speaks in sync in its
    shot) by a video's truth; `track` has ``first``, ``last`` and ``mean_box``."""
    person = _track_person(track, _shot_of(track["first"], video))
    shot = _shot_index(track["first"], video)
    return person, any(person is not None and person in s["in_sync"]
                       for s in video["speech"] if s["shot"] == shot)


def _shot_index(frame: int, video: dict) -> int:
    return next(i for i, s in enumerate(video["shots"])
                if s["start_frame"] <= frame < s["end_frame"])


def _inside(row: dict, spans: list[dict]) -> bool:
    """At least half of the segment `row` lies in one of `spans`."""
    start, end = float(row["start"]), float(row["end"])
    return any(min(end, s["end"]) - max(start, s["start"]) >= 0.5 * (end - start)
               for s in spans)
