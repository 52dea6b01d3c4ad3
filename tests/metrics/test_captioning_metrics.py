"""BLEU / ROUGE-L / CIDEr-D (avtool.metrics.captioning) against the digest's golden vectors,
coco-caption (pycocoevalcap) itself, and plain re-implementations."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from avtool.errors import AvtoolError
from avtool.metrics.captioning import (
    bleu,
    caption_scores,
    cider_d,
    lcs_length,
    rouge_l,
)
from avtool.metrics.coco_java import CORENLP_JAR, resource_status
from avtool.metrics.tokenizers import get_tokenizer, ptb_tokenize, ptb_tokenize_line
from avtool.tasks.dialog.evaluate import load_stopwords

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "metrics"

# digest avsd-004 §4.2 (pycocoevalcap 1.2, inputs already tokenised)
GOLDEN_REFS = {
    "v1_0": ["yes he is holding a cup", "yes he holds a cup of coffee"],
    "v2_3": ["no there is no sound", "i do not hear any sound", "no sound at all"],
    "v3_9": ["a dog barks twice", "the dog barks two times"],
    "v4_1": ["he walks to the left", "he moves to the left side of the room"],
}
GOLDEN_HYPS = {"v1_0": "yes he is holding a cup", "v2_3": "no there is no sound in the video",
               "v3_9": "i hear a dog barking", "v4_1": "he walks to the right"}
GOLDEN_BLEU = (0.708333, 0.678540, 0.637418, 0.599875)
GOLDEN_ROUGE = (0.764041, (1.000000, 0.802632, 0.453532, 0.800000))
GOLDEN_CIDER = (3.433594, (6.180363, 2.656538, 1.064606, 3.832868))


def _tok(hyps, refs):
    ids = list(refs)
    return ([hyps[i].split() for i in ids], [[r.split() for r in refs[i]] for i in ids])


def test_golden_bleu():
    h, r = _tok(GOLDEN_HYPS, GOLDEN_REFS)
    assert bleu(h, r) == pytest.approx(GOLDEN_BLEU, abs=1e-6)


def test_golden_rouge_l():
    h, r = _tok(GOLDEN_HYPS, GOLDEN_REFS)
    mean, per = rouge_l(h, r)
    assert mean == pytest.approx(GOLDEN_ROUGE[0], abs=1e-6)
    assert per == pytest.approx(GOLDEN_ROUGE[1], abs=1e-6)


def test_golden_cider_d():
    h, r = _tok(GOLDEN_HYPS, GOLDEN_REFS)
    mean, per = cider_d(h, r)
    assert mean == pytest.approx(GOLDEN_CIDER[0], abs=1e-6)
    assert per == pytest.approx(GOLDEN_CIDER[1], abs=1e-6)


@pytest.mark.parametrize("tokenizer", ["ptb", "whitespace"])
def test_golden_through_caption_scores(tokenizer):
    s = caption_scores(GOLDEN_HYPS, GOLDEN_REFS, tokenizer=tokenizer, meteor=False)
    d = s.to_dict(per_item=True)
    assert [d[f"BLEU-{k}"] for k in range(1, 5)] == pytest.approx(GOLDEN_BLEU, abs=1e-6)
    assert d["ROUGE-L"] == pytest.approx(GOLDEN_ROUGE[0], abs=1e-6)
    assert d["CIDEr"] == pytest.approx(GOLDEN_CIDER[0], abs=1e-6)
    assert d["METEOR"] is None and "disabled" in d["meteor_note"]
    assert [it["id"] for it in d["items"]] == list(GOLDEN_REFS)
    assert d["hypotheses"] == 4 and d["references"] == 9
    assert d["tokenizer"] == tokenizer


def test_golden_degenerate_all_yes():
    hyps = {str(i): "yes" for i in range(5)}
    refs = {str(i): ["yes"] for i in range(5)}
    s = caption_scores(hyps, refs, meteor=False)
    assert s.cider == 0.0
    # digest: 1.0, 1e-3, 1e-4, 3.2e-5 (p_1 ~ 1, p_2..4 = 1e-15 / 1e-9)
    assert s.bleu == pytest.approx((1.0, 1e-3, 1e-4, 10 ** -4.5), rel=1e-6)


def test_raw_text_is_tokenised_like_coco():
    raw = {"v1_0": "Yes, he is holding a cup.", "v2_3": "No -- there is no sound in the video!",
           "v3_9": "I hear a dog barking...", "v4_1": "He walks to the right?"}
    a = caption_scores(raw, GOLDEN_REFS, meteor=False).to_dict()
    b = caption_scores(GOLDEN_HYPS, GOLDEN_REFS, meteor=False).to_dict()
    for key in ("BLEU-1", "BLEU-4", "ROUGE-L", "CIDEr"):
        assert a[key] == pytest.approx(b[key], abs=1e-12)


# ------------------------------------------------------------------------------ edge cases
def test_pairing_is_by_id_not_order():
    shuffled = dict(reversed(list(GOLDEN_HYPS.items())))
    a = caption_scores(GOLDEN_HYPS, GOLDEN_REFS, meteor=False)
    b = caption_scores(shuffled, GOLDEN_REFS, meteor=False)
    assert a.bleu == b.bleu and a.cider == b.cider and a.rouge_l_items == b.rouge_l_items


def test_missing_hypothesis_raises():
    hyps = dict(GOLDEN_HYPS)
    del hyps["v3_9"]
    with pytest.raises(ValueError, match="v3_9"):
        caption_scores(hyps, GOLDEN_REFS, meteor=False)


def test_extra_hypothesis_is_reported_and_ignored():
    hyps = {**GOLDEN_HYPS, "zz_1": "something else"}
    s = caption_scores(hyps, GOLDEN_REFS, meteor=False)
    assert s.extra_hypotheses == ("zz_1",)
    assert s.cider == pytest.approx(GOLDEN_CIDER[0], abs=1e-6)


def test_empty_hypothesis_and_one_token_answers():
    s = caption_scores({"a": "", "b": "yes"}, {"a": ["no it is not"], "b": ["yes"]},
                       meteor=False)
    assert s.rouge_l_items == (0.0, 1.0)
    assert s.cider_items[0] == 0.0
    assert s.bleu_counts.guess[0] == 1          # only "yes" is guessed
    assert 0.0 <= s.bleu[0] <= 1.0
    # coco splits "" on a space into one empty token: empty vs empty scores ROUGE-L 1
    assert rouge_l([[]], [[[]]])[0] == 1.0


def test_single_response_cider_is_zero():
    s = caption_scores({"a": "a dog runs"}, {"a": ["a dog runs"]}, meteor=False)
    assert s.cider == 0.0 and s.rouge_l == 1.0


def test_bad_inputs():
    with pytest.raises(ValueError, match="no reference sentence"):
        caption_scores({"a": "x"}, {"a": []}, meteor=False)
    with pytest.raises(ValueError):
        rouge_l([["a"]], [])


@pytest.mark.parametrize("seed", range(5))
def test_lcs_matches_dynamic_programming(seed):
    rng = random.Random(seed)
    for _ in range(50):
        a = [rng.choice("abcd") for _ in range(rng.randint(0, 80))]
        b = [rng.choice("abcd") for _ in range(rng.randint(0, 80))]
        table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                table[i][j] = (table[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1]
                               else max(table[i - 1][j], table[i][j - 1]))
        assert lcs_length(a, b) == table[-1][-1]


def test_stopword_filter_dstc7_regex_semantics():
    f = load_stopwords("dstc7")
    # the official '.' line is a regex: it deletes every one-character token
    assert f("yes , i see a cup .") == "yes see cup"
    assert f.to_dict()["rules"] == 2 and len(f.sha1) == 40


def test_stopwords_on_hypotheses_only():
    f = load_stopwords("dstc7")
    both = caption_scores({"q": "a cup"}, {"q": ["a cup"]}, stopwords=f, meteor=False)
    hyp_only = caption_scores({"q": "a cup"}, {"q": ["a cup"]}, stopwords=f,
                              stopwords_on="hyp", meteor=False)
    assert both.rouge_l == 1.0                      # "cup" vs "cup"
    assert hyp_only.rouge_l == pytest.approx(2.44 * 1.0 * 0.5 / (0.5 + 1.44))  # "cup" vs "a cup"
    assert hyp_only.to_dict()["stopwords"]["applied_to"] == "hyp"
    with pytest.raises(ValueError):
        caption_scores({"q": "a"}, {"q": ["a"]}, stopwords=f, stopwords_on="refs")


def test_stopword_file_with_rewrites(tmp_path):
    p = tmp_path / "stop.txt"
    p.write_text("isn't is_not\num\n", encoding="utf-8")
    f = load_stopwords(p)
    assert f("um it isn't") == "it is_not"
    s = caption_scores({"a": "um yes"}, {"a": ["yes"]}, stopwords=f, meteor=False)
    assert s.to_dict()["stopwords"]["name"] == str(p)


# ------------------------------------------------------------------------------ tokenizers
@pytest.mark.parametrize(("text", "tokens"), [
    ("He doesn't know; it's \"fine\", isn't it?", "he does n't know it 's fine is n't it"),
    ("A man (in a red shirt) walks -- slowly.", "a man -lrb- in a red shirt -rrb- walks slowly"),
    ("I can't, won't, cannot. They're gonna go!", "i ca n't wo n't can not they 're gon na go"),
    ("Mr. Smith paid $3.50 at 3:30pm, 20% more...", "mr. smith paid $ 3.50 at 3:30 pm 20 % more"),
    ("'quoted' dogs' bones, rock'n'roll", "quoted dogs bones rock 'n' roll"),
])
def test_ptb_python_examples(text, tokens):
    assert ptb_tokenize([text])[0] == tokens.split()


def test_ptb_line_keeps_punctuation_before_coco_filter():
    assert ptb_tokenize_line('"Hi," he said.') == ["``", "hi", ",", "''", "he", "said", "."]


def test_ptb_python_matches_java_on_fixture():
    if resource_status(CORENLP_JAR)[0] is None:
        pytest.skip("java or pycocoevalcap's CoreNLP jar is not available")
    lines = [ln for ln in (FIXTURES / "ptb_sentences.txt").read_text("utf-8").splitlines()
             if ln.strip()]
    assert len(lines) > 100
    java = get_tokenizer("ptb-java")(lines + [""])
    assert java[-1] == []                               # an empty caption stays one line
    mine = ptb_tokenize(lines)
    diffs = [(ln, m, j) for ln, m, j in zip(lines, mine, java[:-1], strict=True) if m != j]
    assert not diffs, diffs[:3]


# ------------------------------------------------------------------- against pycocoevalcap
def _random_sets(seed: int, n: int):
    rng = random.Random(seed)
    vocab = "a the man woman dog is holding cup yes no sound walks left".split()

    def sent():
        return " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 14)))
    hyps = {f"q{i}": sent() for i in range(n)}
    refs = {f"q{i}": [sent() for _ in range(rng.randint(1, 6))] for i in range(n)}
    return hyps, refs


@pytest.mark.parametrize("seed", range(4))
def test_bleu_rouge_cider_equal_pycocoevalcap(seed):
    pytest.importorskip("pycocoevalcap.bleu.bleu")
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    hyps, refs = _random_sets(seed, 60)
    res = {k: [v] for k, v in hyps.items()}
    s = caption_scores(hyps, refs, tokenizer="whitespace", meteor=False)
    coco_bleu = Bleu(4).compute_score(refs, res, verbose=0)[0]
    coco_rouge, coco_rouge_items = Rouge().compute_score(refs, res)
    coco_cider, coco_cider_items = Cider().compute_score(refs, res)
    assert s.bleu == pytest.approx(coco_bleu, abs=1e-9)
    assert s.rouge_l == pytest.approx(coco_rouge, abs=1e-12)
    assert np.allclose(s.rouge_l_items, coco_rouge_items, atol=1e-12)
    assert s.cider == pytest.approx(coco_cider, abs=1e-9)
    assert np.allclose(s.cider_items, coco_cider_items, atol=1e-9)


def test_unknown_tokenizer():
    with pytest.raises(AvtoolError, match="ptb"):
        caption_scores(GOLDEN_HYPS, GOLDEN_REFS, tokenizer="nope", meteor=False)
