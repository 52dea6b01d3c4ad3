"""Benchmark: avtool's WER and caption metrics against straightforward reference implementations.

WER+CER on 100,000 utterances: ``avtool.metrics.text.error_rates`` (word and character counts
per utterance, alignments; jiwer's rapidfuzz alignment) against jiwer ``process_words`` +
``process_characters`` (a) once per utterance in a Python loop and (b) once on the whole corpus,
and (c) a plain Python Levenshtein on words. Captioning on 10,000
hypotheses x 5 references: ``avtool.metrics.captioning`` against pycocoevalcap's BLEU, ROUGE-L
and CIDEr-D scorers (the code DSTC7-AVSD scores with). Results are checked equal; ratios are
reference time / avtool time (higher = avtool faster). Run: .venv/bin/python
tests/benchmarks/bench_text_metrics.py [--quick]
"""

from __future__ import annotations

import random
import sys
import time

import numpy as np

from avtool.testing.transcripts import random_transcripts


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _corpus(n: int, seed: int = 0):
    vocab = [f"w{k}" for k in range(2000)] + ["the", "a", "is", "and", "of"] * 40
    return random_transcripts(n, seed, vocab, max_words=25, max_edits=4, min_words=3,
                              prefix="utt")


def _levenshtein(a, b) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def bench_wer(n: int) -> list[tuple]:
    import jiwer

    from avtool.metrics.text import error_rates

    refs, hyps = _corpus(n)
    ids = list(refs)
    res, t_avtool = _timed(lambda: error_rates(refs, hyps, normalize="none"))

    def jiwer_loop():
        s = d = i = h = ce = cn = 0
        for u in ids:
            o = jiwer.process_words(refs[u], hyps[u])
            s, d, i, h = s + o.substitutions, d + o.deletions, i + o.insertions, h + o.hits
            c = jiwer.process_characters(refs[u], hyps[u])
            ce += c.substitutions + c.deletions + c.insertions
            cn += c.substitutions + c.deletions + c.hits
        return (s + d + i) / (s + d + h) * 100, 100 * ce / cn

    (wer_loop, cer_loop), t_loop = _timed(jiwer_loop)

    def jiwer_batch():
        r, h = [refs[u] for u in ids], [hyps[u] for u in ids]
        return (100 * jiwer.process_words(r, h).wer, 100 * jiwer.process_characters(r, h).cer)

    (wer_batch, cer_batch), t_batch = _timed(jiwer_batch)

    def plain():
        errors = sum(_levenshtein(refs[u].split(), hyps[u].split()) for u in ids)
        return 100 * errors / sum(len(refs[u].split()) for u in ids)

    wer_plain, t_plain = _timed(plain)
    for w in (wer_loop, wer_batch, wer_plain):
        assert abs(res.wer - w) < 1e-9, (res.wer, w)
    assert abs(res.cer - cer_loop) < 1e-9 and abs(res.cer - cer_batch) < 1e-9
    label = f"WER+CER, {n:,} utterances"
    return [(label, "avtool error_rates (+ per-utt counts, alignments)", t_avtool, 1.0),
            ("", "jiwer words+chars, per utterance in a loop", t_loop, t_loop / t_avtool),
            ("", "jiwer words+chars, one call on the corpus", t_batch, t_batch / t_avtool),
            ("", "plain Python Levenshtein (WER only)", t_plain, t_plain / t_avtool)]


def bench_captions(n: int) -> list[tuple]:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    from avtool.metrics.captioning import bleu_and_cider, caption_scores, rouge_l

    rng = random.Random(1)
    vocab = [f"w{k}" for k in range(1500)] + "yes no he she is the a cup dog".split() * 30

    def sent():
        return " ".join(rng.choice(vocab) for _ in range(rng.randint(2, 14)))
    ids = [f"v{k}_{k % 10}" for k in range(n)]
    refs = {i: [sent() for _ in range(5)] for i in ids}
    hyps = {i: refs[i][0] if rng.random() < 0.1 else sent() for i in ids}
    gts = refs
    res = {i: [hyps[i]] for i in ids}
    h_tok = [hyps[i].split() for i in ids]
    r_tok = [[r.split() for r in refs[i]] for i in ids]

    (counts, cider_items), t_bc = _timed(lambda: bleu_and_cider(h_tok, r_tok))
    (rouge, _), t_rouge = _timed(lambda: rouge_l(h_tok, r_tok))
    full, t_full = _timed(lambda: caption_scores(hyps, refs, tokenizer="whitespace",
                                                 meteor=False))
    _, t_full_ptb = _timed(lambda: caption_scores(hyps, refs, tokenizer="ptb", meteor=False))
    (coco_bleu, _), t_cb = _timed(lambda: Bleu(4).compute_score(gts, res, verbose=0))
    (coco_rouge, _), t_cr = _timed(lambda: Rouge().compute_score(gts, res))
    (coco_cider, _), t_cc = _timed(lambda: Cider().compute_score(gts, res))
    assert np.allclose(counts.scores(), coco_bleu, atol=1e-9)
    assert abs(rouge - coco_rouge) < 1e-12 and abs(cider_items.mean() - coco_cider) < 1e-9
    assert abs(full.cider - coco_cider) < 1e-9
    t_coco = t_cb + t_cr + t_cc
    label = f"captions, {n:,} hyps x 5 refs"
    return [(label, "avtool BLEU+CIDEr-D (one n-gram pass)", t_bc, (t_cb + t_cc) / t_bc),
            ("", "pycocoevalcap Bleu + Cider", t_cb + t_cc, 1.0),
            ("", "avtool ROUGE-L (bit-parallel LCS)", t_rouge, t_cr / t_rouge),
            ("", "pycocoevalcap Rouge", t_cr, 1.0),
            ("", "avtool caption_scores, whitespace tokens", t_full, t_coco / t_full),
            ("", "avtool caption_scores, ptb tokenizer", t_full_ptb, t_coco / t_full_ptb),
            ("", "pycocoevalcap Bleu + Rouge + Cider", t_coco, 1.0)]


def main() -> None:
    quick = "--quick" in sys.argv
    rows = bench_wer(10_000 if quick else 100_000)
    rows += bench_captions(1_000 if quick else 10_000)
    print(f"{'benchmark':30s} {'implementation':50s} {'seconds':>8s} {'speed-up':>9s}")
    for bench, impl, secs, ratio in rows:
        print(f"{bench:30s} {impl:50s} {secs:8.2f} {ratio:8.1f}x")
    print("speed-up = reference seconds / avtool seconds (rows marked 1.0x are references)")


if __name__ == "__main__":
    main()
