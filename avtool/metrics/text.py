"""Word and character error rates (WER, CER, MER, WIL) over a corpus of utterances, via jiwer.

Definitions (AVATAR, Gabeur thesis §5.4.1; digest retrieval-asr-002 §8.5): each utterance's
hypothesis is aligned to its reference by a minimum-edit (Levenshtein) alignment after the same
normalisation of both (``avtool.metrics.normalize``); substitutions S, deletions D, insertions I
and hits H are **summed over the corpus** and

* ``WER = (S + D + I) / N_ref`` with ``N_ref = H + S + D`` the total number of reference words
  (corpus level, not the mean of per-utterance WERs; it can exceed 100 %);
* ``CER``: the same on characters of the normalised, single-spaced strings, spaces included;
* ``MER = (S + D + I) / (H + S + D + I)``;
* ``WIL = 1 − (H / N_ref) · (H / N_hyp)`` (0 hypothesis words: WIL 100 %).

All four are reported in **percent**. Counts come from jiwer 4 (``process_words`` /
``process_characters``, rapidfuzz alignments), called once on the whole corpus. When several
minimum alignments exist, the split between S, D and I is jiwer's choice; S + D + I (the edit
distance) is not ambiguous.

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

from avtool.metrics.normalize import DEFAULT_PRESET, Normalizer, get_normalizer


@dataclass(frozen=True)
class Counts:
    """Edit counts over some utterances (words or characters)."""

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

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.hits + other.hits, self.substitutions + other.substitutions,
                      self.deletions + other.deletions, self.insertions + other.insertions,
                      self.hypothesis_len + other.hypothesis_len)

    def error_rate(self) -> float | None:
        """(S + D + I) / N_ref in percent; None when there is no reference token."""
        n = self.reference_len
        return None if n == 0 else 100.0 * self.errors / n


@dataclass(frozen=True)
class Utterance:
    """One scored utterance: word and character counts, and its word alignment.

    ``ops`` has one entry per aligned position: ``"="`` hit, ``"S"``, ``"D"`` (reference word,
    no hypothesis word) or ``"I"`` (hypothesis word, no reference word); ``ref_words`` and
    ``hyp_words`` are the normalised words.
    """

    utt_id: str
    words: Counts
    chars: Counts
    ref_words: tuple[str, ...]
    hyp_words: tuple[str, ...]
    ops: tuple[str, ...]
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


def _chunk_ops(chunks) -> tuple[Counts, tuple[str, ...]]:
    h = s = d = i = 0
    ops: list[str] = []
    for c in chunks:
        n_ref = c.ref_end_idx - c.ref_start_idx
        n_hyp = c.hyp_end_idx - c.hyp_start_idx
        if c.type == "equal":
            h += n_ref
            ops.extend("=" * n_ref)
        elif c.type == "substitute":
            s += n_ref
            ops.extend("S" * n_ref)
        elif c.type == "delete":
            d += n_ref
            ops.extend("D" * n_ref)
        else:  # insert
            i += n_hyp
            ops.extend("I" * n_hyp)
    return Counts(h, s, d, i), tuple(ops)


def _char_counts(chunks) -> Counts:
    h = s = d = i = 0
    for c in chunks:
        n_ref = c.ref_end_idx - c.ref_start_idx
        if c.type == "equal":
            h += n_ref
        elif c.type == "substitute":
            s += n_ref
        elif c.type == "delete":
            d += n_ref
        else:
            i += c.hyp_end_idx - c.hyp_start_idx
    return Counts(h, s, d, i)


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
    import jiwer

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

    to_words = jiwer.ReduceToListOfListOfWords()
    to_chars = jiwer.ReduceToListOfListOfChars()
    word_out = jiwer.process_words(ref_text, hyp_text, to_words, to_words)
    char_out = jiwer.process_characters(ref_text, hyp_text, to_chars, to_chars)

    missing_set = set(missing)
    utts = []
    for k, u in enumerate(ids):
        ref_w, hyp_w = word_out.references[k], word_out.hypotheses[k]
        wc, ops = _chunk_ops(word_out.alignments[k])
        wc = Counts(wc.hits, wc.substitutions, wc.deletions, wc.insertions, len(hyp_w))
        cc = _char_counts(char_out.alignments[k])
        cc = Counts(cc.hits, cc.substitutions, cc.deletions, cc.insertions,
                    len(char_out.hypotheses[k]))
        utts.append(Utterance(u, wc, cc, tuple(ref_w), tuple(hyp_w), ops, u in missing_set,
                              None if categories is None else categories[u]))

    words = sum((u.words for u in utts), Counts())
    chars = sum((u.chars for u in utts), Counts())
    cats: list[tuple[str, Counts, Counts, int]] = []
    if categories is not None:
        groups: dict[str, list[Utterance]] = {}
        for u in utts:
            groups.setdefault(u.category, []).append(u)
        for name in sorted(groups):
            g = groups[name]
            cats.append((name, sum((u.words for u in g), Counts()),
                         sum((u.chars for u in g), Counts()), len(g)))
    return WerResult(words, chars, tuple(utts), norm, missing, extra, tuple(cats))


def wer(references: Sequence[str], hypotheses: Sequence[str],
        normalize: str | Normalizer = DEFAULT_PRESET) -> float:
    """Corpus WER in percent of two aligned lists (a convenience over ``error_rates``)."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    keys = [str(i) for i in range(len(references))]
    return error_rates(dict(zip(keys, references)), dict(zip(keys, hypotheses)),
                       normalize).wer


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
