"""Tokenisation as DSTC7-AVSD text is written, the vocabulary's count threshold, turn data."""

from __future__ import annotations

from avtool.formats.avsd import AvsdDialog, AvsdTurn
from avtool.tasks.dialog.data import dialog_turns, question_problem, vocabulary_texts
from avtool.tasks.dialog.vocab import EOS, SPECIALS, UNK, Vocabulary, tokenize


def test_tokenize_matches_the_dstc7_text():
    assert tokenize("Hello. Did someone come to the door?") == \
        "hello . did someone come to the door ?".split()
    assert tokenize("he's holding a cup, isn't he") == \
        ["he's", "holding", "a", "cup", ",", "isn't", "he"]


def test_count_threshold_and_order():
    vocab = Vocabulary.build(["a b b c c c", "c d"], min_count=2)
    assert vocab.words == [*SPECIALS, "c", "b"]
    assert vocab.encode("c b a ?") == [4, 5, UNK, UNK]
    assert vocab.decode([4, 5, EOS, 4]) == "c b" and vocab.unknown("c zz") == ["zz"]


def test_turns_history_and_description():
    dialog = AvsdDialog("V", "a cap", "a sum", (AvsdTurn("q one", "a one"),
                                                AvsdTurn("q two", "a two"),
                                                AvsdTurn("q three", "__UNDISCLOSED__")))
    vocab = Vocabulary.build(vocabulary_texts([dialog]), 1)
    assert "three" in vocab.index and "__undisclosed__" not in vocab.index
    turns = dialog_turns(dialog, vocab, "summary", max_history=1)
    assert [len(t.history) for t in turns] == [0, 1, 1] and turns[2].truncated == 1
    assert turns[2].history[0] == tuple(vocab.encode("q two a two")) + (EOS,)
    assert turns[2].answer == () and turns[0].description == tuple(vocab.encode("a sum"))
    assert [t.turn for t in dialog_turns(dialog, vocab, last_only=True)] == [2]
    assert question_problem("  ", vocab) == "the question is empty"
    assert "only words the model does not know" in question_problem("zebra ?", vocab)
    assert question_problem("q zebra", vocab) is None
