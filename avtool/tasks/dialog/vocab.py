"""Words of the dialog models: tokenisation and the vocabulary stored in every checkpoint.

DSTC7-AVSD text is lower-cased with spaces around punctuation (``"hello . did someone come
to the door ?"``); `tokenize` puts any text in that form, so a question typed on the command
line (``"What is he holding?"``) meets the model as the training data did.

The vocabulary is built from the training questions and answers (`Vocabulary.build`): words
seen at least `min_count` times (the paper: 4, giving 3,910 words on AVSD; the DSTC7 baseline:
2), after four specials. Description words count only where they also occur in questions or
answers, as in the paper (other description words read as ``<unk>``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

SPECIALS = ("<pad>", "<sos>", "<eos>", "<unk>")
PAD, SOS, EOS, UNK = range(4)

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-case words and punctuation marks: ``"He's here?"`` -> ``["he's", "here", "?"]``."""
    return _TOKEN.findall(text.lower())


class Vocabulary:
    """Index <-> word, with the four specials first (``<pad>`` 0, ``<sos>`` 1, ``<eos>`` 2,
    ``<unk>`` 3)."""

    def __init__(self, words: Sequence[str]) -> None:
        if tuple(words[:len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary starts with {SPECIALS}")
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int) -> Vocabulary:
        """Words of `texts` seen at least `min_count` times, most frequent first (ties in
        alphabetical order, so the same data give the same indices)."""
        counts = Counter(tok for text in texts for tok in tokenize(text))
        kept = sorted((w for w, c in counts.items() if c >= min_count and w not in SPECIALS),
                      key=lambda w: (-counts[w], w))
        return cls([*SPECIALS, *kept])

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, text: str) -> list[int]:
        return [self.index.get(tok, UNK) for tok in tokenize(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """Words of `ids` up to the first ``<eos>``, specials left out."""
        out = []
        for i in ids:
            if i == EOS:
                break
            if i >= len(SPECIALS):
                out.append(self.words[i])
        return " ".join(out)

    def unknown(self, text: str) -> list[str]:
        """The tokens of `text` that are not in the vocabulary."""
        return [tok for tok in tokenize(text) if tok not in self.index]
