"""The batch driver of `avtool transcribe` with a stand-in transcriber (no Whisper): seeds per
item, input order, bad items, --strict, resume, the extras a model may not take; and the audio
checks and noise every transcriber shares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from avtool.errors import ConfigError, MediaError
from avtool.features.pipeline import plan_jobs
from avtool.tasks.transcribe.audio_input import read_speech_audio
from avtool.tasks.transcribe.run import RecognitionOptions, item_seed, transcribe_jobs
from avtool.tasks.transcribe.transcript import Transcriber, Transcript, Word
from avtool.tasks.transcribe.whisper import monotone_words


class EchoTranscriber:
    """Reads the audio like every transcriber, then 'recognises' its noisy energy and seed."""

    name = "echo"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def transcribe_file(self, path, item_id, *, start=None, end=None, word_timestamps=False,
                        noise="clean", seed=0) -> Transcript:
        self.calls.append(item_id)
        wav = read_speech_audio(path, start=start, end=end, noise=noise, seed=seed)
        return Transcript(item_id, f"energy {float(np.square(wav).sum()):.6f} seed {seed}",
                          len(wav) / 16000, (), self.name)


@pytest.fixture()
def clips(make_wav, tmp_path) -> Path:
    for k in range(3):
        make_wav(f"clips/c{k}.wav", seconds=0.5 + 0.1 * k, freq=200 + 50 * k, seed=k)
    return tmp_path / "clips"


def test_the_stand_in_is_a_transcriber():
    assert isinstance(EchoTranscriber(), Transcriber)


def test_item_seeds_depend_on_seed_and_id_only():
    assert item_seed(3, "a/b") == item_seed(3, "a/b")
    assert len({item_seed(s, i) for s in (0, 1) for i in ("a", "b")}) == 4
    assert 0 <= item_seed(2**40, "x") < 2**63


def test_noisy_results_do_not_depend_on_the_order(clips):
    jobs = plan_jobs([clips])
    options = RecognitionOptions(noise="mixed", seed=5)
    forward = transcribe_jobs(jobs, EchoTranscriber(), options=options)
    backward = transcribe_jobs(jobs[::-1], EchoTranscriber(), options=options)
    assert [t.id for t in forward.transcripts] == ["c0", "c1", "c2"]  # input order
    assert sorted(forward.transcripts, key=lambda t: t.id) == \
        sorted(backward.transcripts, key=lambda t: t.id)
    clean = transcribe_jobs(jobs, EchoTranscriber())
    assert clean.transcripts != forward.transcripts
    assert forward.transcribed == 3 and forward.audio_seconds == pytest.approx(1.8)


def test_bad_items_are_collected_or_raised_with_strict(clips):
    (clips / "broken.wav").write_bytes(b"RIFF....WAVEnope")
    sf.write(clips / "quiet.wav", np.zeros(8000, np.float32), 16000)
    jobs = plan_jobs([clips])
    report = transcribe_jobs(jobs, EchoTranscriber())
    assert [t.id for t in report.transcripts] == ["c0", "c1", "c2"]
    assert [b.id for b in report.bad] == ["broken", "quiet"]
    assert all(b.message.startswith(b.path) for b in report.bad)
    assert report.to_dict()["failed"] == 2
    with pytest.raises(MediaError, match=r"broken\.wav: cannot read audio"):
        transcribe_jobs(jobs, EchoTranscriber(), strict=True)


def test_a_journal_makes_reruns_skip_what_is_done(clips, tmp_path):
    journal = tmp_path / "hyp.tsv.journal.jsonl"
    jobs = plan_jobs([clips])
    first = transcribe_jobs(jobs[:2], EchoTranscriber(), journal=journal)
    model = EchoTranscriber()
    second = transcribe_jobs(jobs, model, journal=journal)
    assert model.calls == ["c2"] and (second.resumed, second.transcribed) == (2, 1)
    assert second.transcripts[:2] == first.transcripts
    with pytest.raises(ConfigError, match="other settings"):
        transcribe_jobs(jobs, EchoTranscriber(), journal=journal,
                        options=RecognitionOptions(word_timestamps=True))


def test_options_a_model_cannot_honour_are_refused(clips):
    jobs = plan_jobs([clips])
    with pytest.raises(ConfigError, match="--snr: echo mixes environment noise at its own 5 dB"):
        transcribe_jobs(jobs, EchoTranscriber(), options=RecognitionOptions(noise="env",
                                                                              snr_db=0.0))
    with pytest.raises(ConfigError, match="--noise 'rain'"):
        transcribe_jobs(jobs, EchoTranscriber(), options=RecognitionOptions(noise="rain"))
    with pytest.raises(ConfigError, match="workers > 1"):
        transcribe_jobs(jobs, EchoTranscriber(), workers=2)


def test_progress_reaches_the_total(clips):
    seen = []
    transcribe_jobs(plan_jobs([clips]), EchoTranscriber(),
                    progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0.0, pytest.approx(1.8)) and seen[-1] == (pytest.approx(1.8),) * 2


def test_audio_checks_and_seeded_noise(make_wav, tmp_path):
    path = make_wav("a.wav", seconds=1.0)
    clean = read_speech_audio(path)
    same = [read_speech_audio(path, noise="mixed", seed=4) for _ in range(2)]
    assert np.array_equal(same[0], same[1]) and not np.array_equal(same[0], clean)
    assert not np.array_equal(same[0], read_speech_audio(path, noise="mixed", seed=5))
    assert len(read_speech_audio(path, start=0.25, end=0.75)) == 8000
    sf.write(tmp_path / "short.wav", 0.3 * np.ones(1000, np.float32), 16000)
    with pytest.raises(MediaError, match=r"short\.wav: audio is 0\.06 s long; .* at least 0\.1 s"):
        read_speech_audio(tmp_path / "short.wav")
    sf.write(tmp_path / "zero.wav", np.zeros(16000, np.float32), 16000)
    with pytest.raises(MediaError, match=r"zero\.wav: audio is silent"):
        read_speech_audio(tmp_path / "zero.wav")


def test_word_times_are_made_monotone_and_kept_inside_the_audio():
    words = [Word("a", 0.0, 0.5), Word("b", 0.4, 0.9), Word("", 1.0, 1.0), Word("c", 1.8, 2.6)]
    fixed = monotone_words(words, 2.2)
    assert [(w.text, w.start, w.end) for w in fixed] == [("a", 0.0, 0.5), ("b", 0.5, 0.9),
                                                         ("c", 1.8, 2.2)]
