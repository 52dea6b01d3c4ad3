"""AVATAR's data: word timings, frame sampling, utterances of a store, batches."""

from __future__ import annotations

import numpy as np
import pytest

from avtool.errors import FormatError, StoreError
from avtool.store import FeatureInfo, ItemInfo, StoreWriter, open_store
from avtool.tasks.transcribe.data import (
    FeatureReader,
    collate,
    frame_indices,
    load_utterances,
    normalization_stats,
    read_word_timings,
)
from avtool.tasks.transcribe.wordpiece import bert_wordpiece

FBANK = FeatureInfo("fbank", "fbank", {"num_mel_bins": 80}, 100.0, (80,), "float32")
FRAMES = FeatureInfo("frames", "frames", {"fps": 5.0, "size": [8, 6]}, 5.0, (6, 8, 3), "uint8")


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "s.h5"
    rng = np.random.default_rng(0)
    texts = {"u1": "The red circle.", "u2": "A blue star spins", "u3": "green " * 40}
    with StoreWriter(path, {"fbank": FBANK, "frames": FRAMES}) as writer:
        for n, (item, text) in enumerate(texts.items()):
            frames = 150 + 100 * n
            writer.add(ItemInfo(item, "", frames / 100, {"split": "train" if n < 2 else "val",
                                                         "text": text}),
                       {"fbank": rng.normal(2.0, 3.0, (frames, 80)).astype(np.float32),
                        "frames": np.full((8, 6, 8, 3), n, np.uint8)
                        + np.arange(8, dtype=np.uint8)[:, None, None, None]})
    return path


def test_word_timings_tsv(tmp_path):
    path = tmp_path / "words.tsv"
    path.write_text("id\tindex\tword\tstart\tend\tcontent\n"
                    "u1\t1\tred\t0.40\t0.62\t1\nu1\t0\tthe\t0.10\t0.40\t0\n\n"
                    "u2\t0\tstar\t1\t1.5\t1\n")
    timings = read_word_timings(path)
    assert [w.word for w in timings["u1"]] == ["the", "red"]
    assert timings["u2"][0].start == 1.0 and timings["u2"][0].end == 1.5
    path.write_text("id\tword\tbegin\tend\nu1\tthe\t0\t1\n")
    with pytest.raises(FormatError, match=r"words.tsv:1: the header lacks column\(s\) start"):
        read_word_timings(path)
    path.write_text("id\tword\tstart\tend\nu1\tthe\tzero\t1\n")
    with pytest.raises(FormatError, match="words.tsv:2"):
        read_word_timings(path)
    path.write_text("id\tword\tstart\tend\nu1\tthe\t2\t1\n")
    with pytest.raises(FormatError, match="start 2.0 and end 1.0"):
        read_word_timings(path)


def test_frame_indices_are_0_4_s_apart_centred_or_random():
    assert frame_indices(20, 5.0, 2, 0.4) == [8, 10]  # 2 frames at 5 fps apart, centred
    assert frame_indices(100, 25.0, 2, 0.4) == [44, 54]
    assert frame_indices(1, 5.0, 2, 0.4) == [0, 0]  # too short: the last frame repeats
    rng = np.random.default_rng(0)
    starts = {frame_indices(20, 5.0, 2, 0.4, rng)[0] for _ in range(200)}
    assert starts == set(range(0, 18))


def test_utterances_tokens_split_and_limits(store, caplog):
    tok = bert_wordpiece()
    handle = open_store(store)
    train = load_utterances(handle, "train", "fbank", "frames", tok, "basic", 16)
    assert [u.id for u in train] == ["u1", "u2"]
    assert train[0].text == "the red circle"
    assert train[0].tokens == [101, 1996, 2417, 4418, 102]
    val = load_utterances(handle, "val", "fbank", None, tok, "basic", 16)
    assert len(val[0].tokens) == 16 and val[0].tokens[-1] == 102  # cut to 16 with [SEP]
    assert "cut" in caplog.text
    short = load_utterances(handle, "", "fbank", None, tok, "basic", 64, max_frames=200)
    assert [u.id for u in short] == ["u1"]  # 250 and 350 frames are longer than the window


def test_transcripts_file_replaces_the_text_labels(store, tmp_path):
    text = tmp_path / "text"
    text.write_text("u1 one two\nu2 three\n")
    handle = open_store(store)
    utts = load_utterances(handle, "train", "fbank", None, bert_wordpiece(), "none", 16, text)
    assert [u.text for u in utts] == ["one two", "three"]
    text.write_text("u1 one two\n")
    with pytest.raises(FormatError, match="no transcript for item 'u2'"):
        load_utterances(handle, "train", "fbank", None, bert_wordpiece(), "none", 16, text)


def test_missing_features_are_store_errors(store):
    from avtool.tasks.transcribe.data import check_features

    handle = open_store(store)
    with pytest.raises(StoreError, match="no 'logmel' feature for the audio"):
        check_features(handle, "logmel", None)
    with pytest.raises(StoreError, match="expected RGB images"):
        check_features(handle, "fbank", "fbank")


def test_reader_normalises_and_batches(store):
    handle = open_store(store)
    mean, std = normalization_stats(handle, ["u1", "u2"], "fbank")
    assert abs(float(mean.mean()) - 2.0) < 0.1 and abs(float(std.mean()) - 3.0) < 0.1
    reader = FeatureReader(handle, "fbank", "frames", mean, std)
    a1, a2 = reader.read_audio("u1"), reader.read_audio("u2")
    f1 = reader.read_frames("u1")
    assert f1.shape == (2, 6, 8, 3) and f1[:, 0, 0, 0].tolist() == [2, 4]
    audio, lengths, frames, tokens = collate([(a1, f1, [101, 5, 102]), (a2, f1, [101, 102])])
    assert audio.shape == (2, 250, 80) and lengths.tolist() == [150, 250]
    assert float(audio[0, 150:].abs().sum()) == 0.0
    assert frames.shape == (2, 2, 6, 8, 3)
    assert tokens.tolist() == [[101, 5, 102], [101, 102, 0]]
