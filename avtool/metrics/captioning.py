"""Caption / dialog-answer metrics of MS-COCO and DSTC7-AVSD: BLEU-1..4, ROUGE-L, CIDEr-D (+METEOR).

Semantics are those of coco-caption (pycocoevalcap 1.2), which DSTC7-AVSD scores with; the
digest avsd-004 §4.2 gives them and its golden vectors pin them (1e-6). Response j has one
tokenised hypothesis h_j and references R_j (one or more):

* **BLEU-n**, corpus level and cumulative: for m = 1..4, correct_m = Σ_j Σ_g min(count_h(g),
  max_{r∈R_j} count_r(g)) and guess_m = Σ_j max(0, |h_j| − m + 1); p_m = (correct_m + 1e-15) /
  (guess_m + 1e-9); BLEU-n = (Π_{m≤n} p_m)^{1/n} · BP, BP = exp(1 − r/c) when c < r, with
  c = Σ|h_j| and r = Σ_j the length of the reference closest to |h_j| (ties: the shorter).
  No other smoothing: a corpus without 4-gram matches gets BLEU-4 ≈ 0 (1e-15 over 1e-9).
* **ROUGE-L**: per response, P = max_r LCS/|h|, R = max_r LCS/|r| (maxima taken separately),
  F = (1 + β²)PR / (R + β²P) with β = 1.2 (0 when P or R is 0); corpus = mean over responses.
  coco splits on single spaces, so an empty sentence is one empty token: an empty hypothesis
  scores 0 against non-empty references and 1 against an empty one (kept).
* **CIDEr** (coco's "CIDEr", i.e. CIDEr-D): n = 1..4; weights tf(g)·(log N − log max(1, df(g)))
  where N is the number of responses and df(g) the number of responses whose references contain
  g (IDF from the evaluated references themselves). Per order and reference:
  Σ_g min(v_h(g), v_r(g))·v_r(g) / (‖v_h‖‖v_r‖) (0 if a norm is 0) × exp(−δ²/(2σ²)),
  σ = 6, δ = difference of the two sentences' **bigram** counts (coco's ``counts2vec`` quirk);
  mean over n, mean over references, ×10; corpus = mean over responses. So CIDEr can exceed 1,
  depends on the whole evaluated set, is 0 for a single response (log 1 = 0) and gives weight
  0 to an n-gram present in every response's references.
* **METEOR 1.5**: the official jar, see ``avtool.metrics.meteor`` (None when unavailable).

Pairing is by id (never by order); a reference id without hypothesis is a ``ValueError``; a
hypothesis id without references is ignored and listed in ``extra_hypotheses``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from avtool.errors import FormatError
from avtool.metrics.tokenizers import DEFAULT_TOKENIZER, get_tokenizer

BLEU_ORDER = 4
CIDER_ORDER = 4
CIDER_SIGMA = 6.0
ROUGE_BETA = 1.2
_TINY, _SMALL = 1e-15, 1e-9


# ------------------------------------------------------------------------- n-gram tables
def _ngram_tables(sentences: Sequence[Sequence[str]], order: int):
    """Per order m: (sentence index, gram id, count) triplets sorted by sentence then gram,
    and the number of distinct m-grams. Grams are integer ids (exact, no hashing)."""
    vocab: dict[str, int] = {}
    lens = np.fromiter((len(s) for s in sentences), dtype=np.int64, count=len(sentences))
    tok = np.fromiter((vocab.setdefault(w, len(vocab)) for s in sentences for w in s),
                      dtype=np.int64, count=int(lens.sum()))
    sid = np.repeat(np.arange(len(sentences), dtype=np.int64), lens)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    remaining = lens[sid] - (np.arange(tok.size, dtype=np.int64) - starts[sid])
    v = max(len(vocab), 1)
    code = tok.copy()
    tables = []
    for m in range(1, order + 1):
        idx = np.nonzero(remaining >= m)[0]
        if m == 1:
            g, n_grams = code[idx], v
        else:
            uniq, inv = np.unique(code[idx] * v + tok[idx + m - 1], return_inverse=True)
            code = np.full(tok.size, -1, dtype=np.int64)
            code[idx] = inv
            g, n_grams = code[idx], max(len(uniq), 1)
        key, cnt = np.unique(sid[idx] * n_grams + g, return_counts=True)
        tables.append((key // n_grams, key % n_grams, cnt.astype(np.float64), n_grams))
    return tables, lens


def _sum_by(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Float sums of weights per index (np.bincount, which is int for empty input)."""
    return np.bincount(index, weights, minlength=size).astype(np.float64, copy=False)


def _lookup(sorted_keys: np.ndarray, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """values at keys found in sorted_keys, 0 where absent."""
    if sorted_keys.size == 0:
        return np.zeros(keys.size)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return np.where(sorted_keys[pos] == keys, values[pos], 0.0)


@dataclass(frozen=True)
class BleuCounts:
    correct: tuple[int, ...]
    guess: tuple[int, ...]
    hypothesis_length: int
    reference_length: int

    @property
    def brevity_penalty(self) -> float:
        ratio = (self.hypothesis_length + _TINY) / (self.reference_length + _SMALL)
        return math.exp(1.0 - 1.0 / ratio) if ratio < 1.0 else 1.0

    def scores(self) -> tuple[float, ...]:
        out, prod = [], 1.0
        for k, (c, g) in enumerate(zip(self.correct, self.guess, strict=True)):
            prod *= (c + _TINY) / (g + _SMALL)
            out.append(prod ** (1.0 / (k + 1)))
        bp = self.brevity_penalty
        return tuple(s * bp for s in out)


def _group_refs(refs: Sequence[Sequence[Sequence[str]]]):
    n_refs = np.array([len(r) for r in refs], dtype=np.int64)
    if n_refs.size and n_refs.min() < 1:
        raise ValueError("every hypothesis needs at least one reference")
    resp = np.repeat(np.arange(len(refs), dtype=np.int64), n_refs)
    return n_refs, resp


def bleu_and_cider(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[Sequence[str]]],
                   sigma: float = CIDER_SIGMA) -> tuple[BleuCounts, np.ndarray]:
    """Corpus BLEU counts and per-response CIDEr-D of tokenised sentences (one n-gram pass)."""
    n = len(hyps)
    if n != len(refs):
        raise ValueError(f"{n} hypotheses but {len(refs)} reference sets")
    if n == 0:
        raise ValueError("no hypothesis to score")
    n_refs, resp = _group_refs(refs)
    flat_refs = [r for rs in refs for r in rs]
    tables, lens = _ngram_tables(list(hyps) + flat_refs, max(BLEU_ORDER, CIDER_ORDER))
    hyp_len, ref_len = lens[:n], lens[n:]
    # closest reference length, ties -> shorter
    big = np.int64(1 << 32)
    dist = np.abs(ref_len - hyp_len[resp]) * big + ref_len
    ref_starts = np.concatenate([[0], np.cumsum(n_refs)[:-1]])
    closest = np.minimum.reduceat(dist, ref_starts) % big

    log_n = math.log(float(n))
    cider_val = np.zeros(resp.size)
    correct, guess = [], []
    for m, (s, g, c, n_grams) in enumerate(tables, 1):
        is_hyp = s < n
        hs, hg, hc = s[is_hyp], g[is_hyp], c[is_hyp]
        rs, rg, rc = s[~is_hyp] - n, g[~is_hyp], c[~is_hyp]
        rj = resp[rs]
        # max reference count per (response, gram); df = responses whose refs hold the gram
        uk, inv = np.unique(rj * n_grams + rg, return_inverse=True)
        max_ref = np.zeros(uk.size)
        np.maximum.at(max_ref, inv, rc)
        hkey = hs * n_grams + hg
        if m <= BLEU_ORDER:
            correct.append(int(np.minimum(hc, _lookup(uk, max_ref, hkey)).sum()))
            guess.append(int(np.maximum(hyp_len - m + 1, 0).sum()))
        if m <= CIDER_ORDER:
            df = np.bincount(uk % n_grams, minlength=n_grams).astype(np.float64)
            idf = log_n - np.log(np.maximum(df, 1.0))
            wh, wr = hc * idf[hg], rc * idf[rg]
            norm_h = np.sqrt(_sum_by(hs, wh * wh, n))
            norm_r = np.sqrt(_sum_by(rs, wr * wr, resp.size))
            vh = _lookup(hkey, wh, rj * n_grams + rg)
            val = _sum_by(rs, np.minimum(vh, wr) * wr, resp.size)
            denom = norm_h[resp] * norm_r
            ok = denom != 0
            val[ok] /= denom[ok]
            cider_val += val
    delta = (np.maximum(hyp_len - 1, 0)[resp] - np.maximum(ref_len - 1, 0)).astype(np.float64)
    per_ref = cider_val * np.exp(-(delta ** 2) / (2 * sigma ** 2)) / CIDER_ORDER
    cider = _sum_by(resp, per_ref, n) / n_refs * 10.0
    counts = BleuCounts(tuple(correct), tuple(guess), int(hyp_len.sum()), int(closest.sum()))
    return counts, cider


def bleu(hyps, refs) -> tuple[float, ...]:
    """Corpus BLEU-1..4 (coco-caption) of tokenised sentences."""
    return bleu_and_cider(hyps, refs)[0].scores()


def cider_d(hyps, refs, sigma: float = CIDER_SIGMA) -> tuple[float, np.ndarray]:
    """(corpus CIDEr-D, per-response scores) of tokenised sentences."""
    per = bleu_and_cider(hyps, refs, sigma)[1]
    return float(per.mean()), per


# ------------------------------------------------------------------------------- ROUGE-L
def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (bit-parallel, Hyyrö 2004; exact)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, t in enumerate(a):
        masks[t] = masks.get(t, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for t in b:
        u = v & masks.get(t, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def rouge_l(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[Sequence[str]]],
            beta: float = ROUGE_BETA) -> tuple[float, np.ndarray]:
    """(corpus ROUGE-L, per-response F) with coco's rules (see the module docstring)."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} reference sets")
    if not hyps:
        raise ValueError("no hypothesis to score")
    b2 = beta * beta
    out = np.zeros(len(hyps))
    for k, (h, rs) in enumerate(zip(hyps, refs, strict=True)):
        h = list(h) or [""]
        p_max = r_max = 0.0
        for r in rs:
            r = list(r) or [""]
            lcs = lcs_length(h, r)
            p_max = max(p_max, lcs / len(h))
            r_max = max(r_max, lcs / len(r))
        if p_max and r_max:
            out[k] = (1 + b2) * p_max * r_max / (r_max + b2 * p_max)
    return float(out.mean()), out


# ----------------------------------------------------------------------- DSTC7 stop words
DSTC7_STOPWORDS = ",\n.\n"
"""The DSTC7-AVSD baseline's ``data/stopwords.txt`` (two lines: ``,`` and ``.``)."""


@dataclass(frozen=True)
class StopwordFilter:
    """The DSTC7-AVSD ``stopword_filter.py`` rule, applied to each whitespace token before
    tokenisation: a line ``w`` deletes a token matching the regular expression ``^w$``, a line
    ``w x`` rewrites it to ``x``; the first pattern that changes a token wins. The patterns are
    regular expressions, so the official file's ``.`` line deletes EVERY one-character token
    (``a``, ``i``), not only periods: a quirk of the official scoring, reproduced.
    """

    name: str
    sha1: str
    rules: tuple[tuple[str, str], ...]

    @classmethod
    def from_text(cls, text: str, name: str) -> StopwordFilter:
        """The filter of a stop-word file's `text` (``DSTC7_STOPWORDS``: the baseline's);
        `name` labels it in results. `avtool.tasks.dialog.evaluate.load_stopwords` reads one."""
        rules = []
        for lineno, line in enumerate(text.splitlines(), 1):
            fields = line.split()
            if len(fields) in (1, 2):
                try:
                    re.compile(fields[0])
                except re.error as err:
                    raise FormatError(
                        f"{name}:{lineno}: bad pattern {fields[0]!r} ({err})") from None
                rules.append((fields[0], fields[1] if len(fields) == 2 else ""))
        return cls(name, hashlib.sha1(text.encode("utf-8")).hexdigest(), tuple(rules))

    def __call__(self, sentence: str) -> str:
        compiled = [(re.compile(f"^{p}$"), r) for p, r in self.rules]
        kept = []
        for word in sentence.split():
            target = word
            for pattern, repl in compiled:
                new = pattern.sub(repl, word)
                if new != word:
                    target = new
                    break
            if target:
                kept.append(target)
        return " ".join(kept)

    def to_dict(self) -> dict:
        return {"name": self.name, "sha1": self.sha1, "rules": len(self.rules)}


# --------------------------------------------------------------------------- the whole set
@dataclass(frozen=True)
class CaptionScores:
    """Corpus caption metrics, per-item scores, counts and every parameter used."""

    ids: tuple[str, ...]
    bleu: tuple[float, ...]
    bleu_counts: BleuCounts
    rouge_l: float
    cider: float
    meteor: float | None
    meteor_note: str
    rouge_l_items: tuple[float, ...]
    cider_items: tuple[float, ...]
    meteor_items: tuple[float, ...] | None
    n_references: int
    tokenizer: str
    stopwords: StopwordFilter | None = None
    stopwords_on: str = "both"
    extra_hypotheses: tuple[str, ...] = ()

    def to_dict(self, per_item: bool = False) -> dict:
        out: dict = {f"BLEU-{k}": v for k, v in enumerate(self.bleu, 1)}
        out.update({"METEOR": self.meteor, "ROUGE-L": self.rouge_l, "CIDEr": self.cider})
        bc = self.bleu_counts
        out.update({
            "hypotheses": len(self.ids), "references": self.n_references,
            "tokenizer": self.tokenizer,
            "stopwords": None if self.stopwords is None else {
                **self.stopwords.to_dict(), "applied_to": self.stopwords_on},
            "meteor_note": self.meteor_note,
            "bleu_counts": {"correct": list(bc.correct), "guess": list(bc.guess),
                            "hypothesis_length": bc.hypothesis_length,
                            "reference_length": bc.reference_length,
                            "brevity_penalty": bc.brevity_penalty},
            "parameters": {"bleu": "corpus, cumulative, closest ref length, 1e-15/1e-9",
                           "rouge_l_beta": ROUGE_BETA, "cider_sigma": CIDER_SIGMA,
                           "cider_n": CIDER_ORDER, "cider_df": "evaluated references"},
            "extra_hypotheses": list(self.extra_hypotheses),
        })
        if per_item:
            out["items"] = [
                {"id": i, "ROUGE-L": r, "CIDEr": c,
                 "METEOR": None if self.meteor_items is None else self.meteor_items[k]}
                for k, (i, r, c) in enumerate(zip(self.ids, self.rouge_l_items,
                                                  self.cider_items, strict=True))]
        return out


def caption_scores(
    hypotheses: Mapping[str, str],
    references: Mapping[str, Sequence[str]],
    tokenizer: str = DEFAULT_TOKENIZER,
    stopwords: StopwordFilter | None = None,
    stopwords_on: str = "both",
    meteor: bool = True,
) -> CaptionScores:
    """Score raw hypothesis strings against raw references, paired by id.

    Args:
        hypotheses: id -> one hypothesis.
        references: id -> one or more references; its order is the report order.
        tokenizer: ``ptb`` (Python coco/PTB), ``ptb-java`` (the official jar) or ``whitespace``.
        stopwords: a DSTC7 stop-word filter applied before tokenisation.
        stopwords_on: ``"both"`` (hypotheses and references: the DSTC7 baseline's prototype
            scoring, get_hypotheses.py -s + get_annotation.py -s) or ``"hyp"`` (hypotheses
            only: the official test's dstc7avsd_eval.sh against the given multiref file).
        meteor: compute METEOR 1.5 with the official jar when java and pycocoevalcap are
            present; otherwise (or when False) METEOR is None and ``meteor_note`` says why.

    Raises:
        ValueError: a reference id has no hypothesis, a reference set is empty, or there is
            no reference at all.
    """
    ids = list(references)
    missing = [i for i in ids if i not in hypotheses]
    if missing:
        raise ValueError(f"{len(missing)} of {len(ids)} reference ids have no hypothesis "
                         f"(e.g. {', '.join(missing[:3])}); partial sets are not scored")
    empty = [i for i in ids if not references[i]]
    if empty or not ids:
        raise ValueError("no reference to score against" if not ids else
                         f"reference id {empty[0]!r} has no reference sentence")
    extra = tuple(i for i in hypotheses if i not in references)
    if stopwords_on not in ("both", "hyp"):
        raise ValueError(f"stopwords_on must be 'both' or 'hyp', not {stopwords_on!r}")
    prep_h = stopwords if stopwords is not None else (lambda s: s)
    prep_r = prep_h if stopwords_on == "both" else (lambda s: s)
    tok = get_tokenizer(tokenizer)
    hyp_tokens = tok([prep_h(hypotheses[i]) for i in ids])
    flat = tok([prep_r(r) for i in ids for r in references[i]])
    refs_tokens, pos = [], 0
    for i in ids:
        refs_tokens.append(flat[pos: pos + len(references[i])])
        pos += len(references[i])
    counts, cider_items = bleu_and_cider(hyp_tokens, refs_tokens)
    rouge, rouge_items = rouge_l(hyp_tokens, refs_tokens)
    meteor_score = meteor_items = None
    if meteor:
        from avtool.metrics import meteor as meteor_mod

        note = meteor_mod.unavailable_reason()
        if not note:
            meteor_score, items = meteor_mod.shared_scorer().score(
                [" ".join(h) for h in hyp_tokens],
                [[" ".join(r) for r in rs] for rs in refs_tokens])
            meteor_items = tuple(items)
            note = meteor_mod.DESCRIPTION
    else:
        note = "not computed (disabled)"
    return CaptionScores(
        tuple(ids), counts.scores(), counts, rouge, float(cider_items.mean()), meteor_score,
        note, tuple(float(x) for x in rouge_items), tuple(float(x) for x in cider_items),
        meteor_items, len(flat), tokenizer, stopwords, stopwords_on, extra)
