"""espeak-ng speech: reproducible per call, usable from threads and forked workers."""

import multiprocessing as mp
import threading

import numpy as np
import pytest

from avtool.synth.speech import synthesize

TEXT = "hello world number one"


def _speak(text=TEXT):
    return synthesize(text, voice="en", variant="m3", pitch=45, rate=170).audio


def test_same_arguments_give_identical_audio_whatever_came_before():
    first = _speak()
    breathy = synthesize("एक दोन तीन", voice="mr", variant="f2")  # f2 draws breath noise
    synthesize("something else entirely", voice="en", variant="f2", pitch=80, rate=300)
    synthesize("hello there", voice="en", variant="klatt")
    np.testing.assert_array_equal(first, _speak())
    np.testing.assert_array_equal(breathy.audio,
                                  synthesize("एक दोन तीन", voice="mr", variant="f2").audio)


def test_threads_are_serialised():
    reference = _speak()
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(_speak())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for audio in results:
        np.testing.assert_array_equal(audio, reference)


def _child_job(_):
    return _speak()


def test_forked_workers_after_the_parent_spoke():
    reference = _speak()  # the parent has used espeak and torch's resampler
    with mp.get_context("fork").Pool(2) as pool:
        results = pool.map_async(_child_job, range(3)).get(timeout=120)
    for audio in results:
        np.testing.assert_array_equal(audio, reference)


@pytest.mark.parametrize("voice,text", [("en-us", "the cat sat on the mat"),
                                        ("hi", "नमस्ते दुनिया")])
def test_word_spans_cover_the_voiced_audio(voice, text):
    speech = synthesize(text, voice=voice)
    assert [w for w, _, _ in speech.words] == text.split()
    hop = 160
    n = len(speech.audio) // hop
    energy = np.sqrt(np.mean(speech.audio[: n * hop].reshape(n, hop) ** 2, axis=1))
    loud = np.flatnonzero(energy > 0.1 * energy.max())
    covered = np.zeros(n, bool)
    previous_offset = 0.0
    for _, onset, offset in speech.words:
        assert previous_offset <= onset < offset <= speech.duration
        previous_offset = offset
        covered[int(onset * 100): int(np.ceil(offset * 100))] = True
        inside = energy[int(onset * 100): int(np.ceil(offset * 100))]
        assert inside.max() > 0.1 * energy.max()  # every word span holds sound
    assert covered[loud].mean() > 0.95  # and the loud frames lie inside word spans


def test_speaking_rate_and_voice_name():
    slow = synthesize(TEXT, rate=100)
    fast = synthesize(TEXT, rate=350)
    assert fast.duration < 0.6 * slow.duration
    assert synthesize("hi", voice="en", variant="f2").voice == "en+f2"


def test_numbers_and_punctuation_keep_one_entry_per_written_word():
    speech = synthesize("Hello, world! 42 cats, 1999 dogs.")
    assert [w for w, _, _ in speech.words] == ["Hello", "world", "42", "cats", "1999", "dogs"]
    spans = [(a, b) for _, a, b in speech.words]
    assert all(a < b for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))
