"""`avtool parse-events` on a tiny LLP store: TSVs `evaluate avvp` accepts, plot, errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.tasks.avvp.synth_features import SynthFeaturesConfig, write_feature_corpus

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("avvp_parse")
    store = write_feature_corpus(root, SynthFeaturesConfig(clips=40, seed=5, dims=(8, 6, 5),
                                                           noise=0.1))
    run = root / "run"
    res = runner.invoke(app, ["train", "--task", "avvp", "--store", str(store), "--out",
                              str(run), "--variant", "base+adv+skip+gcaa", "--d-model", "16",
                              "--epochs", "3", "--batch-size", "8", "--lr", "3e-3",
                              "--val-labels-dir", str(root)])
    assert res.exit_code == 0, res.output
    return root, store, run


def test_store_to_llp_tsvs_that_evaluate_accepts(trained, tmp_path):
    root, store, run = trained
    pa, pv, ev, png = (tmp_path / n for n in ("pa.tsv", "pv.tsv", "events.tsv", "tl.png"))
    res = runner.invoke(app, ["parse-events", str(store), "--model", str(run), "--clips",
                              str(root / "AVVP_test_pd.csv"), "--out", str(ev), "--out-audio",
                              str(pa), "--out-visual", str(pv), "--plot", str(png),
                              "--gt-audio", str(root / "AVVP_eval_audio.csv"), "--gt-visual",
                              str(root / "AVVP_eval_visual.csv"), "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert "events.tsv" in res.stdout and "8" in res.stdout  # summary table: 8 test clips
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    header, *rows = ev.read_text().splitlines()
    assert header.split("\t") == ["clip", "modality", "class", "onset", "offset",
                                  "confidence"]
    test_clips = {line.split("\t")[0] for line in
                  (root / "AVVP_test_pd.csv").read_text().splitlines()[1:]}
    for row in rows:
        clip, modality, _, onset, offset, conf = row.split("\t")
        assert clip in test_clips and modality in ("audio", "visual", "audio-visual")
        assert 0 <= float(onset) < float(offset) <= 10 and 0.5 <= float(conf) <= 1
    assert pa.read_text().startswith("filename\tonset\toffset\tevent_labels\n")
    res = runner.invoke(app, ["evaluate", "avvp", "--clips", str(root / "AVVP_test_pd.csv"),
                              "--gt-audio", str(root / "AVVP_eval_audio.csv"), "--gt-visual",
                              str(root / "AVVP_eval_visual.csv"), "--pred-audio", str(pa),
                              "--pred-visual", str(pv), "--json"])
    assert res.exit_code == 0, res.output
    scores = json.loads(res.stdout)
    assert scores["n_clips"] == 8 and 0 <= scores["segment"]["type_av"] <= 100
    # the audio-visual rows of the event TSV are the intersection of the audio and visual ones
    n_av = sum(r.split("\t")[1] == "audio-visual" for r in rows)
    assert n_av == scores["totals"]["event"]["av"]["tp"] + scores["totals"]["event"]["av"]["fp"]


def test_plot_notes_clips_without_ground_truth(trained, tmp_path):
    root, store, run = trained
    train = {line.split("\t")[0] for line in
             (root / "AVVP_train.csv").read_text().splitlines()[1:]}
    res = runner.invoke(app, ["parse-events", str(store), "--model", str(run), "--plot",
                              str(tmp_path / "tl.png"), "--gt-audio",
                              str(root / "AVVP_eval_audio.csv"), "--gt-visual",
                              str(root / "AVVP_eval_visual.csv"), "--device", "cpu"])
    assert res.exit_code == 0, res.output
    # the eval files annotate val and test clips only: train clips are named on stderr
    assert "--plot: no ground-truth events for" in res.stderr
    named = res.stderr.split("clip(s) (", 1)[1].split(")", 1)[0].replace(", ...", "").split(", ")
    assert named and set(named) <= train
    res = runner.invoke(app, ["parse-events", str(store), "--model", str(run), "--clips",
                              str(root / "AVVP_test_pd.csv"), "--plot", str(tmp_path / "t.png"),
                              "--gt-audio", str(root / "AVVP_eval_audio.csv"), "--gt-visual",
                              str(root / "AVVP_eval_visual.csv"), "--device", "cpu"])
    assert res.exit_code == 0 and "no ground-truth events" not in res.stderr


def test_json_and_table_outputs(trained):
    _, store, run = trained
    res = runner.invoke(app, ["parse-events", str(store), "--model", str(run / "best.pt"),
                              "--split", "test", "--json", "--threshold", "0.0",
                              "--clip-threshold", "0.0"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["clips"] == 8 and out["variant"] == "base+adv+skip+gcaa"
    assert out["thresholds"] == {"clip": 0.0, "segment": 0.0}
    # thresholds 0: every class is one 0-10 event in every modality
    assert len(out["events"]) == 8 * 25 * 3
    assert set(out["events"][0]) == {"clip", "modality", "class", "onset", "offset",
                                     "confidence"}
    assert {(e["onset"], e["offset"]) for e in out["events"]} == {(0.0, 10.0)}
    res = runner.invoke(app, ["parse-events", str(store), "--model", str(run), "--split",
                              "test", "--threshold", "0", "--clip-threshold", "0"])
    assert res.exit_code == 0, res.output
    assert "audio-visual" in res.stdout and "Speech" in res.stdout


def test_video_needs_an_avtool_extractor(trained, tmp_path):
    _, _, run = trained
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not really a video")
    res = runner.invoke(app, ["parse-events", str(video), "--model", str(run)])
    assert res.exit_code == 2
    assert "cannot compute from a video" in res.stderr


@pytest.mark.parametrize("make_args, message", [
    (lambda r, s, t: [str(s), "--model", str(t / "none")], "no such checkpoint"),
    (lambda r, s, t: [str(s), str(s), "--model", str(r)], "give one feature store"),
    (lambda r, s, t: [str(t / "nope.h5"), "--model", str(r)], "no such file or folder"),
    (lambda r, s, t: [str(s), "--model", str(r), "--gt-audio", "a.csv"],
     "give both --gt-audio and --gt-visual"),
    (lambda r, s, t: [str(s), "--model", str(r), "--split", "nosuch"],
     "no clip with split 'nosuch'"),
    (lambda r, s, t: [str(t), "--model", str(r), "--split", "test"],
     "--split and --clips select clips of a feature store input"),
])
def test_errors_exit_2(trained, tmp_path, make_args, message):
    _, store, run = trained
    res = runner.invoke(app, ["parse-events", *make_args(run, store, tmp_path)])
    assert res.exit_code == 2, res.output
    assert message in res.stderr and "Traceback" not in res.output


def test_pretrain_checkpoint_is_not_a_parser(trained, tmp_path):
    _, store, _ = trained
    pre = tmp_path / "pre"
    res = runner.invoke(app, ["train", "--task", "avvp-pretrain", "--store", str(store),
                              "--out", str(pre), "--epochs", "1", "--d-model", "16",
                              "--batch-size", "8"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["parse-events", str(store), "--model", str(pre)])
    assert res.exit_code == 2
    assert "task avvp-pretrain, not an AVVP parser (train one with avtool train avvp)" in res.stderr
