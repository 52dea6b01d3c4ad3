"""AVATAR's word masking (Gabeur thesis §5.2.2): hide the audio of some words during training.

Words are chosen per utterance and per epoch, each independently:

* ``random``: every word with probability `rate` (0.10: "randomly mask out 10% of the words");
* ``content``: only content (non-stop) words, with probability
  ``min(1, rate * all words / content words)`` counted over the training set, so that `rate`
  of all words are masked overall ("content words are masked at a higher rate to match the 10%
  overall masking on the entire dataset");
* ``none``: no masking.

A chosen word's audio is its span in the word timings; avtool masks it on the normalised
fbank frames (the thesis does not say in which domain): frames ``floor(start * rate)`` to
``ceil(end * rate)`` (exclusive) are set to 0, the training set's mean. Stop words: NLTK's
English list (179 words, embedded: nothing is downloaded), or a file given by the user.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError, FormatError

WORD_MASKING = ("none", "random", "content")
DEFAULT_MASK_RATE = 0.10

#: NLTK's English stop-word list (179 words).
STOP_WORDS = frozenset("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
yourselves he him his himself she she's her hers herself it it's its itself they them their
theirs themselves what which who whom this that that'll these those am is are was were be been
being have has had having do does did doing a an the and but if or because as until while of at
by for with about against between into through during before after above below to from up down
in out on off over under again further then once here there when where why how all any both
each few more most other some such no nor not only own same so than too very s t can will just
don don't should should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't
doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't
needn needn't shan shan't shouldn shouldn't wasn wasn't weren weren't won won't wouldn wouldn't
""".split())


@dataclass(frozen=True)
class WordSpan:
    word: str
    start: float  # seconds from the start of the item
    end: float


def _bare(word: str) -> str:
    return word.lower().strip(".,!?;:\"()[]{}-")


def read_stop_words(path: str | Path) -> frozenset[str]:
    """One word per line (blank lines and ``#`` comments skipped), lowercased."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise FormatError(f"{path}: cannot read the stop-word list ({err})") from None
    words = frozenset(_bare(ln) for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))
    if not words:
        raise FormatError(f"{path}: no stop word in the file")
    return words


def is_content_word(word: str, stop_words: frozenset[str] = STOP_WORDS) -> bool:
    bare = _bare(word)
    return bool(bare) and bare not in stop_words


def masking_probability(mode: str, rate: float, words: Iterable[str],
                        stop_words: frozenset[str] = STOP_WORDS) -> float:
    """The per-eligible-word probability of `mode` over a training set's `words`."""
    if mode not in WORD_MASKING:
        raise ConfigError(f"--word-masking {mode!r}: choose one of {', '.join(WORD_MASKING)}")
    if not 0.0 <= rate <= 1.0:
        raise ConfigError(f"--mask-rate {rate}: must be in [0, 1]")
    if mode == "none":
        return 0.0
    if mode == "random":
        return rate
    words = list(words)
    content = sum(is_content_word(w, stop_words) for w in words)
    return min(1.0, rate * len(words) / content) if content else 0.0


def choose_words(words: Sequence[WordSpan], mode: str, probability: float,
                 rng: np.random.Generator, stop_words: frozenset[str] = STOP_WORDS
                 ) -> list[int]:
    """Indices of the words to mask in one utterance (module docstring)."""
    if mode == "none" or probability <= 0.0:
        return []
    draws = rng.random(len(words))
    return [i for i, w in enumerate(words) if draws[i] < probability
            and (mode == "random" or is_content_word(w.word, stop_words))]


def frame_span(start: float, end: float, frame_rate: float, frames: int) -> tuple[int, int]:
    """Frames ``floor(start * rate)`` .. ``ceil(end * rate)`` (exclusive), within the item
    (products within 1e-6 of an integer count as that integer: 0.29 s is frame 29)."""
    lo = max(0, math.floor(start * frame_rate + 1e-6))
    return lo, max(lo, min(frames, math.ceil(end * frame_rate - 1e-6)))


def mask_words(features: np.ndarray, words: Sequence[WordSpan], chosen: Iterable[int],
               frame_rate: float, value: float = 0.0) -> np.ndarray:
    """A copy of `features` (frames, bins) with the frames of the `chosen` words set to
    `value`."""
    out = np.array(features, copy=True)
    for i in chosen:
        lo, hi = frame_span(words[i].start, words[i].end, frame_rate, len(out))
        out[lo:hi] = value
    return out


@dataclass(frozen=True)
class WordMasker:
    """Masks the chosen words of one utterance: ``masker(features, words, rng)`` (picklable,
    for DataLoader workers)."""

    mode: str
    probability: float
    frame_rate: float
    stop_words: frozenset[str] = STOP_WORDS
    value: float = 0.0

    def __call__(self, features: np.ndarray, words: Sequence[WordSpan],
                 rng: np.random.Generator) -> np.ndarray:
        chosen = choose_words(words, self.mode, self.probability, rng, self.stop_words)
        return mask_words(features, words, chosen, self.frame_rate, self.value) if chosen \
            else features
