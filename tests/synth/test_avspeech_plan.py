"""The synthetic audio-visual speech corpus: vocabulary, sentences, scenes and splits (no
rendering), and every vocabulary word timed by espeak-ng."""

from __future__ import annotations

from collections import Counter

import pytest

from avtool.errors import ConfigError
from avtool.formats.how2 import how2_video_id
from avtool.synth.avspeech import SynthAvspeechConfig, plan_corpus
from avtool.synth.avspeech_render import speak
from avtool.synth.avspeech_vocab import (
    CONTENT_KINDS,
    LOOK_ALIKE,
    VOCABULARIES,
    template_fields,
)
from avtool.synth.sounds import sounds
from avtool.synth.video import COLORS, MOTIONS, SHAPES


@pytest.mark.parametrize("language", sorted(VOCABULARIES))
def test_vocabulary_is_closed_and_unambiguous(language):
    vocab = VOCABULARIES[language]
    assert set(vocab.colour) <= set(COLORS) and set(vocab.shape) == set(SHAPES)
    assert set(vocab.motion) == set(MOTIONS) and set(vocab.sound) <= set(sounds.names())
    words = [w for k in CONTENT_KINDS for w in vocab.words(k).values()]
    words += list(vocab.function_words())
    assert len(words) == len(set(words)), "a word names two things"
    assert all(len(w.split()) == 1 for w in words)
    for template in vocab.templates:
        assert sorted(filter(None, template_fields(template))) == ["colour", "motion", "shape"]
    for template in vocab.sound_templates:
        assert sorted(filter(None, template_fields(template))) == [
            "colour", "motion", "shape", "sound"]


def test_plan_is_deterministic_and_balanced():
    cfg = SynthAvspeechConfig(clips=400, seed=3)
    plans = plan_corpus(cfg)
    assert plans == plan_corpus(cfg) and plans != plan_corpus(SynthAvspeechConfig(clips=400,
                                                                                  seed=4))
    assert Counter(p.split for p in plans) == {"train": 280, "val": 60, "test": 60}
    for split in ("train", "val", "test"):  # exactly 70 % on screen in every split
        members = [p for p in plans if p.split == split]
        assert sum(p.on_screen for p in members) == round(0.7 * len(members))
    assert len({p.id for p in plans}) == 400 and len({p.video for p in plans}) == 400
    assert all(how2_video_id(p.id) == p.video for p in plans)
    off = [p for p in plans if not p.on_screen]
    distractors = [p for p in off if p.shown is not None]
    assert 0.35 < len(distractors) / len(off) < 0.65
    for p in distractors:  # another sprite entirely: nothing the sentence says is shown
        assert all(a != b for a, b in zip(p.shown, p.referent, strict=True))
    for p in plans:
        assert p.referent[1:] not in LOOK_ALIKE
        assert p.shown is None or p.shown[1:] not in LOOK_ALIKE
    assert 0.2 < sum(p.sound is not None for p in plans) / 400 < 0.4
    assert len({(p.voice, p.variant) for p in plans}) > 30
    assert len({p.rate for p in plans}) > 30 and len({p.pitch for p in plans}) > 20
    for kind, i in (("colour", 0), ("shape", 1), ("motion", 2)):
        assert len(Counter(p.referent[i] for p in plans)) == 8, kind


def test_words_carry_kind_and_on_screen_flags():
    for p in plan_corpus(SynthAvspeechConfig(clips=200, seed=1)):
        vocab = VOCABULARIES["en"]
        kinds = [w.kind for w in p.words]
        assert sorted(k for k in kinds if k != "function") == sorted(
            ["colour", "shape", "motion"] + (["sound"] if p.sound else []))
        for w in p.words:
            if w.kind == "function":
                assert w.word in vocab.function_words() and not w.on_screen and not w.content
            else:
                assert w.content and w.on_screen == (p.on_screen and w.kind != "sound")
        said = {w.kind: w.word for w in p.words}
        assert said["colour"] == vocab.colour[p.referent[0]]
        assert said["shape"] == vocab.shape[p.referent[1]]
        assert said["motion"] == vocab.motion[p.referent[2]]
        assert p.text == " ".join(w.word for w in p.words)


@pytest.mark.parametrize("changes,message", [
    ({"clips": 0}, "--clips must be at least 1, got 0"),
    ({"clips": -2}, "--clips must be at least 1"),
    ({"language": "fr"}, "--language 'fr': use one of en, mr"),
    ({"val_fraction": 0.5, "test_fraction": 0.5}, "must leave some train clips"),
    ({"p_on_screen": 1.5}, r"--on-screen must be in \[0, 1\], got 1.5"),
    ({"width": 33}, "even and >= 32"),
    ({"fps": 7}, "divide the sample rate"),
])
def test_bad_config(changes, message):
    with pytest.raises(ConfigError, match=message):
        plan_corpus(SynthAvspeechConfig(**changes))


@pytest.mark.parametrize("language", sorted(VOCABULARIES))
def test_espeak_times_every_vocabulary_word(language):
    """Every word of every kind, in its template position, comes back from espeak-ng as one
    timed word (so words.tsv always matches the transcript)."""
    plans = plan_corpus(SynthAvspeechConfig(clips=60, seed=0, language=language, p_sound=0.5))
    seen: set[str] = set()
    for p in plans:
        new = {w.word for w in p.words} - seen
        if not new:
            continue
        speech = speak(p, 16_000)
        spans = [(a, b) for _, a, b in speech.words]
        assert all(0 <= a <= b <= speech.duration + 1e-6 for a, b in spans)
        assert all(b1 <= a2 + 1e-6 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))
        seen |= new
    vocab = VOCABULARIES[language]
    everything = {w for k in CONTENT_KINDS for w in vocab.words(k).values()}
    assert everything | set(vocab.function_words()) == seen
