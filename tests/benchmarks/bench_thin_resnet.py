"""Benchmark: Thin-ResNet-34 + GhostVLAD speaker embedding speed on the CPU (real-time factor).

20 utterances of 4 s (16 kHz) are embedded with a randomly initialised Thin-ResNet-34 +
GhostVLAD (the paper's full-width network, 7.6M parameters; speed does not depend on the
weights). Three ways, all measured in this run on the same inputs:

* reference (naive): per utterance, the released code's test-time route in eager PyTorch with
  autograd on: spectrogram, then the 4-s input as one forward pass, no ``inference_mode``;
* avtool: ``SpeakerEmbedder.embed_many`` (spectrogram + whole-utterance forward under
  ``inference_mode``, one utterance at a time, as ``verify-speaker`` does);
* batched: the 20 equal-length spectrograms in one ``inference_mode`` batch (an upper bound for
  what batching equal-length inputs could add).

Prints the real-time factor (seconds of compute per second of audio; lower is faster) and the
speed-up over the reference (best of 3 interleaved rounds). Also checks that the three give the same embeddings.

Run: .venv/bin/python tests/benchmarks/bench_thin_resnet.py
"""

from __future__ import annotations

import time

import numpy as np
import torch

from avtool.features import build_extractor
from avtool.tasks.speaker.network import build_speaker_net, count_parameters
from avtool.tasks.speaker.predictor import SpeakerEmbedder
from avtool.tasks.speaker.testing import speaker_wave
from avtool.tasks.speaker.zoo import SpeakerModelConfig

N_UTT, SECONDS = 20, 4.0
ROUNDS = 3


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    wavs = [speaker_wave(i % 8, SECONDS, rng) for i in range(N_UTT)]
    audio_s = N_UTT * SECONDS
    net = build_speaker_net(SpeakerModelConfig(model="thin-resnet34", pool="ghostvlad")).eval()
    extractor = build_extractor("spectrogram")
    spec = {"model": {"model": "thin-resnet34", "pool": "ghostvlad", "loss": "softmax",
                      "emb_dim": 512}, "feature": {}, "threshold": None}
    embedder = SpeakerEmbedder(net, extractor, spec, "", torch.device("cpu"))
    embedder.embed(wavs[0])  # warm-up

    def naive():
        out = []
        for wav in wavs:
            x = torch.from_numpy(extractor.compute(wav)).unsqueeze(0)
            e = net(x)  # autograd on, as in a training-mode script
            out.append(torch.nn.functional.normalize(e, dim=1)[0].detach().numpy())
        return np.stack(out)

    def batched():
        with torch.inference_mode():
            x = torch.from_numpy(np.stack([extractor.compute(w) for w in wavs]))
            return torch.nn.functional.normalize(net(x), dim=1).numpy()

    best = {"ref": np.inf, "ours": np.inf, "batch": np.inf}
    for _ in range(ROUNDS):  # interleaved rounds, best of each: robust to a busy machine
        for key, fn in (("ref", naive), ("ours", lambda: embedder.embed_many(wavs)),
                        ("batch", batched)):
            t, out = _timed(fn)
            best[key] = min(best[key], t)
            if key == "ref":
                ref = out
            elif key == "ours":
                ours = out
            else:
                batch = out
    t_ref, t_ours, t_batch = best["ref"], best["ours"], best["batch"]
    assert np.allclose(ref, ours, atol=1e-4) and np.allclose(ref, batch, atol=1e-3)

    print(f"Thin-ResNet-34 + GhostVLAD ({count_parameters(net):,d} parameters), "
          f"{N_UTT} utterances x {SECONDS:g} s, {torch.get_num_threads()} CPU threads")
    print(f"{'method':<40} {'seconds':>8} {'RTF':>7} {'speed-up':>9}")
    for name, t in (("reference: eager, autograd on, per utt.", t_ref),
                    ("avtool: embed_many (inference_mode)", t_ours),
                    ("batched: one inference_mode batch", t_batch)):
        print(f"{name:<40} {t:8.2f} {t / audio_s:7.3f} {t_ref / t:8.2f}x")


if __name__ == "__main__":
    main()
