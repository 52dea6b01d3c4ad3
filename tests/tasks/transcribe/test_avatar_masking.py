"""AVATAR's training strategies: word masking (random / content), SpecAugment, frame
augmentation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from avtool.errors import ConfigError, FormatError
from avtool.nn.specaugment import SPEC_AUGMENT_POLICIES, spec_augment
from avtool.tasks.transcribe.augment import prepare_frames
from avtool.tasks.transcribe.masking import (
    STOP_WORDS,
    WordMasker,
    WordSpan,
    choose_words,
    frame_span,
    is_content_word,
    mask_words,
    masking_probability,
    read_stop_words,
)

VOCAB = ["the", "red", "circle", "moves", "up", "and", "down", "a", "blue", "star", "is",
         "on", "screen", "it", "spins"]


def _corpus(n=3000, seed=0) -> list[list[WordSpan]]:
    rng = np.random.default_rng(seed)
    return [[WordSpan(VOCAB[int(rng.integers(len(VOCAB)))], 0.3 * i, 0.3 * i + 0.25)
             for i in range(int(rng.integers(4, 9)))] for _ in range(n)]


def test_stop_words_are_nltks_english_list():
    assert len(STOP_WORDS) == 179
    assert {"the", "and", "up", "down", "don't"} <= STOP_WORDS
    assert is_content_word("Circle.") and not is_content_word("The") and not is_content_word("")


@pytest.mark.parametrize("mode", ["random", "content"])
def test_about_ten_percent_of_all_words_are_masked(mode):
    corpus = _corpus()
    words = [w.word for utt in corpus for w in utt]
    p = masking_probability(mode, 0.10, words)
    rng = np.random.default_rng(1)
    chosen = [[utt[i] for i in choose_words(utt, mode, p, rng)] for utt in corpus]
    masked = [w for utt in chosen for w in utt]
    assert abs(len(masked) / len(words) - 0.10) < 0.012
    if mode == "content":
        assert all(is_content_word(w.word) for w in masked)
        content = sum(is_content_word(w) for w in words)
        assert p == pytest.approx(0.10 * len(words) / content)
    else:
        assert p == 0.10
        assert any(not is_content_word(w.word) for w in masked)


def test_content_rate_is_capped_and_none_masks_nothing():
    assert masking_probability("content", 0.5, ["the", "red", "a", "of"]) == 1.0
    assert masking_probability("content", 0.1, ["the", "a"]) == 0.0
    assert masking_probability("none", 0.1, VOCAB) == 0.0
    utt = _corpus(1)[0]
    assert choose_words(utt, "none", 1.0, np.random.default_rng(0)) == []
    with pytest.raises(ConfigError, match="--word-masking 'all'"):
        masking_probability("all", 0.1, VOCAB)
    with pytest.raises(ConfigError, match="--mask-rate"):
        masking_probability("random", 1.5, VOCAB)


def test_masking_zeroes_exactly_the_chosen_words_frames():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 80)).astype(np.float32) + 3.0
    words = [WordSpan("the", 0.10, 0.234), WordSpan("red", 0.234, 0.611),
             WordSpan("circle", 0.70, 1.255)]
    out = mask_words(features, words, [0, 2], frame_rate=100.0)
    zero_rows = np.flatnonzero((out == 0).all(axis=1)).tolist()
    assert zero_rows == list(range(10, 24)) + list(range(70, 126))
    keep = np.ones(200, bool)
    keep[zero_rows] = False
    assert np.array_equal(out[keep], features[keep])
    assert np.all(features != 0)  # the input is not modified
    assert frame_span(1.9, 2.5, 100.0, 200) == (190, 200)  # clipped to the item
    assert frame_span(0.29, 0.57, 100.0, 200) == (29, 57)  # not 28..58 by rounding error


def test_word_masker_masks_content_words_only():
    words = [WordSpan("the", 0.0, 0.1), WordSpan("star", 0.1, 0.2), WordSpan("is", 0.2, 0.3)]
    masker = WordMasker("content", 1.0, 100.0)
    out = masker(np.ones((30, 4), np.float32), words, np.random.default_rng(0))
    assert np.flatnonzero((out == 0).all(axis=1)).tolist() == list(range(10, 20))


def test_stop_word_file(tmp_path):
    path = tmp_path / "stop.txt"
    path.write_text("# mine\nThe\nstar\n\n")
    assert read_stop_words(path) == frozenset({"the", "star"})
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(FormatError, match="empty.txt: no stop word"):
        read_stop_words(tmp_path / "empty.txt")


def test_spec_augment_masks_within_each_utterance():
    x = torch.ones(3, 300, 80)
    lengths = torch.tensor([300, 120, 50])
    policy = SPEC_AUGMENT_POLICIES["ld"]
    out = spec_augment(x, lengths, policy, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, torch.ones(3, 300, 80))
    assert (out == 0).any()
    for b, length in enumerate(lengths.tolist()):
        assert torch.equal(out[b, length:], x[b, length:])  # padding untouched
        masked_freq = int((out[b, :length] == 0).all(0).sum())
        assert masked_freq <= 2 * 27
        masked_time = int((out[b, :length] == 0).all(1).sum())
        assert masked_time <= min(2 * 100, length)


def test_frames_are_resized_or_cropped_and_jittered():
    frames = torch.randint(0, 256, (2, 2, 24, 40, 3), dtype=torch.uint8)
    plain = prepare_frames(frames, 32)
    assert plain.shape == (2, 3, 2, 32, 32)
    assert plain.min() >= -1 and plain.max() <= 1
    g = torch.Generator().manual_seed(0)
    aug = prepare_frames(frames, 32, augment=True, generator=g)
    assert aug.shape == plain.shape and not torch.allclose(aug, plain)
    same = prepare_frames(frames, 32, augment=True, generator=torch.Generator().manual_seed(0))
    assert torch.equal(aug, same)
