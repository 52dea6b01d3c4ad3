"""A training store for the SyncNet network: the in-sync face tracks of talking-heads corpora.

SyncNet was trained on face tracks of people speaking in sync (BBC news, pre-filtered);
here the corpora of `avtool synth talking-heads` say which faces speak in sync. Each video
runs through curate's own front end (25-fps decoding, shots, dlib HOG detection, IoU
tracking, mouth regions of the smoothed boxes: exactly what the network sees inside
`avtool curate`), and every track that follows a face speaking in sync becomes one item:

* ``mouth``: (T, 16, 32) float32 grey mouth regions, 25 fps;
* ``mfcc``: (4T, 13) float32, 100 Hz, the video's normalised MFCCs under the track's frames;
* item meta: ``split`` (every ``val_every``-th video, in sorted order, is ``val``), ``poi``,
  ``video``, ``first`` (video frame of the track's start).

Voice-over, dubbed, listening and distractor-silent faces are left out: negatives are made
while training by shifting a track's audio against its lips, as SyncNet's were.

    python -m avtool.tasks.active_speaker.tracks --corpus build/asd/th-10 \\
        --corpus build/asd/th-11 --store build/asd/tracks.h5
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError

MOUTH_EXTRACTOR = "curate-mouth-region"
MFCC_EXTRACTOR = "mfcc-syncnet"


def video_tracks(corpus: str, video: dict) -> list[dict]:
    """The in-sync face tracks of one truth video: [{id, first, mouth, mfcc, poi}]."""
    from avtool.media.audio import read_audio
    from avtool.tasks.active_speaker.windows import MFCC_PER_FRAME, mfcc
    from avtool.tasks.curate.config import load_config
    from avtool.tasks.curate.evaluate import track_truth
    from avtool.tasks.curate.tracking import track_faces
    from avtool.tasks.curate.video import detect_pass, models, track_pass

    config = load_config(Path(corpus) / "curate.toml")
    path = Path(corpus) / video["path"]
    wav, sr = read_audio(path, config.sample_rate)
    _, shots, detections, _ = detect_pass(path, config, models(config)["detector"])
    tracks, _ = track_faces(detections, shots, config.track)
    if not tracks:
        return []
    mouths, _ = track_pass(path, tracks, config)
    features = mfcc(wav, sr)
    out = []
    for i, (track, mouth) in enumerate(zip(tracks, mouths, strict=True)):
        summary = {"first": track.first, "last": track.last,
                   "mean_box": track.boxes.mean(axis=0).tolist()}
        _, in_sync = track_truth(summary, video)
        rows = features[track.first * MFCC_PER_FRAME: (track.last + 1) * MFCC_PER_FRAME]
        if not in_sync or len(rows) < len(mouth) * MFCC_PER_FRAME:
            continue
        out.append({"id": f"{video['video']}-{i:02d}", "first": track.first,
                    "poi": video["poi"], "video": video["video"],
                    "mouth": mouth.astype(np.float32), "mfcc": rows.astype(np.float32)})
    return out


def build_track_store(corpora: list[str | Path], store: str | Path, val_every: int = 4,
                      workers: int = 1) -> dict:
    """Write `store` from the talking-heads `corpora`; returns counts per split."""
    from avtool.io import atomic_path, check_output
    from avtool.store import FeatureInfo, ItemInfo, write_store_file
    from avtool.synth.corpus import map_in_workers
    from avtool.tasks.active_speaker.windows import FPS, MOUTH_SHAPE, N_MFCC

    store = check_output(store, "file")
    jobs = []
    for corpus in corpora:
        truth_path = Path(corpus) / "truth.json"
        if not truth_path.exists():
            raise ConfigError(f"{corpus}: not a talking-heads corpus (no truth.json; make one "
                              "with avtool synth talking-heads)")
        truth = json.loads(truth_path.read_text())
        jobs += [(str(corpus), v) for v in truth["videos"] if v["has_audio"]]
    jobs.sort(key=lambda job: job[1]["video"])
    found = map_in_workers(video_tracks, jobs, workers)
    items, arrays = [], {"mouth": {}, "mfcc": {}}
    counts = {"train": 0, "val": 0}
    for v, tracks in enumerate(found):
        split = "val" if v % val_every == val_every - 1 else "train"
        for t in tracks:
            items.append(ItemInfo(t["id"], jobs[v][1]["path"], len(t["mouth"]) / FPS,
                                  {"split": split, "poi": t["poi"], "video": t["video"],
                                   "first": t["first"]}))
            arrays["mouth"][t["id"]] = t["mouth"]
            arrays["mfcc"][t["id"]] = t["mfcc"]
            counts[split] += 1
    if not items:
        raise ConfigError(f"{', '.join(map(str, corpora))}: no in-sync face track found")
    features = {
        "mouth": FeatureInfo("mouth", MOUTH_EXTRACTOR, {"size": [32, 16], "fps": FPS}, FPS,
                             MOUTH_SHAPE, "float32"),
        "mfcc": FeatureInfo("mfcc", MFCC_EXTRACTOR, {"n_mfcc": N_MFCC, "n_mels": 26,
                                                     "win_length": 400, "hop_length": 160},
                            100.0, (N_MFCC,), "float32")}
    with atomic_path(store) as tmp:
        write_store_file(tmp, items, features, arrays)
    return counts


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", required=True,
                        help="a talking-heads corpus folder (repeat for several)")
    parser.add_argument("--store", required=True, help="the store to write (.h5)")
    parser.add_argument("--val-every", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    counts = build_track_store(args.corpus, args.store, args.val_every, args.workers)
    print(json.dumps({"store": args.store, "tracks": counts}))
    return counts


if __name__ == "__main__":
    main()
