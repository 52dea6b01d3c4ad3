"""Caption tokens (Devanagari kept whole), vocabulary, and initial word vectors."""

from __future__ import annotations

import numpy as np
import pytest

from avtool.errors import ConfigError, FormatError
from avtool.tasks.grounding.text import Vocabulary, initial_vectors, tokenize


def test_tokenize_keeps_devanagari_marks_and_drops_punctuation():
    assert tokenize("पडद्यावर हिरवा वर्तुळ आहे। A Man, folds!") == [
        "पडद्यावर", "हिरवा", "वर्तुळ", "आहे", "a", "man", "folds"]
    # a plain \w+ would cut "हिरवा" at its vowel sign
    import re
    assert re.findall(r"\w+", "हिरवा") != ["हिरवा"]


def test_tokenize_caps_at_35_tokens():
    assert len(tokenize(" ".join(["w"] * 50))) == 35


def test_vocabulary_min_count_and_unknown():
    v = Vocabulary.build(["a red circle", "a blue circle"], min_count=2)
    assert v.words == ["<pad>", "<unk>", "a", "circle"]
    assert v.encode("a green circle") == [2, 1, 3]
    assert v.known("green square") == 0


def test_minilm_vectors_for_spelled_words_random_otherwise():
    v = Vocabulary(["<pad>", "<unk>", "boat", "paper", "ꙮꙮ"])
    matrix, found = initial_vectors(v, "minilm", 16)
    assert matrix.shape == (5, 384) and found == {"found": 2, "words": 3}
    assert not matrix[0].any()
    from avtool.tasks.grounding.text import _minilm_matrix
    from avtool.tasks.transcribe.wordpiece import bert_wordpiece

    table = _minilm_matrix()
    assert np.allclose(matrix[2], table[bert_wordpiece().encode("boat")].mean(0))


def test_vectors_file_with_fasttext_header(tmp_path):
    path = tmp_path / "cc.mr.vec"
    path.write_text("2 3\nहिरवा 1 2 3\nboat 0.5 0.5 0.5\n", encoding="utf-8")
    v = Vocabulary(["<pad>", "<unk>", "हिरवा", "ship"])
    matrix, found = initial_vectors(v, str(path), 8)
    assert matrix.shape == (4, 3) and found["found"] == 1
    assert matrix[2].tolist() == [1, 2, 3]
    bad = tmp_path / "bad.vec"
    bad.write_text("a 1 2\nb 1\n")
    with pytest.raises(FormatError, match="bad.vec:2"):
        initial_vectors(v, str(bad), 8)
    with pytest.raises(ConfigError, match="no such file"):
        initial_vectors(v, str(tmp_path / "missing.vec"), 8)
