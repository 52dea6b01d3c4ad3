"""Word and character error rates (WER, CER, MER, WIL) of a corpus, with jiwer's alignments.

Definitions (AVATAR, Gabeur thesis §5.4.1; digest retrieval-asr-002 §8.5): each utterance's
hypothesis is aligned to its reference by a minimum-edit (Levenshtein) alignment after the same
normalisation of both (``avtool.metrics.normalize``); substitutions S, deletions D, insertions I
and hits H are **summed over the corpus** and

* ``WER = (S + D + I) / N_ref`` with ``N_ref = H + S + D`` the total number of reference words
  (corpus level, not the mean of per-utterance WERs; it can exceed 100 %);
* ``CER``: the same on characters of the normalised, single-spaced strings, spaces included;
* ``MER = (S + D + I) / (H + S + D + I)``;
* ``WIL = 1 − (H / N_ref) · (H / N_hyp)`` (0 hypothesis words: WIL 100 %).

All four are reported in **percent**. The alignments are jiwer's: jiwer 4's ``process_words``
maps words to integer ids and takes ``rapidfuzz.distance.Levenshtein.opcodes`` of each pair;
avtool makes exactly that call itself (characters: the same call on the strings), because
jiwer's corpus entry point spends most of its time validating and wrapping (in jiwer 4.0 one
``process_words`` call on 100,000 utterances is slower than a Python loop over them; see
tests/benchmarks/bench_text_metrics.py). tests/metrics/test_text_metrics.py checks S, D, I,
WER, CER, MER and WIL against jiwer itself. When several minimum alignments exist, the split
between S, D and I is rapidfuzz's (= jiwer's) choice; S + D + I is not ambiguous.

Edge cases (pinned by tests/metrics/test_text_metrics.py):

* A reference utterance without hypothesis counts as an empty hypothesis (all its words are
  deletions) and is listed in ``missing_hypotheses``; a hypothesis id absent from the
  references is not scored and is listed in ``extra_hypotheses``.
* An empty reference utterance contributes its hypothesis words as insertions and 0 reference
  words; its own WER is undefined (``None``).
* A corpus (or a category) with no reference word at all has undefined WER: ``ValueError`` for
  the corpus, ``None`` for a category.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

from avtool.metrics.normalize import DEFAULT_PRESET, Normalizer, get_normalizer


class Counts(NamedTuple):
    """Edit counts over some utterances (words or characters); immutable."""

    hits: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    hypothesis_len: int = 0

    @property
    def reference_len(self) -> int:
        return self.hits + self.substitutions + self.deletions

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    def error_rate(self) -> float | None:
        """(S + D + I) / N_ref in percent; None when there is no reference token."""
        n = self.reference_len
        return None if n == 0 else 100.0 * self.errors / n


class Utterance(NamedTuple):
    """One scored utterance (immutable): word and character counts, and its word alignment.

    ``ops`` has one entry per aligned position: ``"="`` hit, ``"S"``, ``"D"`` (reference word,
    no hypothesis word) or ``"I"`` (hypothesis word, no reference word); ``ref_words`` and
    ``hyp_words`` are the normalised words.
    """

    utt_id: str
    words: Counts
    chars: Counts
    ref_words: tuple[str, ...]
    hyp_words: tuple[str, ...]
    ops: str
    missing: bool = False
    category: str | None = None

    @property
    def wer(self) -> float | None:
        return self.words.error_rate()

    def aligned_pairs(self) -> list[tuple[str | None, str | None, str]]:
        """[(reference word or None, hypothesis word or None, op)] in alignment order."""
        out, i, j = [], 0, 0
        for op in self.ops:
            if op == "I":
                out.append((None, self.hyp_words[j], op))
                j += 1
            elif op == "D":
                out.append((self.ref_words[i], None, op))
                i += 1
            else:
                out.append((self.ref_words[i], self.hyp_words[j], op))
                i += 1
                j += 1
        return out

    def to_dict(self) -> dict:
        pairs = self.aligned_pairs()
        return {
            "id": self.utt_id, "category": self.category, "missing": self.missing,
            "wer": self.wer, "substitutions": self.words.substitutions,
            "deletions": self.words.deletions, "insertions": self.words.insertions,
            "reference_words": self.words.reference_len,
            "ref": [r for r, _, _ in pairs], "hyp": [h for _, h, _ in pairs],
            "ops": list(self.ops),
        }


def _rates(words: Counts, chars: Counts) -> dict:
    if words.reference_len == 0:
        wil = None
    elif words.hypothesis_len == 0:
        wil = 100.0
    else:
        wip = (words.hits / words.reference_len) * (words.hits / words.hypothesis_len)
        wil = 100.0 * (1.0 - wip)
    total = words.hits + words.errors
    return {
        "wer": words.error_rate(),
        "cer": chars.error_rate(),
        "mer": None if total == 0 else 100.0 * words.errors / total,
        "wil": wil,
        "substitutions": words.substitutions, "deletions": words.deletions,
        "insertions": words.insertions, "hits": words.hits,
        "reference_words": words.reference_len, "hypothesis_words": words.hypothesis_len,
        "char_substitutions": chars.substitutions, "char_deletions": chars.deletions,
        "char_insertions": chars.insertions, "reference_chars": chars.reference_len,
    }


@dataclass(frozen=True)
class WerResult:
    """Corpus WER/CER/MER/WIL (percent) with every count, per-utterance details, categories."""

    words: Counts
    chars: Counts
    utterances: tuple[Utterance, ...]
    normalization: Normalizer
    missing_hypotheses: tuple[str, ...] = ()
    extra_hypotheses: tuple[str, ...] = ()
    categories: tuple[tuple[str, Counts, Counts, int], ...] = field(default=())

    @property
    def wer(self) -> float:
        return self.words.error_rate()  # never None: checked at construction

    @property
    def cer(self) -> float:
        return self.chars.error_rate()

    def to_dict(self, alignments: bool = False) -> dict:
        out = _rates(self.words, self.chars)
        out.update({
            "units": "percent",
            "utterances": len(self.utterances),
            "normalization": self.normalization.name,
            "normalization_steps": list(self.normalization.steps),
            "missing_hypotheses": list(self.missing_hypotheses),
            "extra_hypotheses": list(self.extra_hypotheses),
        })
        if self.categories:
            out["categories"] = {
                name: {**_rates(w, c), "utterances": n} for name, w, c, n in self.categories}
        if alignments:
            out["alignments"] = [u.to_dict() for u in self.utterances]
        return out


_OP_CHAR = {"equal": "=", "replace": "S", "delete": "D", "insert": "I"}


def _counts(a, b) -> tuple[int, int, int, int, str]:
    """(hits, S, D, I, ops) of rapidfuzz's minimum-edit alignment of two sequences."""
    h = sub = d = i = 0
    ops = []
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(a, b):
        n = j2 - j1 if tag == "insert" else i2 - i1
        if tag == "equal":
            h += n
        elif tag == "replace":
            sub += n
        elif tag == "delete":
            d += n
        else:
            i += n
        ops.append(_OP_CHAR[tag] * n)
    return h, sub, d, i, "".join(ops)


def _total(counts: Sequence[Counts]) -> Counts:
    return Counts(*(sum(col) for col in zip(*counts, strict=True))) if counts else Counts()


def error_rates(
    references: Mapping[str, str],
    hypotheses: Mapping[str, str],
    normalize: str | Normalizer = DEFAULT_PRESET,
    categories: Mapping[str, str] | None = None,
) -> WerResult:
    """Score hypotheses against references, matched by utterance id.

    Args:
        references: utterance id -> reference text; its order is the report order.
        hypotheses: utterance id -> hypothesis text.
        normalize: a preset name, a ``+``-joined list of transforms, or a ``Normalizer``.
        categories: utterance id -> category (e.g. a noise condition) for a per-category
            breakdown; it must cover every reference id (extra ids are ignored).

    Returns:
        WerResult (rates in percent).

    Raises:
        ValueError: no reference word in the whole corpus, or ``categories`` lacks some
            reference ids (the message names how many and a few).
    """
    norm = get_normalizer(normalize)
    ids = list(references)
    missing = tuple(u for u in ids if u not in hypotheses)
    extra = tuple(u for u in hypotheses if u not in references)
    if categories is not None:
        lacking = [u for u in ids if u not in categories]
        if lacking:
            raise ValueError(
                f"categories lack {len(lacking)} of {len(ids)} reference ids "
                f"(e.g. {', '.join(lacking[:3])})")
    ref_text = [norm(references[u]) for u in ids]
    hyp_text = [norm(hypotheses.get(u, "")) for u in ids]
    if not ids or not any(ref_text):
        raise ValueError(
            f"the references contain no word after normalisation {norm.name!r}: WER is undefined")

    ref_words = [tuple(t.split()) for t in ref_text]
    hyp_words = [tuple(t.split()) for t in hyp_text]
    # words -> integer ids shared by both sides, as jiwer does, so equality is exact
    vocab = {w: k for k, w in enumerate(set(chain.from_iterable(ref_words + hyp_words)))}
    to_id = vocab.__getitem__
    missing_set = set(missing)
    utts = []
    for k, u in enumerate(ids):
        ref_w, hyp_w = ref_words[k], hyp_words[k]
        h, sub, d, i, ops = _counts(list(map(to_id, ref_w)), list(map(to_id, hyp_w)))
        ch, csub, cd, ci, _ = _counts(ref_text[k], hyp_text[k])
        utts.append(Utterance(u, Counts(h, sub, d, i, len(hyp_w)),
                              Counts(ch, csub, cd, ci, len(hyp_text[k])), ref_w, hyp_w, ops,
                              u in missing_set, None if categories is None else categories[u]))

    cats: list[tuple[str, Counts, Counts, int]] = []
    if categories is not None:
        groups: dict[str, list[Utterance]] = {}
        for utt in utts:
            groups.setdefault(utt.category, []).append(utt)
        for name in sorted(groups):
            g = groups[name]
            cats.append((name, _total([x.words for x in g]), _total([x.chars for x in g]),
                         len(g)))
    return WerResult(_total([x.words for x in utts]), _total([x.chars for x in utts]),
                     tuple(utts), norm, missing, extra, tuple(cats))


def wer(references: Sequence[str], hypotheses: Sequence[str],
        normalize: str | Normalizer = DEFAULT_PRESET) -> float:
    """Corpus WER in percent of two aligned lists (a convenience over ``error_rates``)."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    keys = [str(i) for i in range(len(references))]
    return error_rates(dict(zip(keys, references, strict=True)),
                       dict(zip(keys, hypotheses, strict=True)), normalize).wer


def format_alignment(utt: Utterance) -> str:
    """Three aligned lines, jiwer-style: REF and HYP with ``*`` for gaps, then the S/D/I marks.

    Reference words that were substituted or deleted are upper-cased only in the mark line, the
    words themselves are printed as normalised.
    """
    ref_cells, hyp_cells, op_cells = [], [], []
    for r, h, op in utt.aligned_pairs():
        r = "*" * len(h) if r is None else r
        h = "*" * len(r) if h is None else h
        width = max(len(r), len(h), 1)
        ref_cells.append(r.ljust(width))
        hyp_cells.append(h.ljust(width))
        op_cells.append(("" if op == "=" else op).ljust(width))
    head = f"{utt.utt_id}"
    if utt.category is not None:
        head += f" [{utt.category}]"
    wer_txt = "undefined" if utt.wer is None else f"{utt.wer:.2f}%"
    head += (f"  WER {wer_txt}  S={utt.words.substitutions} D={utt.words.deletions} "
             f"I={utt.words.insertions} N={utt.words.reference_len}")
    if utt.missing:
        head += "  (no hypothesis)"
    return "\n".join([head, "REF: " + " ".join(ref_cells).rstrip(),
                      "HYP: " + " ".join(hyp_cells).rstrip(),
                      ("     " + " ".join(op_cells)).rstrip()])
