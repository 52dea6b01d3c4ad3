"""WER family (avtool.metrics.text) and normalisation presets (avtool.metrics.normalize)."""

from __future__ import annotations

import jiwer
import pytest

from avtool.errors import UnknownNameError
from avtool.metrics.normalize import PRESETS, get_normalizer
from avtool.metrics.text import error_rates, format_alignment, wer
from avtool.testing.transcripts import random_transcripts


def levenshtein(a: list[str], b: list[str]) -> int:
    """Plain dynamic-programming edit distance (independent of jiwer/rapidfuzz)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


# ------------------------------------------------------------------ digest golden vectors
def test_digest_vector_sub_and_del():
    r = error_rates({"u": "a b c d"}, {"u": "a x c"}, normalize="none")
    assert (r.words.substitutions, r.words.deletions, r.words.insertions) == (1, 1, 0)
    assert r.words.reference_len == 4
    assert r.wer == pytest.approx(50.0)


def test_empty_hypothesis_is_100_percent():
    r = error_rates({"u": "one two three"}, {"u": ""})
    assert r.wer == pytest.approx(100.0)
    assert r.words.deletions == 3


def test_insertions_push_wer_above_100():
    r = error_rates({"u": "hi"}, {"u": "oh hi there you"})
    assert r.words.insertions == 3
    assert r.wer == pytest.approx(300.0)


def test_corpus_wer_is_not_mean_of_utterance_wers():
    refs = {"a": "one", "b": "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10"}
    hyps = {"a": "two", "b": "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10"}
    r = error_rates(refs, hyps)
    assert r.wer == pytest.approx(100.0 / 11)          # 1 error over 11 reference words
    mean_utt = sum(u.wer for u in r.utterances) / 2
    assert mean_utt == pytest.approx(50.0)
    assert r.wer != pytest.approx(mean_utt)


# ---------------------------------------------------------------- independent cross-checks
def _random_corpus(seed: int, n: int):
    return random_transcripts(n, seed, "the a cat dog sat on mat ran blue red".split(),
                              max_words=12, max_edits=5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wer_matches_plain_levenshtein(seed):
    refs, hyps = _random_corpus(seed, 200)
    r = error_rates(refs, hyps, normalize="none")
    errors = sum(levenshtein(refs[u].split(), hyps[u].split()) for u in refs)
    n_ref = sum(len(refs[u].split()) for u in refs)
    assert r.words.errors == errors
    assert r.words.reference_len == n_ref
    assert r.wer == pytest.approx(100.0 * errors / n_ref)
    for u in r.utterances:   # per-utterance counts too
        assert u.words.errors == levenshtein(list(u.ref_words), list(u.hyp_words))


def test_all_rates_match_jiwer_corpus_level():
    refs, hyps = _random_corpus(7, 100)
    ids = list(refs)
    r = error_rates(refs, hyps, normalize="none")
    ref_l, hyp_l = [refs[i] for i in ids], [hyps[i] for i in ids]
    assert r.wer == pytest.approx(100 * jiwer.wer(ref_l, hyp_l))
    assert r.cer == pytest.approx(100 * jiwer.cer(ref_l, hyp_l))
    out = r.to_dict()
    assert out["mer"] == pytest.approx(100 * jiwer.mer(ref_l, hyp_l))
    assert out["wil"] == pytest.approx(100 * jiwer.wil(ref_l, hyp_l))


@pytest.mark.parametrize("seed", [11, 12])
def test_per_utterance_counts_equal_jiwer(seed):
    refs, hyps = _random_corpus(seed, 80)
    r = error_rates(refs, hyps, normalize="none")
    for u in r.utterances:
        w = jiwer.process_words(refs[u.utt_id], hyps[u.utt_id])
        c = jiwer.process_characters(refs[u.utt_id], hyps[u.utt_id])
        assert (u.words.hits, u.words.substitutions, u.words.deletions, u.words.insertions) \
            == (w.hits, w.substitutions, w.deletions, w.insertions)
        assert (u.chars.hits, u.chars.substitutions, u.chars.deletions, u.chars.insertions) \
            == (c.hits, c.substitutions, c.deletions, c.insertions)


def test_cer_counts_characters_including_spaces():
    r = error_rates({"u": "ab c"}, {"u": "ab"}, normalize="none")
    assert r.chars.reference_len == 4     # a, b, space, c
    assert r.chars.deletions == 2
    assert r.cer == pytest.approx(50.0)


# ---------------------------------------------------------------------------- id handling
def test_missing_hypothesis_counts_as_deletions_and_extra_is_ignored():
    r = error_rates({"a": "x y", "b": "z"}, {"b": "z", "c": "q q q"})
    assert r.missing_hypotheses == ("a",)
    assert r.extra_hypotheses == ("c",)
    assert r.words.deletions == 2 and r.words.insertions == 0
    assert r.wer == pytest.approx(200 / 3)
    assert [u.utt_id for u in r.utterances] == ["a", "b"]
    assert r.utterances[0].missing and not r.utterances[1].missing


def test_order_of_hypotheses_does_not_matter():
    refs, hyps = _random_corpus(3, 30)
    shuffled = dict(reversed(list(hyps.items())))
    assert error_rates(refs, hyps).to_dict() == error_rates(refs, shuffled).to_dict()


def test_empty_reference_utterance_contributes_insertions():
    r = error_rates({"a": "", "b": "x y"}, {"a": "oops", "b": "x y"})
    assert r.utterances[0].wer is None
    assert r.words.insertions == 1 and r.words.reference_len == 2
    assert r.wer == pytest.approx(50.0)


def test_no_reference_word_is_an_error():
    with pytest.raises(ValueError, match="no word"):
        error_rates({"a": "...", "b": ""}, {"a": "x", "b": ""})


def test_categories_breakdown_sums_to_total():
    refs = {"a": "one two", "b": "three four", "c": "five"}
    hyps = {"a": "one two", "b": "three", "c": "six seven"}
    r = error_rates(refs, hyps, categories={"a": "clean", "b": "env", "c": "env", "z": "x"})
    cats = r.to_dict()["categories"]
    assert set(cats) == {"clean", "env"}
    assert cats["clean"]["wer"] == 0.0
    assert cats["env"]["utterances"] == 2
    assert cats["env"]["deletions"] + cats["env"]["substitutions"] + \
        cats["env"]["insertions"] == 3
    assert cats["env"]["wer"] == pytest.approx(100.0)
    assert r.words.errors == 3


def test_categories_must_cover_references():
    with pytest.raises(ValueError, match="lack 1 of 2"):
        error_rates({"a": "x", "b": "y"}, {"a": "x", "b": "y"}, categories={"a": "clean"})


def test_wer_list_helper_and_length_check():
    assert wer(["a b", "c"], ["a b", "d"], normalize="none") == pytest.approx(100 / 3)
    with pytest.raises(ValueError):
        wer(["a"], ["a", "b"])


def test_alignment_ops_and_format():
    r = error_rates({"u": "a b c d"}, {"u": "a x c e f"}, normalize="none")
    u = r.utterances[0]
    assert len([op for op in u.ops if op != "I"]) == 4
    assert u.ops.count("=") == u.words.hits
    text = format_alignment(u)
    lines = text.splitlines()
    assert lines[0].startswith("u  WER")
    assert lines[1].startswith("REF: a") and lines[2].startswith("HYP: a")
    d = u.to_dict()
    assert len(d["ref"]) == len(d["hyp"]) == len(d["ops"])


# -------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize(("preset", "text", "expected"), [
    ("none", "  Hello,   World! ", "Hello, World!"),
    ("basic", "Hello, World! It's well-known 'quoted'.", "hello world it's well known quoted"),
    ("basic", "Don’t STOP", "don't stop"),
    ("whisper-like", "Um, I can't see [noise] Mr. Müller's café (laughs)",
     "i can not see mister muller s cafe"),
    ("whisper-like", "They're gonna pay $1,000.50 -- or 3.5%",
     "they are going to pay 1000.50 or 3.5"),
    ("whisper-like", "<unk> hmm we'll", "we will"),
])
def test_presets(preset, text, expected):
    assert get_normalizer(preset)(text) == expected


def test_custom_pipeline_and_unknown_name():
    n = get_normalizer("lowercase+remove_fillers")
    assert n("Uh HELLO um there") == "hello there"
    assert n.name == "lowercase+remove_fillers"
    with pytest.raises(UnknownNameError, match="basic"):
        get_normalizer("bogus")


def test_preset_name_recorded_with_result():
    r = error_rates({"u": "A."}, {"u": "a"}, normalize="whisper-like")
    d = r.to_dict()
    assert d["normalization"] == "whisper-like"
    assert d["normalization_steps"] == list(PRESETS["whisper-like"])
    assert d["wer"] == 0.0
    assert error_rates({"u": "A."}, {"u": "a"}, normalize="none").wer == 100.0
