"""Benchmark: `avtool align-captions` speed for MALTA, with references measured side by side.

1. Caption queries aligned per second on precomputed features (a feature-level store of the
   synth captions plans, M=32, BiLSTM 256, the paper's sizes): MALTA against ABLR (V-ONLY) on
   the same queries (ratio = MALTA / ABLR throughput), batched 256 queries at a time.
2. End to end from a raw 20-s video (synth captions, color + motion + whisper_encoder
   computed with the checkpoint's settings, then MALTA): seconds per video-minute, against
   the feature extraction alone on the same video (ratio = end to end / extraction).

Best of 3 runs each, one torch thread. Run: .venv/bin/python tests/benchmarks/bench_align_captions.py
(about 2 minutes on an idle 2-core machine).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _train(store, queries, out, model, video, audio, segments=32, hidden=256):
    from avtool.tasks import train_task
    from avtool.tasks.grounding.options import GroundingOptions

    options = GroundingOptions(queries=str(queries), model=model, video_features=video,
                               audio_features=audio, embeddings="random", segments=segments,
                               hidden=hidden, attention=hidden)
    train_task("grounding", options, store, out, quiet=True, epochs=1, batch_size=100,
               device="cpu")


def throughput(work: Path) -> None:
    from avtool.tasks.grounding.align import load_aligner
    from avtool.tasks.grounding.predictor import AlignInputs
    from avtool.tasks.grounding.testing import write_feature_corpus

    paths = write_feature_corpus(work / "feat", videos=60, seed=0)
    rates = {}
    for name, model in (("ABLR (V-ONLY)", "ablr"), ("MALTA", "malta")):
        _train(paths["store"], paths["train"], work / model, model, "vis", "aud")
        aligner = load_aligner(work / model, "cpu")
        inputs = AlignInputs(paths["train"], paths["store"])
        n = len(aligner.predict(inputs).alignments)
        rates[name] = n / best_of(lambda a=aligner, i=inputs: a.predict(i))
        print(f"{name:14s} {rates[name]:8.0f} queries/s ({n} queries, features in a store, "
              "batches of 256, M=32, BiLSTM 256)")
    print(f"ratio MALTA / ABLR throughput: {rates['MALTA'] / rates['ABLR (V-ONLY)']:.2f}")


def end_to_end(work: Path) -> None:
    from avtool.features import MediaSource, build_extractor
    from avtool.features.pipeline import extract_to_store, read_manifest
    from avtool.synth.captions import SynthCaptionsConfig, synth_captions
    from avtool.tasks.grounding.align import load_aligner

    corpus = work / "video"
    synth_captions(corpus, SynthCaptionsConfig(videos=2, seed=1, min_seconds=20, max_seconds=20,
                                               val_fraction=0, test_fraction=0.5))
    specs = ["color", "motion", "whisper_encoder"]
    extract_to_store(read_manifest(corpus / "videos.csv"), corpus / "f.h5", specs)
    _train(corpus / "f.h5", corpus / "MALTA" / "TFT_av" / "train.json", work / "e2e", "malta",
           "color,motion", "whisper_encoder")
    video = sorted((corpus / "videos").iterdir())[0]
    extractors = [build_extractor(s) for s in specs]
    aligner = load_aligner(work / "e2e", "cpu")
    aligner.align(video, "a bell rings")  # warm: model weights loaded once per process

    def extract_only():
        source = MediaSource(video)
        for ex in extractors:
            ex(source)

    t_ref = best_of(extract_only)
    t_e2e = best_of(lambda: aligner.align(video, "a bell rings"))
    minutes = 20 / 60
    print(f"extraction only   {t_ref / minutes:6.2f} s per video-minute (color, motion, "
          "whisper_encoder)")
    print(f"MALTA end to end  {t_e2e / minutes:6.2f} s per video-minute (decode, features, "
          "align one caption)")
    print(f"ratio end to end / extraction: {t_e2e / t_ref:.2f}")


def main() -> None:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        throughput(Path(tmp))
        end_to_end(Path(tmp))


if __name__ == "__main__":
    main()
