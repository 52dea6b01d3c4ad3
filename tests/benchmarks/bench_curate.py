"""Curation benchmark: video-seconds processed per CPU-second, per stage and end to end,
on 360p synthetic talking-heads video (`avtool synth talking-heads --size 640x360`).

Per stage: each stage of `avtool.tasks.curate` timed alone (process CPU time, one thread)
on one 12-s video. End to end: `curate` with faces detected on every 5th frame, in one
process and in 2 worker processes, against the naive run of the same detector/tracker stack
on every frame in one process, on the same corpus, in the same run (CPU time includes the
workers', and each worker pays for loading dlib, torch, silero-vad and GE2E once).

    .venv/bin/python tests/benchmarks/bench_curate.py [--pois 1 --every 5 --workers 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import shutil
import tempfile
import time
from pathlib import Path


def cpu() -> float:
    """CPU seconds of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def stages(video: Path, config, references) -> list[tuple[str, float]]:
    """(stage, CPU seconds) on one video."""
    import numpy as np

    from avtool.media.audio import read_audio
    from avtool.media.video import read_frames
    from avtool.tasks.active_speaker.predictor import load_sync_model
    from avtool.tasks.curate import active_speaker as asd
    from avtool.tasks.curate.face_detection import face_detector
    from avtool.tasks.curate.face_verification import face_verifier
    from avtool.tasks.curate.shots import ShotDetector
    from avtool.tasks.curate.speech import speech_span
    from avtool.tasks.curate.sync_net import syncnet_scores
    from avtool.tasks.curate.tracking import track_faces
    from avtool.tasks.curate.video import models, sample_frames, speaker_embedding

    out = []
    t = cpu()
    frames = [f for _, f in read_frames(video, fps=config.fps)]
    wav, sr = read_audio(video, config.sample_rate)
    out.append(("decode (25 fps frames + 16 kHz audio)", cpu() - t))
    t = cpu()
    shots = ShotDetector(config.shots, config.fps)
    for f in frames:
        shots.feed(f)
    ranges = shots.shots()
    out.append(("shots (ContentDetector)", cpu() - t))
    detector = face_detector(config.face)
    for every in (1, 5):
        t = cpu()
        detections = {k: detector.detect(f) for k, f in enumerate(frames) if k % every == 0}
        out.append((f"face detection (dlib HOG, every {every})", cpu() - t))
    t = cpu()
    tracks, _ = track_faces(detections, ranges, config.track)
    out.append(("tracking (IoU, interpolation, smoothing)", cpu() - t))
    mouths = [np.stack([asd.mouth_region(frames[k], track.box(k)) for k in track.frames])
              for track in tracks]
    lite = dataclasses.replace(config.asd, backend="synclite")
    t = cpu()
    loud = asd.audio_loudness(wav, len(frames), config.fps, sr)
    scores = [asd.sync_score(asd.mouth_openness(m), loud, track.first, lite)
              for track, m in zip(tracks, mouths, strict=True)]
    asd.speaking_segments(tracks, scores, len(frames), lite)
    out.append(("active speaker (SyncLite)", cpu() - t))
    net = models(config)["sync"] or load_sync_model()  # loaded outside the timing
    net_asd = dataclasses.replace(config.asd, backend="syncnet")
    t = cpu()
    scores = syncnet_scores(net, mouths, [tr.first for tr in tracks], wav, sr, len(frames),
                            net_asd)
    segments, _ = asd.speaking_segments(tracks, scores, len(frames), net_asd)
    out.append(("active speaker (SyncNet network, MFCCs included)", cpu() - t))
    verifier = face_verifier(config.facever)
    t = cpu()
    for i in {i for i, _, _ in segments}:
        descriptors = np.stack([verifier.describe(frames[k], tracks[i].box(k))
                                for k in sample_frames(tracks[i], config.facever.samples)])
        verifier.score(descriptors, references)
    out.append(("face verification (dlib 128-d, speaking tracks)", cpu() - t))
    hop = sr // config.fps
    speech_span(wav[:hop], sr, config.speech)  # load silero once, outside the timing
    speaker_embedding(wav[: sr * 2], config)  # and GE2E
    t = cpu()
    for _, s, e in segments:
        clip = wav[s * hop: e * hop]
        speech_span(clip, sr, config.speech)
        speaker_embedding(clip, config)
    out.append(("speech (silero-vad) + dedup embedding (GE2E)", cpu() - t))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pois", type=int, default=1)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import cv2
    import torch

    from avtool.media.video import video_info
    from avtool.synth.talking_faces import TalkingHeadsConfig, synth_talking_heads
    from avtool.tasks.curate.config import load_config
    from avtool.tasks.curate.run import curate
    from avtool.tasks.curate.speakers import read_speakers
    from avtool.tasks.curate.video import models

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    root = Path(tempfile.mkdtemp(prefix="bench-curate-"))
    try:
        truth = synth_talking_heads(root / "corpus", TalkingHeadsConfig(
            pois=args.pois, width=640, height=360, bad_video=False), workers=args.workers)
        config = load_config(root / "corpus" / "curate.toml")
        poi = read_speakers(root / "corpus" / "speakers.csv")[0]
        references = models(config)["verifier"].references(poi.references)
        first = root / "corpus" / truth["videos"][0]["path"]
        seconds = video_info(first).duration
        print(f"per stage, one {seconds:.1f}-s 640x360 video, one thread "
              "(video-seconds per CPU-second; higher is faster):")
        for name, spent in stages(first, config, references):
            print(f"  {name:50s} {spent:7.2f} CPU-s  {seconds / max(spent, 1e-9):8.1f} x")
        total = sum(v["frames"] for v in truth["videos"]) / 25
        print(f"end to end, {len(truth['videos'])} videos, {total:.1f} s of video:")
        runs = {}
        for label, every, workers in (("naive: every frame, 1 process", 1, 1),
                                      (f"avtool: every {args.every}th frame, 1 process",
                                       args.every, 1),
                                      (f"avtool: every {args.every}th frame, "
                                       f"{args.workers} workers", args.every, args.workers)):
            settings = dataclasses.replace(
                config, face=dataclasses.replace(config.face, every=every))
            c0, w0 = cpu(), time.perf_counter()
            summary = curate(root / "corpus" / "speakers.csv", root / "corpus" / "videos",
                             root / f"out-{every}-{workers}", settings, workers=workers)
            spent, wall = cpu() - c0, time.perf_counter() - w0
            kept = sum(r["decision"] == "kept" for r in summary.rows)
            runs[label] = (spent, wall)
            print(f"  {label:40s} {spent:7.1f} CPU-s {wall:7.1f} s wall  "
                  f"{total / spent:6.2f} video-s/CPU-s  {total / wall:6.2f} video-s/s  "
                  f"kept {kept}")
        (naive_cpu, naive_wall), *ours = runs.values()
        for (label, _), (ours_cpu, ours_wall) in zip(list(runs.items())[1:], ours, strict=True):
            print(f"  {label} against naive: {naive_cpu / ours_cpu:.2f}x less CPU, "
                  f"{naive_wall / ours_wall:.2f}x less wall time")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
