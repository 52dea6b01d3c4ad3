"""Caption tokenisers for the coco-caption metrics (BLEU, METEOR, ROUGE-L, CIDEr-D).

coco-caption runs Stanford's PTBTokenizer (CoreNLP 3.4.1, ``-preserveLines -lowerCase``) on
every hypothesis and reference, then drops the tokens ``'' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? !
, : - -- ... ;``. Because ``-lowerCase`` also lowercases the bracket escapes, ``(`` becomes
``-lrb-``, which is *not* in that list and so survives; this quirk is reproduced.

Registered tokenisers (``--tokenizer``):

* ``ptb`` (default): a pure-Python re-implementation of the PTBTokenizer rules that matter for
  captions and dialog answers, checked token for token against the Java tokenizer on
  tests/fixtures/metrics/ptb_sentences.txt: lowercasing; ``"`` -> `````` / ``''`` by
  position; opening ``'`` -> ````` and closing ``'`` split off; clitics split (``does n't``,
  ``ca n't``, ``wo n't``, ``it 's``, ``they 're``, ``'ll 've 'd 'm``), ``cannot`` -> ``can not``,
  ``gonna/gotta/wanna/lemme/gimme`` -> ``gon na``...; ``'tis`` -> ``'t is``; brackets ->
  ``-lrb- -rrb- -lsb- -rsb- -lcb- -rcb-``; ``, ; :`` split unless between digits; trailing
  ``.`` split except on abbreviations (``mr.``, ``u.s.``, ``e.g.``, single letters); runs of
  ``?``/``!`` kept together; ``$`` and ``%`` split from numbers; ``--`` split; ``*`` split; a
  number with ``. , :`` followed by letters split (``3:30pm`` -> ``3:30 pm``). Known
  differences: emoticons, URLs with trailing punctuation, SGML tags, currency signs other than
  ``$``, and the full CoreNLP abbreviation list.
* ``ptb-java``: the official tokenizer itself (needs ``java`` and pycocoevalcap's
  ``stanford-corenlp-3.4.1.jar``), for exact coco-caption parity.
* ``whitespace``: split on whitespace only (input already tokenised, as in the digest's golden
  vectors); no lowercasing, no punctuation removal.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence

from avtool.errors import AvtoolError, UnknownNameError
from avtool.metrics.coco_java import CORENLP_JAR, java_executable, resource_status

COCO_PUNCTUATION = frozenset(["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".",
                              "?", "!", ",", ":", "-", "--", "...", ";"])

Tokenizer = Callable[[Sequence[str]], list[list[str]]]
TOKENIZERS: dict[str, Tokenizer] = {}
DEFAULT_TOKENIZER = "ptb"


def _register(name: str):
    def decorate(fn: Tokenizer) -> Tokenizer:
        TOKENIZERS[name] = fn
        return fn
    return decorate


def get_tokenizer(name: str) -> Tokenizer:
    try:
        return TOKENIZERS[name]
    except KeyError:
        raise UnknownNameError(f"unknown caption tokenizer {name!r}; valid names: "
                               f"{', '.join(sorted(TOKENIZERS))}") from None


def _coco_filter(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in COCO_PUNCTUATION]


# ---------------------------------------------------------------- pure-Python PTB tokenizer
_ABBREVIATIONS = frozenset("""
mr mrs ms dr prof st jr sr mt ft inc ltd co corp bros vs etc esq gen col capt sgt lt rev hon
gov sen rep pres ave blvd rd jan feb mar apr jun jul aug sep sept oct nov dec adm maj cmdr
messrs mme mlle sens reps
""".split())
_LETTER_DOTS = re.compile(r"^(?:[^\W\d_]\.)+$|^[^\W\d_]+(?:\.[^\W\d_]+)+\.$")
_SPLIT_CONTRACTION = re.compile(r"^(.+?)(n't|'s|'re|'ve|'ll|'d|'m)$", re.IGNORECASE)
_CLIPPED = {"cannot": ("can", "not"), "gonna": ("gon", "na"), "gotta": ("got", "ta"),
            "wanna": ("wan", "na"), "lemme": ("lem", "me"), "gimme": ("gim", "me")}
_NUM_UNIT = re.compile(r"^(\d+(?:[.,:]\d+)+)([^\W\d_]+)$")
_INTERNAL = re.compile(r"(?<!\d)([,;:])|([,;:])(?!\d)|(-{2,})|(\*+)")
_APOS_WORDS = re.compile(r"^'(?:em|cause|n'|\d0s|\d+|s|re|ve|ll|d|m)(?=$|[^\w'])",
                         re.IGNORECASE)
_INNER_N = re.compile(r"^(.+?)('n')(.+)$", re.IGNORECASE)
_TIS = re.compile(r"^'t(is|was)$", re.IGNORECASE)
_QMARKS = re.compile(r"[?!]+$")
_OPEN = {"(": "-LRB-", "[": "-LSB-", "{": "-LCB-"}
_CLOSE = {")": "-RRB-", "]": "-RSB-", "}": "-RCB-"}


def _is_abbreviation(tok: str) -> bool:
    return bool(_LETTER_DOTS.match(tok)) or tok[:-1].lower() in _ABBREVIATIONS


def _split_word(word: str) -> list[str]:
    """Clitics, clipped forms and number+unit splits of a chunk with no outer punctuation."""
    low = word.lower()
    if low in _CLIPPED:
        a = len(_CLIPPED[low][0])
        return [word[:a], word[a:]]
    if low.startswith("y'") and len(low) > 2 and low[2:].isalpha():
        return [word[:2], word[2:]]
    m = _NUM_UNIT.match(word)
    if m:
        return [m.group(1), m.group(2)]
    m = _INNER_N.match(word)
    if m:
        return [*_split_word(m.group(1)), m.group(2), *_split_word(m.group(3))]
    m = _SPLIT_CONTRACTION.match(word)
    if m and m.group(1) not in ("'",):
        return _split_word(m.group(1)) + [m.group(2)]
    return [word]


def _split_chunk(chunk: str) -> list[str]:
    chunk = chunk.replace("\u2019", "'").replace("\u2018", "`").replace("\u201c", '"')
    chunk = chunk.replace("\u201d", "''")
    front: list[str] = []
    back: list[str] = []
    s = chunk
    while s:  # leading punctuation
        if s.startswith('"') or s.startswith("``"):
            front.append("``")
            s = s[1:] if s[0] == '"' else s[2:]
        elif s.startswith("''"):
            front.append("''")
            s = s[2:]
        elif s[0] in _OPEN:
            front.append(_OPEN[s[0]])
            s = s[1:]
        elif s[0] in "`'":
            if s[0] == "'" and (_APOS_WORDS.match(s) or s == "'"):
                break
            m = _TIS.match(s)
            if m:
                return front + ["'t", s[2:]] + back
            front.append("`")
            s = s[1:]
        elif s.startswith("..."):
            front.append("...")
            s = s[3:]
        elif s.startswith("--"):
            front.append("--")
            s = s.lstrip("-")
        elif s[0] == "-" and len(s) > 1 and s[1].isalpha():
            front.append("-")
            s = s[1:]
        elif s[0] == "$" and len(s) > 1:
            front.append("$")
            s = s[1:]
        elif s[0] == "#" and len(s) > 1 and s[1].isdigit():
            front.append("#")
            s = s[1:]
        else:
            break
    while s:  # trailing punctuation
        if s.endswith('"'):
            back.insert(0, "''")
            s = s[:-1]
        elif s.endswith("''") and len(s) > 2:
            back.insert(0, "''")
            s = s[:-2]
        elif s[-1] in _CLOSE:
            back.insert(0, _CLOSE[s[-1]])
            s = s[:-1]
        elif s.endswith("'") and len(s) > 1 and not _APOS_WORDS.match(s):
            back.insert(0, "'")
            s = s[:-1]
        elif s[-1] in "?!":
            m = _QMARKS.search(s)
            back.insert(0, m.group(0))
            s = s[: m.start()]
        elif s[-1] in ",;:":
            back.insert(0, s[-1])
            s = s[:-1]
        elif s.endswith("..."):
            back.insert(0, "...")
            s = s[:-3]
        elif s.endswith("--"):
            back.insert(0, "--")
            s = s.rstrip("-")
        elif s[-1] == "." and len(s) > 1:
            if _is_abbreviation(s):
                break
            back.insert(0, ".")
            s = s[:-1]
        elif s[-1] in "%$" and len(s) > 1:
            back.insert(0, s[-1])
            s = s[:-1]
        elif s[-1] == "-" and len(s) > 1:
            back.insert(0, "-")
            s = s[:-1]
        else:
            break
    middle: list[str] = []
    if s:
        pos = 0
        for m in _INTERNAL.finditer(s):
            if m.start() > pos:
                middle.extend(_split_word(s[pos:m.start()]))
            sep = m.group(0)
            middle.append("--" if sep.startswith("-") else sep)
            pos = m.end()
        if pos < len(s):
            middle.extend(_split_word(s[pos:]))
    return front + middle + back


def ptb_tokenize_line(text: str) -> list[str]:
    """PTB-like tokens of one caption, lowercased, before coco's punctuation removal."""
    out: list[str] = []
    for chunk in text.split():
        if chunk.isalnum() and chunk.lower() not in _CLIPPED:  # fast path: a plain word
            out.append(chunk)
        else:
            out.extend(_split_chunk(chunk))
    return [t.lower() for t in out if t]


@_register("ptb")
def ptb_tokenize(captions: Sequence[str]) -> list[list[str]]:
    """coco-caption tokenisation in pure Python: PTB-like tokens minus coco's punctuation."""
    return [_coco_filter(ptb_tokenize_line(c)) for c in captions]


@_register("whitespace")
def whitespace_tokenize(captions: Sequence[str]) -> list[list[str]]:
    """Whitespace split only: for text that is already tokenised and normalised."""
    return [c.split() for c in captions]


@_register("ptb-java")
def ptb_java_tokenize(captions: Sequence[str]) -> list[list[str]]:
    """Stanford PTBTokenizer (CoreNLP 3.4.1) exactly as coco-caption runs it, then coco's filter.

    Raises:
        AvtoolError: java or the CoreNLP jar is unavailable, or the tokenizer failed.
    """
    root, reason = resource_status(CORENLP_JAR)
    if root is None:
        raise AvtoolError(f"--tokenizer ptb-java is unavailable: {reason}")
    if not captions:
        return []
    lines = [" ".join(c.replace("\n", " ").split()) for c in captions]
    fd, tmp = tempfile.mkstemp(suffix=".txt", prefix="avtool-ptb-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        proc = subprocess.run(
            [java_executable(), "-cp", str(root.joinpath(*CORENLP_JAR)),
             "edu.stanford.nlp.process.PTBTokenizer", "-preserveLines", "-lowerCase", tmp],
            capture_output=True, check=False)
    finally:
        os.unlink(tmp)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise AvtoolError(f"the Java PTBTokenizer failed (exit {proc.returncode}): "
                          f"{' '.join(tail)}")
    out_lines = proc.stdout.decode("utf-8").split("\n")
    if len(out_lines) < len(lines):
        raise AvtoolError(f"the Java PTBTokenizer returned {len(out_lines)} lines for "
                          f"{len(lines)} captions")
    return [_coco_filter(ln.split()) for ln in out_lines[: len(lines)]]
