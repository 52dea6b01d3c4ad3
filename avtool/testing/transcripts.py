"""Random reference/hypothesis pairs with known edit operations, for WER tests and benchmarks."""

from __future__ import annotations

import random


def random_transcripts(n: int, seed: int, vocab: list[str], max_words: int, max_edits: int,
                       min_words: int = 1, prefix: str = "u"
                       ) -> tuple[dict[str, str], dict[str, str]]:
    """`n` references of `min_words`..`max_words` words from `vocab`, and hypotheses made by
    up to `max_edits` random substitutions, deletions and insertions each."""
    rng = random.Random(seed)
    refs, hyps = {}, {}
    for k in range(n):
        ref = [rng.choice(vocab) for _ in range(rng.randint(min_words, max_words))]
        hyp = list(ref)
        for _ in range(rng.randint(0, max_edits)):
            op = rng.random()
            if op < 0.33 and hyp:
                hyp[rng.randrange(len(hyp))] = rng.choice(vocab)
            elif op < 0.66 and hyp:
                del hyp[rng.randrange(len(hyp))]
            else:
                hyp.insert(rng.randint(0, len(hyp)), rng.choice(vocab))
        refs[f"{prefix}{k}"], hyps[f"{prefix}{k}"] = " ".join(ref), " ".join(hyp)
    return refs, hyps
