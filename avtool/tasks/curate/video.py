"""Every stage on one video, from an mp4 to its candidate segments with their fates.

Two streaming passes, so memory does not grow with the video's length: the first feeds
every 25-fps frame to the shot detector and every ``face.every``-th to the face detector;
tracks are then built, and the second pass keeps only each track's mouth region (32 x 16
grey) and a few face crops for verification. Audio is decoded once at 16 kHz mono.

`curate_video` writes the video's staging folder (segment wavs, face thumbnails and
``result.json``) under a temporary name and renames it when complete, so a killed run
leaves either a finished video or nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import MediaError
from avtool.tasks.curate.config import CurateConfig

RESULT = "result.json"
_MODELS: dict[str, Any] = {}


def models(config: CurateConfig) -> dict[str, Any]:
    """Detector, verifier, SyncNet network and speaker embedder, built once per process and
    config (the embedder on first use)."""
    key = json.dumps(config.to_dict(), sort_keys=True)
    if _MODELS.get("key") != key:
        from avtool.tasks.curate.face_detection import face_detector
        from avtool.tasks.curate.face_verification import face_verifier

        detector, verifier, sync = face_detector(config.face), face_verifier(config.facever), None
        if config.asd.backend == "syncnet":
            from avtool.tasks.active_speaker.predictor import load_sync_model

            sync = load_sync_model(config.asd.model or None)
        _MODELS.clear()
        _MODELS.update(key=key, detector=detector, verifier=verifier, embedder=None, sync=sync)
    return _MODELS


def sync_scores(tracks: list, mouths: list[np.ndarray], wav: np.ndarray, sr: int,
                n_frames: int, config: CurateConfig) -> list:
    """Each track's `SyncScore` by the configured active speaker backend."""
    from avtool.tasks.curate.active_speaker import audio_loudness, mouth_openness, sync_score

    if config.asd.backend == "syncnet":
        from avtool.tasks.curate.sync_net import syncnet_scores

        return syncnet_scores(models(config)["sync"], mouths, [t.first for t in tracks], wav,
                              sr, n_frames, config.asd)
    audio_signal = audio_loudness(wav, n_frames, config.fps, sr)
    return [sync_score(mouth_openness(m), audio_signal, t.first, config.asd)
            for t, m in zip(tracks, mouths, strict=True)]


def speaker_embedding(wav: np.ndarray, config: CurateConfig) -> list[float] | None:
    """The dedup embedding of a segment (None when the model refuses it, e.g. too short)."""
    from avtool.tasks.speaker.embedders import load_embedder

    cache = models(config)
    if cache["embedder"] is None:
        cache["embedder"] = load_embedder(config.dedup.model)
    try:
        return [round(float(v), 6) for v in cache["embedder"].embed(wav)]
    except MediaError:
        return None


def detect_pass(path: Path, config: CurateConfig, detector) -> tuple[int, list, dict, tuple]:
    """Pass 1: (frame count, shots, {frame: detections}, (width, height))."""
    from avtool.media.video import read_frames
    from avtool.tasks.curate.shots import ShotDetector

    shots = ShotDetector(config.shots, config.fps)
    detections: dict[int, np.ndarray] = {}
    size = (0, 0)
    for k, (_, frame) in enumerate(read_frames(path, fps=config.fps)):
        size = (frame.shape[1], frame.shape[0])
        shots.feed(frame)
        if k % config.face.every == 0:
            detections[k] = detector.detect(frame)
    return shots.count, shots.shots(), detections, size


def sample_frames(track, samples: int) -> list[int]:
    """`samples` evenly spaced frames of a track (where the verifier looks)."""
    return sorted({int(round(v)) for v in np.linspace(track.first, track.last, samples + 2)[1:-1]})


def track_pass(path: Path, tracks: list, config: CurateConfig
               ) -> tuple[list[np.ndarray], list[dict[int, np.ndarray]]]:
    """Pass 2: each track's mouth regions, and full frames at its verification samples."""
    from avtool.media.video import read_frames
    from avtool.tasks.curate.active_speaker import mouth_region

    mouths: list[list[np.ndarray]] = [[] for _ in tracks]
    wanted = [set(sample_frames(t, config.facever.samples)) for t in tracks]
    samples: list[dict[int, np.ndarray]] = [{} for _ in tracks]
    starts: dict[int, list[int]] = {}
    for i, t in enumerate(tracks):
        starts.setdefault(t.first, []).append(i)
    active: list[int] = []
    for k, (_, frame) in enumerate(read_frames(path, fps=config.fps)):
        active = [i for i in active if tracks[i].last >= k] + starts.get(k, [])
        for i in active:
            mouths[i].append(mouth_region(frame, tracks[i].box(k)))
            if k in wanted[i]:
                samples[i][k] = frame
    return [np.stack(m) if m else np.zeros((0, 16, 32), np.float32) for m in mouths], samples


def curate_video(path: str | Path, poi_id: str, video: str, references: np.ndarray,
                 config: CurateConfig, stage: str | Path) -> dict:
    """Run every stage on one video and write its staging folder `stage`; return its
    result (also `stage/result.json`).

    Raises:
        MediaError: the video is missing, corrupt, truncated, or lacks frames or audio.
    """
    from avtool.media.audio import read_audio, write_wav
    from avtool.media.video import video_info
    from avtool.tasks.curate.active_speaker import speaking_segments
    from avtool.tasks.curate.tracking import track_faces

    path = Path(path)
    if not video_info(path).has_audio:
        raise MediaError(f"{path}: no audio stream (a speaker dataset needs the voice)")
    wav, sr = read_audio(path, config.sample_rate)
    cache = models(config)
    n_frames, shots, detections, size = detect_pass(path, config, cache["detector"])
    tracks, dropped = track_faces(detections, shots, config.track)
    mouths, samples = track_pass(path, tracks, config) if tracks else ([], [])
    scores = sync_scores(tracks, mouths, wav, sr, n_frames, config)
    speaking, rejected = speaking_segments(tracks, scores, n_frames, config.asd)
    verdicts = _verify_faces(tracks, samples, {i for i, _, _ in speaking}, references, config)
    hop = sr // config.fps
    tmp = Path(f"{stage}.part-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for i, track in enumerate(tracks):
        _write_thumbnail(tmp / f"track-{i:03d}.jpg", samples[i], track)
    kept: list[dict] = []
    for i, first, end in speaking:
        track, score, (fv, ref, ok) = tracks[i], scores[i], verdicts[i]
        base = {"track": i, "first": first, "last": end - 1, "asd_offset": score.offset,
                "asd_conf": round(float(score.frame_confidence[first - track.first:
                                                               end - track.first].mean()), 4),
                "fv_score": round(fv, 4), "fv_reference": ref}
        if not ok:
            rejected.append({**base, "stage": "face_verification",
                             "reason": f"not {poi_id}: face {config.facever.metric} "
                                       f"{fv:.3f} vs threshold {config.facever.threshold}"})
            continue
        span = _speech_frames(wav[first * hop: end * hop], sr, hop, config)
        if span is None:
            rejected.append({**base, "stage": "speech", "reason": "no speech (VAD)"})
            continue
        s, e = first + span[0], first + span[1]
        if (e - s) / config.fps < config.speech.min_seconds:
            rejected.append({**base, "first": s, "last": e - 1, "stage": "speech",
                             "reason": f"short: {(e - s) / config.fps:.2f} s of speech < "
                                       f"{config.speech.min_seconds} s"})
            continue
        number = len(kept) + 1
        clip = wav[s * hop: e * hop]
        write_wav(tmp / f"{number:05d}.wav", clip, sr)
        kept.append({**base, "number": number, "first": s, "last": e - 1,
                     "boxes": [[round(float(v), 1) for v in track.box(f)] for f in range(s, e)],
                     "embedding": speaker_embedding(clip, config)})
    result = {"poi": poi_id, "video": video, "path": str(path), "frames": n_frames,
              "width": size[0], "height": size[1], "fps": config.fps,
              "shots": [list(s) for s in shots],
              "tracks": [{"shot": t.shot, "first": t.first, "last": t.last,
                          "detections": t.detections, "asd_offset": sc.offset,
                          "asd_conf": round(sc.confidence, 4),
                          "asd_peak": round(float(sc.frame_confidence.max(initial=0.0)), 4),
                          "mean_box": [round(float(v), 1) for v in t.boxes.mean(axis=0)]}
                         for t, sc in zip(tracks, scores, strict=True)],
              "dropped_tracks": dropped, "kept": kept, "rejected": rejected}
    with open(tmp / RESULT, "w") as fh:
        json.dump(result, fh)
    shutil.rmtree(stage, ignore_errors=True)
    os.replace(tmp, stage)
    return result


def _verify_faces(tracks, samples, speaking: set[int], references: np.ndarray,
                  config: CurateConfig) -> dict[int, tuple[float, int, bool]]:
    """(score, reference, accepted) of each speaking track."""
    verifier = models(config)["verifier"]
    out = {}
    for i in sorted(speaking):
        descriptors = np.stack([verifier.describe(frame, tracks[i].box(k))
                                for k, frame in sorted(samples[i].items())])
        score, ref = verifier.score(descriptors, references)
        out[i] = (score, ref, verifier.accepts(score))
    return out


def _speech_frames(wav: np.ndarray, sr: int, hop: int, config: CurateConfig
                   ) -> tuple[int, int] | None:
    """The VAD's speech span in whole frames from the segment's start."""
    from avtool.tasks.curate.speech import speech_span

    span = speech_span(wav, sr, config.speech)
    if span is None:
        return None
    return span[0] // hop, -(-span[1] // hop)


def _write_thumbnail(path: Path, frames: dict[int, np.ndarray], track) -> None:
    """A face thumbnail of a track (its middle verification frame), for the report."""
    import cv2

    k = sorted(frames)[len(frames) // 2]
    x, y, w, h = (int(v) for v in track.box(k))
    H, W = frames[k].shape[:2]
    crop = frames[k][max(0, y - h // 4): min(H, y + h + h // 4),
                     max(0, x - w // 4): min(W, x + w + w // 4)]
    thumb = cv2.resize(crop, (96, max(1, int(96 * crop.shape[0] / max(1, crop.shape[1])))))
    cv2.imwrite(str(path), cv2.cvtColor(thumb, cv2.COLOR_RGB2BGR))
