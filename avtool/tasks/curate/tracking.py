"""Position-based face tracking within a shot, after the public SyncNet pipeline's
``track_shot``: a detection joins the track whose last box it overlaps with IoU above
``iou`` if that box is at most ``max_missed`` frames old; tracks are then filled in every
frame by linear interpolation, median-smoothed, and dropped when shorter than ``min_frames``
or smaller than ``min_face_size`` on average (the reason is kept for the report)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from avtool.tasks.curate.config import TrackConfig


@dataclass(frozen=True)
class Track:
    """One face track: a box (x, y, w, h) in every frame from ``first`` to ``last``."""

    shot: int
    first: int
    last: int
    boxes: np.ndarray  # (last - first + 1, 4) float32
    detections: int  # frames with a real detection (the rest are interpolated)

    @property
    def frames(self) -> np.ndarray:
        return np.arange(self.first, self.last + 1)

    def box(self, frame: int) -> np.ndarray:
        return self.boxes[frame - self.first]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def link_detections(detections: dict[int, np.ndarray], start: int, end: int,
                    config: TrackConfig) -> list[list[tuple[int, np.ndarray]]]:
    """Greedy IoU linking of the detections of frames [start, end) into raw tracks."""
    tracks: list[list[tuple[int, np.ndarray]]] = []
    for frame in range(start, end):
        boxes = detections.get(frame)
        if boxes is None or not len(boxes):
            continue
        taken: set[int] = set()
        for box in boxes[np.argsort(-boxes[:, 4])]:
            best, best_iou = None, config.iou
            for t, track in enumerate(tracks):
                last_frame, last_box = track[-1]
                if t in taken or frame - last_frame > config.max_missed + 1:
                    continue
                overlap = iou(box, last_box)
                if overlap > best_iou:
                    best, best_iou = t, overlap
            if best is None:
                tracks.append([(frame, box)])
                taken.add(len(tracks) - 1)
            else:
                tracks[best].append((frame, box))
                taken.add(best)
    return tracks


def finish_track(raw: list[tuple[int, np.ndarray]], shot: int, config: TrackConfig
                 ) -> tuple[Track | None, str]:
    """Interpolate and smooth a raw track; (None, why) when it is too short or too small."""
    from scipy.ndimage import median_filter

    frames = np.array([f for f, _ in raw])
    boxes = np.array([b[:4] for _, b in raw], np.float64)
    every = np.arange(frames[0], frames[-1] + 1)
    if len(every) < config.min_frames:
        return None, f"short track ({len(every)} < {config.min_frames} frames)"
    filled = np.stack([np.interp(every, frames, boxes[:, i]) for i in range(4)], axis=1)
    size = float(np.mean(np.maximum(filled[:, 2], filled[:, 3])))
    if size < config.min_face_size:
        return None, f"small face ({size:.0f} < {config.min_face_size} px)"
    if config.smooth_kernel > 1:
        filled = median_filter(filled, size=(config.smooth_kernel, 1), mode="nearest")
    return Track(shot, int(every[0]), int(every[-1]), filled.astype(np.float32),
                 len(frames)), "ok"


def track_faces(detections: dict[int, np.ndarray], shots: list[tuple[int, int]],
                config: TrackConfig) -> tuple[list[Track], list[dict]]:
    """Tracks of every shot, and the raw tracks dropped with their reason."""
    tracks, dropped = [], []
    for s, (start, end) in enumerate(shots):
        for raw in link_detections(detections, start, end, config):
            track, why = finish_track(raw, s, config)
            if track is None:
                dropped.append({"shot": s, "first": int(raw[0][0]), "last": int(raw[-1][0]),
                                "reason": why})
            else:
                tracks.append(track)
    return tracks, dropped
