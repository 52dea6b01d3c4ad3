"""Text normalisation for error rates: small composable transforms and named presets.

A transform is a ``str -> str`` function registered by name in ``TRANSFORMS``; a preset is a
named tuple of transforms (``PRESETS``). Reference and hypothesis always go through the same
normaliser, and the preset's name is recorded with every WER (``WerResult.normalization``). After
normalisation, words are the whitespace-separated tokens and characters are the characters of
the single-spaced string (spaces included, jiwer's CER convention).

Presets:

* ``none``: collapse runs of whitespace, nothing else (case and punctuation count).
* ``basic`` (the default of ``avtool evaluate transcription``; what the AVATAR digest recommends,
  since the thesis does not state its normalisation): lowercase, punctuation to spaces except
  apostrophes inside a word (``don't``, ``john's`` stay), collapse whitespace.
* ``whisper-like``: after OpenAI Whisper's ``EnglishTextNormalizer``: lowercase, drop
  ``[...]``/``<...>``/``(...)`` annotations, drop the fillers hmm/mm/mhm/mmm/uh/um, expand
  English contractions and titles (``won't`` -> ``will not``, ``'re`` -> ``are``, ``mr`` ->
  ``mister``; the possessive/``is`` ``'s`` is left alone, as Whisper does), strip diacritics,
  join digit groups (``1,000`` -> ``1000``), turn every other symbol and punctuation mark into a
  space except a ``.`` between digits, collapse whitespace. Unlike Whisper it does NOT spell out
  or standardise numbers and does NOT map British to American spellings.

Custom pipelines: ``get_normalizer("lowercase+remove_punctuation")`` composes registered
transforms in the given order; its recorded name is that string.
"""

from __future__ import annotations

import functools
import re
import string
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from avtool.errors import UnknownNameError

Transform = Callable[[str], str]

TRANSFORMS: dict[str, Transform] = {}


def _transform(name: str) -> Callable[[Transform], Transform]:
    def decorate(fn: Transform) -> Transform:
        TRANSFORMS[name] = fn
        return fn

    return decorate


@_transform("collapse_whitespace")
def collapse_whitespace(text: str) -> str:
    """Runs of whitespace (tabs, newlines) become one space; strip both ends."""
    return " ".join(text.split())


@_transform("lowercase")
def lowercase(text: str) -> str:
    return text.lower()


_ASCII_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")
_KEEP = "\ue000"  # a private-use placeholder: neither punctuation nor symbol


@functools.cache
def _category_class(categories: str) -> re.Pattern:
    """A regex class of every code point whose Unicode category starts with one of
    ``categories`` (built once, on first non-ASCII input: a scan of all code points)."""
    ranges: list[list[int]] = []
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp))[0] in categories:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    body = "".join(re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b)))
                   for a, b in ranges)
    return re.compile(f"[{body}]")


def _replace_class(text: str, categories: str) -> str:
    pattern = _ASCII_PUNCT if text.isascii() else _category_class(categories)
    return pattern.sub(" ", text)


_INNER_APOSTROPHE = re.compile(r"(?<=[^\W_])['\u2019](?=[^\W_])")


@_transform("remove_punctuation")
def remove_punctuation(text: str) -> str:
    """Punctuation and symbols (Unicode P*, S*) become spaces, except an apostrophe (' or ’)
    with a letter or digit on both sides, which is kept as ``'``: ``don't`` stays,
    ``'quoted'`` -> ``quoted``, ``well-known`` -> ``well known``."""
    text = _INNER_APOSTROPHE.sub(_KEEP, text)
    return _replace_class(text, "PS").replace(_KEEP, "'")


_BRACKETED = re.compile(r"[<\[][^>\]]*[>\]]|\([^)]*\)")


@_transform("remove_bracketed")
def remove_bracketed(text: str) -> str:
    """Drop annotations in brackets: ``[noise]``, ``<unk>``, ``(laughs)``."""
    return _BRACKETED.sub(" ", text)


_FILLERS = re.compile(r"\b(?:hmm|mm|mhm|mmm|uh|um)\b", re.IGNORECASE)


@_transform("remove_fillers")
def remove_fillers(text: str) -> str:
    """Drop the hesitation fillers hmm, mm, mhm, mmm, uh, um (whole words)."""
    return _FILLERS.sub(" ", text)


# Whole-word rewrites first, then suffixes. Lowercase input is assumed (run after `lowercase`).
_WORD_REWRITES = [
    ("won't", "will not"), ("can't", "can not"), ("let's", "let us"), ("ain't", "aint"),
    ("y'all", "you all"), ("wanna", "want to"), ("gotta", "got to"), ("gonna", "going to"),
    ("i'ma", "i am going to"), ("imma", "i am going to"), ("woulda", "would have"),
    ("coulda", "could have"), ("shoulda", "should have"), ("ma'am", "madam"),
    ("mr", "mister"), ("mrs", "missus"), ("st", "saint"), ("dr", "doctor"), ("prof", "professor"),
    ("capt", "captain"), ("gov", "governor"), ("ald", "alderman"), ("gen", "general"),
    ("sen", "senator"), ("rep", "representative"), ("pres", "president"), ("rev", "reverend"),
    ("hon", "honorable"), ("asst", "assistant"), ("assoc", "associate"),
    ("lt", "lieutenant"), ("col", "colonel"), ("jr", "junior"), ("sr", "senior"),
    ("esq", "esquire"),
]
_SUFFIX_REWRITES = [
    ("'d been", " had been"), ("'s been", " has been"), ("'d gone", " had gone"),
    ("'s gone", " has gone"), ("'d done", " had done"), ("'s got", " has got"),
    ("n't", " not"), ("'re", " are"), ("'d", " would"), ("'ll", " will"), ("'t", " not"),
    ("'ve", " have"), ("'m", " am"),
]
# One pass each; alternatives are tried in list order, so "'d been" wins over "'d".
_WORD_MAP = dict(_WORD_REWRITES)
_SUFFIX_MAP = dict(_SUFFIX_REWRITES)
_WORD_RE = re.compile(r"\b(?:" + "|".join(re.escape(a) for a, _ in _WORD_REWRITES) + r")\b")
_SUFFIX_RE = re.compile("(?:" + "|".join(re.escape(a) for a, _ in _SUFFIX_REWRITES) + r")\b")


@_transform("expand_contractions")
def expand_contractions(text: str) -> str:
    """English contractions and titles, Whisper's list: ``won't`` -> ``will not``,
    ``they're`` -> ``they are``, ``mr`` -> ``mister``. ``'s`` alone is kept (possessive or is)."""
    text = _WORD_RE.sub(lambda m: _WORD_MAP[m.group(0)], text.replace("\u2019", "'"))
    if "'" in text:
        text = _SUFFIX_RE.sub(lambda m: _SUFFIX_MAP[m.group(0)], text)
    return text


@_transform("strip_diacritics")
def strip_diacritics(text: str) -> str:
    """``café`` -> ``cafe``: NFKD, then drop combining marks."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if unicodedata.category(c) != "Mn")


_DIGIT_GROUP = re.compile(r"(?<=\d),(?=\d{3}\b)")


@_transform("join_digit_groups")
def join_digit_groups(text: str) -> str:
    """``1,000,000`` -> ``1000000`` (a comma between a digit and exactly three digits)."""
    return _DIGIT_GROUP.sub("", text)


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


@_transform("remove_symbols")
def remove_symbols(text: str) -> str:
    """Every punctuation mark, symbol and combining mark (Unicode P*, S*, M*) becomes a space,
    apostrophes included, except a ``.`` between two digits (``3.5`` stays)."""
    text = _DECIMAL_POINT.sub(_KEEP, text)
    return _replace_class(text, "PSM").replace(_KEEP, ".")


PRESETS: dict[str, tuple[str, ...]] = {
    "none": ("collapse_whitespace",),
    "basic": ("lowercase", "remove_punctuation", "collapse_whitespace"),
    "whisper-like": ("lowercase", "remove_bracketed", "remove_fillers", "expand_contractions",
                     "strip_diacritics", "join_digit_groups", "remove_symbols",
                     "collapse_whitespace"),
}
DEFAULT_PRESET = "basic"


@dataclass(frozen=True)
class Normalizer:
    """A named sequence of transforms; ``collapse_whitespace`` always runs last."""

    name: str
    steps: tuple[str, ...]

    def __call__(self, text: str) -> str:
        for step in self.steps:
            text = TRANSFORMS[step](text)
        if not self.steps or self.steps[-1] != "collapse_whitespace":
            text = collapse_whitespace(text)
        return text

    def words(self, text: str) -> list[str]:
        return self(text).split()

    def to_dict(self) -> dict:
        return {"name": self.name, "steps": list(self.steps)}


def get_normalizer(spec: str | Normalizer) -> Normalizer:
    """A preset name (``none``, ``basic``, ``whisper-like``) or transforms joined by ``+``.

    Raises:
        UnknownNameError: the name is neither a preset nor a ``+``-list of transforms.
    """
    if isinstance(spec, Normalizer):
        return spec
    if spec in PRESETS:
        return Normalizer(spec, PRESETS[spec])
    parts = tuple(p.strip() for p in spec.split("+"))
    unknown = [p for p in parts if p not in TRANSFORMS]
    if unknown or not parts:
        raise UnknownNameError(
            f"unknown normalisation {spec!r}; presets: {', '.join(PRESETS)}; or join "
            f"transforms with '+': {', '.join(sorted(TRANSFORMS))}")
    return Normalizer(spec, parts)
