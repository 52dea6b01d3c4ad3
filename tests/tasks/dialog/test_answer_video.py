"""The whole media route: `avtool synth dialogs` videos -> llp_* features -> `avtool train
dialog` -> `avtool answer` on video files, whose features are computed with the training
store's extractor settings kept in the checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.formats.avsd import read_avsd_data

runner = CliRunner()
FEATURES = ["llp_frame:segments=3,fps=2,size=64x64", "llp_motion:segments=3,size=64x64",
            "llp_audio:segments=3"]


@pytest.fixture(scope="module")
def media_run(tmp_path_factory):
    import torch

    from avtool.features.pipeline import extract_to_store, read_manifest
    from avtool.synth.dialogs import SynthDialogsConfig, synth_dialogs
    from avtool.tasks import train_task
    from avtool.tasks.dialog.options import DialogOptions

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("dialog_media")
    corpus = root / "corpus"
    synth_dialogs(corpus, SynthDialogsConfig(videos=4, seed=4, seconds=3, width=64, height=64,
                                             fps=4, val_fraction=0.0, test_fraction=0.25))
    store = root / "features.h5"
    report = extract_to_store(read_manifest(corpus / "videos.csv"), store, FEATURES)
    assert not report.failed
    options = DialogOptions(dialogs=str(corpus / "train_set4DSTC7-AVSD.json"), embedding=8,
                            hidden=8, attention=8, fusion=8, decoder=16, min_count=1,
                            decoder_init="question")
    train_task("dialog", options, store, root / "run", quiet=True, epochs=1, batch_size=16,
               device="cpu")
    torch.set_num_threads(threads)
    return corpus, store, root / "run"


def test_answer_a_video_file_like_its_stored_features(media_run):
    corpus, store, run = media_run
    dialog = read_avsd_data(corpus / "test_set.json")[0]
    video = corpus / "videos" / f"{dialog.image_id}.mp4"
    question = dialog.turns[0].question
    from_video = runner.invoke(app, ["answer", str(video), "--question", question, "--model",
                                     str(run), "--device", "cpu", "--json"])
    assert from_video.exit_code == 0, from_video.output
    from_store = runner.invoke(app, ["answer", dialog.image_id, "--question", question,
                                     "--videos", str(store), "--model", str(run), "--device",
                                     "cpu", "--json"])
    assert from_store.exit_code == 0, from_store.output
    a, b = json.loads(from_video.stdout), json.loads(from_store.stdout)
    assert a["answer"] == b["answer"] and np.isclose(a["score"], b["score"], atol=1e-4)


def test_batch_over_a_folder_of_videos(media_run, tmp_path):
    corpus, store, run = media_run
    out = tmp_path / "result.json"
    res = runner.invoke(app, ["answer", "--dialogs", str(corpus / "test_set4DSTC7-AVSD.json"),
                              "--videos", str(corpus / "videos"), "--model", str(run),
                              "--out", str(out), "--last-only", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert not any(d.turns[-1].undisclosed for d in read_avsd_data(out))


def test_a_broken_video_is_one_line(media_run, tmp_path):
    corpus, store, run = media_run
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    res = runner.invoke(app, ["answer", str(broken), "--question", "how many objects are "
                              "there ?", "--model", str(run), "--device", "cpu"])
    assert res.exit_code == 2 and "broken.mp4" in res.output
    assert len(res.output.strip().splitlines()) == 1
