"""Extraction benchmark: real-time factor of fbank and spectrogram extraction into a store.

avtool extract-features (1 and 2 workers) against a plain Python loop that reads each file
with soundfile and calls torchaudio's Kaldi fbank, on the same files, in the same run.
Targets: >= 500x real time per core for fbank; 2 workers >= 1.7x faster than 1.

    .venv/bin/python tests/benchmarks/bench_extract.py [--files 600 --seconds 10 --repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf


def make_corpus(root: Path, files: int, seconds: float) -> float:
    rng = np.random.default_rng(0)
    for i in range(files):
        wav = 0.1 * rng.normal(size=int(16000 * seconds)).astype(np.float32)
        sf.write(root / f"utt{i:05d}.wav", wav, 16000, subtype="PCM_16")
    return files * seconds


def plain_loop(root: Path) -> float:
    import torch
    from torchaudio.compliance import kaldi

    t0 = time.perf_counter()
    for path in sorted(root.glob("*.wav")):
        wav, sr = sf.read(path, dtype="float32")
        kaldi.fbank(torch.from_numpy(wav * 32768).unsqueeze(0), num_mel_bins=80, dither=0.0,
                    sample_frequency=sr)
    return time.perf_counter() - t0


def avtool_run(root: Path, out: Path, feature: str, workers: int) -> float:
    from avtool.features.pipeline import extract_to_store, plan_jobs

    t0 = time.perf_counter()
    extract_to_store(plan_jobs([root]), out, [feature], workers=workers)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)  # per-core figures: one thread in the loop and in-process runs
    work = Path(tempfile.mkdtemp(prefix="avtool-bench-extract-"))
    try:
        corpus = work / "wav"
        corpus.mkdir()
        audio_s = make_corpus(corpus, args.files, args.seconds)
        plain_loop(corpus)  # warm the page cache and torch
        loop_s = plain_loop(corpus)
        rows = [("plain loop: soundfile + kaldi.fbank", "fbank", 1, loop_s)]
        # Runs of a few seconds are noisy (page-cache writeback): each configuration runs
        # `--repeats` times, interleaved, and the median counts.
        for feature in ("fbank", "spectrogram"):
            times: dict[int, list[float]] = {1: [], 2: []}
            for rep in range(args.repeats):
                for workers in (1, 2):
                    out = work / f"{feature}{workers}-{rep}.h5"
                    times[workers].append(avtool_run(corpus, out, feature, workers))
                    out.unlink()
            for workers in (1, 2):
                rows.append((f"avtool extract-features -j {workers}", feature, workers,
                             float(np.median(times[workers]))))
        print(f"extraction benchmark: {args.files} files, {audio_s / 3600:.2f} h of 16 kHz audio, "
              f"median of {args.repeats} runs")
        print(f"{'run':<38}{'feature':<13}{'wall s':>8}{'x realtime':>12}{'per core':>10}"
              f"{'vs loop':>9}")
        for name, feature, workers, secs in rows:
            rtf = audio_s / secs
            print(f"{name:<38}{feature:<13}{secs:>8.2f}{rtf:>12.0f}{rtf / workers:>10.0f}"
                  f"{loop_s / secs:>8.2f}x")
        by = {(f, w): s for _, f, w, s in rows[1:]}
        for feature in ("fbank", "spectrogram"):
            print(f"{feature}: 2 workers are {by[(feature, 1)] / by[(feature, 2)]:.2f}x faster "
                  "than 1 (target 1.7x)")
        print(f"fbank per core: {audio_s / by[('fbank', 1)]:.0f}x real time (target 500x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
