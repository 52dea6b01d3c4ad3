"""Benchmark: AVATAR training and decoding speed on this machine, per size preset.

One training step (forward, backward, AdamW update) on a batch of 3-s utterances (300 fbank
frames) with their two frames, for the ``tiny`` and ``small`` presets, A+V and audio-only;
and decoding one utterance greedily and with beam 4 (length 12 tokens forced). The ratio is
A+V time / A time, measured in the same run (the cost of the RGB stream and the bottleneck).
Times are the best of 3 after a warm-up step (`avtool.testing.timing.best_of`). Run:
.venv/bin/python tests/benchmarks/bench_avatar.py [--quick]
"""

from __future__ import annotations

import sys

import torch

from avtool.tasks.transcribe.avatar import Avatar
from avtool.tasks.transcribe.config import MODALITIES, RECIPES, preset_config
from avtool.tasks.transcribe.decode import beam_search, greedy_search
from avtool.testing.timing import best_of

SECONDS, TOKENS = 3.0, 12


def _batch(cfg, batch: int):
    g = torch.Generator().manual_seed(0)
    frames = int(SECONDS * 100)
    audio = torch.randn(batch, frames, 80, generator=g)
    video = torch.rand(batch, 3, cfg.frames, cfg.image_size, cfg.image_size, generator=g)
    tokens = torch.randint(1000, 3000, (batch, TOKENS + 1), generator=g)
    return audio, torch.full((batch,), frames), None if cfg.audio_only else video * 2 - 1, tokens


def train_step_seconds(size: str, modalities: str, batch: int) -> float:
    torch.manual_seed(0)
    cfg = preset_config(size, modalities=MODALITIES[modalities])
    model = Avatar(cfg).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    audio, lengths, video, tokens = _batch(cfg, batch)

    def step():
        logits = model(audio, lengths, video, tokens[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 tokens[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    step()
    return best_of(step, 3)[0]


def decode_seconds(size: str, beam: int) -> float:
    torch.manual_seed(0)
    cfg = preset_config(size)
    model = Avatar(cfg).eval()
    audio, lengths, video, _ = _batch(cfg, 1)

    def run():
        with torch.inference_mode():
            memory, pad = model.encode(audio, lengths, video)

            def step(prefix):
                n = prefix.shape[0]
                logits = model.decode(prefix, memory.expand(n, -1, -1), pad.expand(n, -1),
                                      last_only=True)
                logits[:, 102] = -1e9  # never end: every search runs TOKENS steps
                return torch.log_softmax(logits, -1)
            if beam == 1:
                return greedy_search(step, 1, 101, 102, TOKENS + 1)
            return beam_search(step, 101, 102, TOKENS + 1, beam=beam)
    run()
    return best_of(run, 3)[0]


def main(quick: bool = False) -> None:
    sizes = ("tiny",) if quick else ("tiny", "small")
    print(f"torch threads: {torch.get_num_threads()}; {SECONDS:g}-s utterances, "
          f"{TOKENS} target tokens")
    print("size   batch  A+V s/step  A s/step  A+V/A  A+V utterances/s")
    for size in sizes:
        batch = RECIPES[size]["batch_size"]
        av = train_step_seconds(size, "av", batch)
        a = train_step_seconds(size, "a", batch)
        print(f"{size:6s} {batch:5d}  {av:10.2f}  {a:8.2f}  {av / a:5.2f}  {batch / av:16.1f}")
    print("size   greedy s/utt  beam-4 s/utt  beam/greedy")
    for size in sizes:
        g, b = decode_seconds(size, 1), decode_seconds(size, 4)
        print(f"{size:6s} {g:12.2f}  {b:12.2f}  {b / g:11.2f}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
