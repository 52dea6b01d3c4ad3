"""Benchmark: dialog answering (beam 5) and training-step speed of `avtool train dialog`
networks on the CPU, with references measured in the same run.

* answers per second, beam 5 (insertion bonus 1.0, 30 words): avtool decodes turns in batches
  (every turn's beam expanded together) against the DSTC7 baseline's way, one turn at a
  time; both give the same answers (checked before timing);
* training step (batch 64, Adam, teacher forcing): the multimodal-attention network against
  the DSTC7 baseline network, and the L_JST step (teacher and student) against the cross
  entropy step.

Inputs are random, shaped like AVSD turns: I3D rgb and flow (``--frames`` x 2048), VGGish
(``--frames`` / 6 x 128), nine history pairs of 12 words, questions of 8 and answers of 10
words. Sizes: the table's (``--width 32``, projections 64/64/32) or the paper's
(``--paper``: embedding 200, BLSTM 256, projections 512/512/64, attention 128, fusion 256,
decoder 512, 3,910 words). Times are the best of --repeats runs, one torch thread.

Run: .venv/bin/python tests/benchmarks/bench_answer.py [--turns 64] [--paper]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from avtool.testing.timing import best_of


def _examples(n: int, vocab: int, frames: int, seed: int = 0):
    from avtool.tasks.dialog.data import TurnExample, TurnText
    from avtool.tasks.dialog.vocab import EOS

    rng = np.random.default_rng(seed)

    def words(k: int) -> tuple[int, ...]:
        return tuple(int(w) for w in rng.integers(4, vocab, size=k))

    out = []
    for i in range(n):
        text = TurnText(f"v{i}", 9, words(8), words(10),
                        tuple(words(12) + (EOS,) for _ in range(9)), words(20))
        feats = (rng.normal(size=(frames, 2048)).astype(np.float32),
                 rng.normal(size=(frames, 2048)).astype(np.float32),
                 rng.normal(size=(max(1, frames // 6), 128)).astype(np.float32))
        out.append(TurnExample(text, feats))
    return out


def _config(architecture: str, args, vocab: int):
    from avtool.tasks.dialog.config import net_config

    streams = {"i3d_rgb": 2048, "i3d_flow": 2048, "vggish": 128}
    if architecture == "dstc7-baseline":
        streams = {"i3d_rgb": 2048, "i3d_flow": 2048}
    if args.paper:
        return net_config(architecture, vocab, streams)
    w = args.width
    proj = (64, 64, 32)[:len(streams)]
    return net_config(architecture, vocab, streams, proj, embedding=w, hidden=w, attention=w,
                      fusion=2 * w, decoder=2 * w, decoder_layers=1)


def _step_time(model, batch, loss_fn, repeats: int) -> float:
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], 1e-3)
    model.train()

    def step():
        optimizer.zero_grad()
        loss_fn(model, batch).backward()
        optimizer.step()

    step()  # warm-up
    return best_of(step, repeats)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=64, help="turns answered")
    ap.add_argument("--batch", type=int, default=32, help="turns decoded together")
    ap.add_argument("--frames", type=int, default=60, help="I3D rows per video (AVSD ~180)")
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--paper", action="store_true", help="the paper's sizes")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from avtool.tasks.dialog.batch import collate
    from avtool.tasks.dialog.build import build_net
    from avtool.tasks.dialog.decoding import beam_search
    from avtool.tasks.dialog.losses import (
        StudentTeacher,
        combine,
        cross_entropy,
        student_teacher_terms,
    )

    vocab = 3910 if args.paper else 200
    torch.manual_seed(0)
    net = build_net(_config("multimodal-attention", args, vocab)).eval()
    examples = _examples(args.turns, vocab, args.frames)
    sizes = "paper" if args.paper else f"width {args.width}"
    print(f"dialog networks, {sizes}, vocabulary {vocab}, {args.frames} I3D rows, "
          f"{torch.get_num_threads()} thread(s)")

    def batched():
        out = []
        for lo in range(0, len(examples), args.batch):
            out += beam_search(net, collate(examples[lo:lo + args.batch]), beam=5)
        return out

    def one_by_one():
        return [beam_search(net, collate([e]), beam=5)[0] for e in examples]

    t_batched, hyps = best_of(batched, args.repeats)
    t_single, reference = best_of(one_by_one, args.repeats)
    same = sum(h.tokens == r.tokens for h, r in zip(hyps, reference, strict=True))
    words = sum(len(h.tokens) for h in hyps) / len(hyps)
    print(f"beam 5 answers ({words:.1f} words on average, untrained weights): {same}/{len(hyps)} "
          "identical to one-turn-at-a-time decoding")
    print(f"  avtool (batches of {args.batch}): {len(hyps) / t_batched:8.1f} answers/s")
    print(f"  one turn at a time (DSTC7 baseline's loop): {len(hyps) / t_single:8.1f} answers/s"
          f"  -> {t_single / t_batched:.1f}x")

    batch = collate(examples[:64], with_description=True)
    ce = lambda m, b: cross_entropy(m(b)[0], b.target)  # noqa: E731
    t_mma = _step_time(build_net(_config("multimodal-attention", args, vocab)), batch, ce,
                       args.repeats)
    base = collate([type(e)(e.text, e.features[:2]) for e in examples[:64]])
    t_base = _step_time(build_net(_config("dstc7-baseline", args, vocab)), base, ce,
                        args.repeats)
    pair = StudentTeacher(build_net(_config("multimodal-attention", args, vocab)),
                          build_net(_config("multimodal-attention", args, vocab)), joint=True)
    t_jst = _step_time(pair, batch, lambda m, b: combine(student_teacher_terms(m, b), "jst",
                                                          1.0), args.repeats)
    print("training step, batch 64 (forward, backward, Adam):")
    print(f"  dstc7-baseline (reference):        {t_base * 1000:8.0f} ms")
    print(f"  multimodal-attention, CE:          {t_mma * 1000:8.0f} ms  ({t_mma / t_base:.1f}x "
          "the baseline)")
    print(f"  multimodal-attention, L_JST (2 nets): {t_jst * 1000:5.0f} ms  ({t_jst / t_mma:.1f}x "
          "the CE step)")


if __name__ == "__main__":
    main()
