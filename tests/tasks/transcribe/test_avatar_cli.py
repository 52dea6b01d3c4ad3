"""`avtool train transcribe` end to end on a tiny espeak corpus: training through the CLI, the
A / A+V switch, transcribing media under noise, predicting from a store, and the error lines."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.errors import MediaError, ModelError
from avtool.tasks import load_model
from avtool.tasks.transcribe.noise import NOISE_KINDS
from avtool.tasks.transcribe.predictor import AvatarTranscriber, StoreInputs, load_transcriber
from avtool.tasks.transcribe.task import DEBUG_SIZES, AvatarTask
from avtool.tasks.transcribe.testing import write_tiny_corpus
from avtool.tasks.transcribe.transcript import Transcriber

runner = CliRunner()
TINY = [arg for key, value in DEBUG_SIZES.items()
        for arg in (f"--{key.replace('_', '-')}", str(value))]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_tiny_corpus(tmp_path_factory.mktemp("avspeech"), clips=12)


def _train(corpus, out, *extra: str):
    return runner.invoke(app, ["train", "transcribe", "--store", str(corpus.store), "--out",
                               str(out), *TINY, "--epochs", "1", "--batch-size", "4",
                               "--warmup-steps", "2", "--device", "cpu", *extra])


@pytest.fixture(scope="module")
def av_run(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "av"
    res = _train(corpus, out, "--word-masking", "content", "--word-timings", str(corpus.words))
    assert res.exit_code == 0, res.output
    return out, json.loads(res.stdout)


@pytest.fixture(scope="module")
def a_run(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "a"
    res = _train(corpus, out, "--modalities", "a", "--spec-augment", "none")
    assert res.exit_code == 0, res.output
    return out


def test_train_through_the_cli_records_what_rebuilds_the_model(av_run, corpus):
    out, summary = av_run
    assert summary["best"]["metric"] == "wer"
    assert {"train_loss", "train_acc", "val_wer", "val_cer"} <= set(summary["last"])
    spec = json.loads((out / "config.json").read_text())["spec"]
    assert spec["modalities"] == "av" and spec["model"]["modalities"] == ["audio", "rgb"]
    assert spec["model"]["d_model"] == 32 and spec["model"]["mel_bins"] == 80
    assert spec["features"]["audio"]["extractor"] == "fbank"
    assert spec["features"]["video"]["config"]["fps"] == 5.0
    assert spec["decode"] == {"beam": 4, "alpha": 0.6, "max_tokens": 15}
    assert spec["tokenizer"]["size"] == 30522 and len(spec["normalization"]["mean"]) == 80
    assert spec["data"]["train_items"] == 8 and spec["data"]["val_items"] == 2
    assert spec["data"]["items_with_timings"] == 8
    assert spec["options"]["word_masking"] == "content"


def test_audio_only_switch(a_run, av_run, corpus, tmp_path):
    from avtool.media.audio import read_audio, write_wav

    spec_a = json.loads((a_run / "config.json").read_text())["spec"]
    assert spec_a["model"]["modalities"] == ["audio"] and spec_a["features"]["video"] is None
    wav = write_wav(tmp_path / "clip.wav", read_audio(corpus.media("clip005"), 16000)[0], 16000)
    audio_only = load_model(a_run)
    assert audio_only.transcribe_file(wav, "clip").id == "clip"
    with pytest.raises(MediaError, match=r"clip.wav: no video stream .*needs the video's frames"):
        load_model(av_run[0]).transcribe_file(wav, "clip")


def test_transcribe_file_under_every_noise_is_reproducible(av_run, corpus):
    model = load_model(av_run[0])
    assert isinstance(model, AvatarTranscriber) and isinstance(model, Transcriber)
    assert (model.beam, model.alpha) == (4, 0.6)
    clip = corpus.media("clip005")
    for kind in NOISE_KINDS:
        first = model.transcribe_file(clip, "clip005", noise=kind, seed=7, word_timestamps=True)
        again = model.transcribe_file(clip, "clip005", noise=kind, seed=7)
        assert first == again
        assert first.words == () and first.model == "avatar"
        assert first.duration == pytest.approx(2.3, abs=0.6)
    features = [model.media_inputs(clip, noise=kind, seed=7)[0] for kind in NOISE_KINDS]
    assert not any(np.array_equal(features[0], f) for f in features[1:])
    assert np.array_equal(model.media_inputs(clip, noise="mixed", seed=7)[0], features[3])


def test_greedy_is_beam_one(av_run, corpus):
    model = load_model(av_run[0])
    clip = corpus.media("clip011")
    audio, frames, _ = model.media_inputs(clip)
    greedy = model.transcribe_features([audio], [frames], beam=1)
    model.beam = 1
    assert model.transcribe_file(clip, "x").text == greedy[0]


def test_predict_from_store_write_and_evaluate(av_run, corpus, tmp_path):
    model = load_model(av_run[0])
    predictions = model.predict(StoreInputs(corpus.store, "test"))
    assert predictions.ids == [i for i, s in corpus.splits.items() if s == "test"]
    written = model.write(predictions, tmp_path / "hyp.txt")
    lines = written.read_text().splitlines()
    assert [ln.split(" ", 1)[0] for ln in lines] == predictions.ids
    scores = AvatarTask.evaluate_files(written, corpus.references("test"))
    assert set(scores) == {"wer", "cer", "mer", "wil"}
    from_media = model.predict([corpus.media(i) for i in predictions.ids])
    assert from_media.ids == predictions.ids and not from_media.failed
    # from media, the checkpoint's own extractors give the store's features back
    from avtool.store import open_store
    from avtool.tasks.transcribe.data import FeatureReader

    reader = FeatureReader(open_store(corpus.store), "fbank", "frames", model.mean, model.std)
    audio, frames, _ = model.media_inputs(corpus.media(predictions.ids[0]))
    assert np.allclose(audio, reader.read_audio(predictions.ids[0]), atol=1e-4)
    assert np.array_equal(frames, reader.read_frames(predictions.ids[0]))


def test_avtool_transcribe_uses_the_checkpoint(av_run, corpus):
    res = runner.invoke(app, ["transcribe", "--model", str(av_run[0]), "--device", "cpu",
                              str(corpus.media("clip011"))])
    assert res.exit_code == 0, res.output
    text = res.stdout.strip().split("\t", 1)
    model = load_model(av_run[0])
    expected = model.transcribe_file(corpus.media("clip011"), "clip011")
    assert text[0] == "clip011" and text[-1].strip() == expected.text


def test_media_errors_name_the_file(av_run, corpus, tmp_path):
    from avtool.media.video import write_video

    silent = write_video(tmp_path / "silent.mp4", [np.zeros((32, 32, 3), np.uint8)] * 10, 25)
    model = load_model(av_run[0])
    with pytest.raises(MediaError, match=r"silent.mp4: no audio stream \(AVATAR"):
        model.transcribe_file(silent, "silent")
    res = runner.invoke(app, ["transcribe", "--model", str(av_run[0]), "--device", "cpu",
                              "--strict", str(silent)])
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "silent.mp4" in res.stderr


def test_checkpoint_of_another_task_is_refused(tmp_path):
    from avtool.train import CHECKPOINT_FORMAT, save_checkpoint

    other = tmp_path / "speaker.pt"
    save_checkpoint(other, {"format": CHECKPOINT_FORMAT, "task": "speaker", "spec": {},
                            "model_state": {}})
    with pytest.raises(ModelError, match=r"speaker.pt: a checkpoint of task speaker, not an "
                                         "AVATAR transcription model"):
        load_transcriber(other)


def test_bad_training_inputs_are_one_line_errors(corpus, tmp_path):
    res = _train(corpus, tmp_path / "r1", "--word-masking", "random")
    assert res.exit_code == 2
    assert "--word-masking random needs --word-timings" in res.stderr
    assert res.stderr.strip().count("\n") == 0
    res = _train(corpus, tmp_path / "r2", "--audio-feature", "logmel")
    assert res.exit_code == 2 and "store.h5: no 'logmel' feature for the audio" in res.stderr
    res = _train(corpus, tmp_path / "r3", "--fusion-layer", "5")
    assert res.exit_code == 2 and "--fusion-layer 5" in res.stderr
    assert not (tmp_path / "r1").exists()
