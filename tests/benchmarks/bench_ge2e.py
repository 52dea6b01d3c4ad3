"""Benchmark: GE2E speaker embedding, avtool's default vs the resemblyzer package's own pipeline.

Same 50 files (``avtool synth speakers``: 10 speakers x 5 utterances, 2 to 8 s of speech with
silence, noise and reverb), same process, same torch thread count, CPU:

* reference: ``resemblyzer.preprocess_wav(path)`` (librosa load, -30 dBFS, webrtcvad trimming)
  then ``VoiceEncoder.embed_utterance`` (librosa mel, partial windows batched per file);
* avtool one by one: ``read_audio`` then ``GE2EEmbedder.embed`` per file;
* avtool batched: ``read_audio`` then ``GE2EEmbedder.embed_many`` over 16 files at a time (the
  partial windows of all files in one LSTM batch), as ``verify-speaker --trials`` does.

Reports real-time factors (processing seconds per second of audio; lower is faster), the speed-up
over the reference, and the agreement (minimum cosine between the two pipelines' embeddings).

Run: .venv/bin/python tests/benchmarks/bench_ge2e.py [--corpus DIR] [--threads N] [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from avtool.testing.timing import best_of


def corpus_files(corpus: Path | None) -> tuple[list[Path], Path | None]:
    tmp = None
    if corpus is None:
        from avtool.synth.speakers import synth_speakers

        tmp = Path(tempfile.mkdtemp(prefix="bench-ge2e-"))
        corpus = tmp / "corpus"
        synth_speakers(corpus, speakers=10, utterances=5, seed=1)
    files = sorted((corpus / "wav").rglob("*.wav"))[:50]
    return files, tmp




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="an existing synth-speakers corpus")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs; the best is kept")
    args = parser.parse_args()

    import shutil
    import warnings

    import torch

    from avtool.media.audio import audio_info, read_audio
    from avtool.tasks.speaker.embedders import load_embedder

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from resemblyzer import VoiceEncoder, preprocess_wav

    if args.threads:
        torch.set_num_threads(args.threads)
    files, tmp = corpus_files(args.corpus)
    seconds = sum(audio_info(f).duration for f in files)
    encoder = VoiceEncoder("cpu", verbose=False)
    ge2e = load_embedder("ge2e", "cpu")

    def reference(files=files):
        return np.stack([encoder.embed_utterance(preprocess_wav(f)) for f in files])

    def ours_single(files=files):
        return np.stack([ge2e.embed(read_audio(f, 16000)[0]) for f in files])

    def ours_batched():
        out = []
        for i in range(0, len(files), 16):
            out.append(ge2e.embed_many([read_audio(f, 16000)[0] for f in files[i: i + 16]]))
        return np.concatenate(out)

    reference(files[:4]), ours_single(files[:4])  # warm up (imports, allocator, kernels)
    t_ref, ref = best_of(reference, args.repeat)
    t_one, one = best_of(ours_single, args.repeat)
    t_bat, bat = best_of(ours_batched, args.repeat)
    print(f"GE2E embedding of {len(files)} files, {seconds:.1f} s of audio, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{'pipeline':<38}{'time s':>8}{'RTF':>9}{'speed-up':>10}{'min cos':>9}")
    for name, t, emb in (("resemblyzer preprocess_wav+embed_utt.", t_ref, ref),
                         ("avtool GE2E, one file at a time", t_one, one),
                         ("avtool GE2E, batched (16 files)", t_bat, bat)):
        cos = float(np.min(np.sum(emb * ref, axis=1)))
        print(f"{name:<38}{t:>8.2f}{t / seconds:>9.4f}{t_ref / t:>9.2f}x{cos:>9.4f}")
    if tmp is not None:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
