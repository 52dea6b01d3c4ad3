"""Rendered synthetic AVVP clips: valid media whose sound and sprites follow the labels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from avtool.errors import ConfigError
from avtool.formats.llp import LLP_CLASSES, events_to_masks, read_llp_events, read_llp_weak
from avtool.media.audio import read_audio
from avtool.media.video import read_frames, video_info
from avtool.synth.avvp import SynthAvvpConfig, plan_corpus, synth_avvp
from avtool.synth.avvp_render import (
    CLASS_SOUNDS,
    class_sound,
    class_sprite,
    render_audio,
    render_frames,
)

CFG = SynthAvvpConfig(clips=6, seed=0)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("avvp")
    report = synth_avvp(out, CFG, workers=1)
    truth = [json.loads(line) for line in (out / "truth.jsonl").read_text().splitlines()]
    return out, report, truth


def test_files_are_valid_media(corpus):
    out, report, truth = corpus
    assert report.clips == 6 and report.splits == {"train": 4, "val": 1, "test": 1}
    for clip in truth:
        info = video_info(out / "clips" / f"{clip['filename']}.mp4")
        assert (info.width, info.height, info.fps, info.frames) == (160, 120, 8.0, 80)
        assert info.has_audio and info.duration == pytest.approx(10.0, abs=0.01)


def test_label_files_match_truth(corpus):
    out, _, truth = corpus
    weak = {r.filename: r.labels for name in ("AVVP_train.csv", "AVVP_val_pd.csv",
                                              "AVVP_test_pd.csv")
            for r in read_llp_weak(out / name)}
    assert weak == {c["filename"]: tuple(c["labels"]) for c in truth}
    scored = [c for c in truth if c["split"] in ("val", "test")]
    for modality in ("audio", "visual"):
        masks = events_to_masks(read_llp_events(out / f"AVVP_eval_{modality}.csv"),
                                [c["filename"] for c in scored])
        for i, clip in enumerate(scored):
            want = np.zeros((25, 10), bool)
            for e in clip["events"]:
                for on, off in e[modality]:
                    want[LLP_CLASSES.index(e["label"]), on:off] = True
            np.testing.assert_array_equal(masks[i], want)


def test_sound_follows_audio_spans(corpus):
    out, _, truth = corpus
    noise_db = CFG.noise_dbfs
    for clip in truth:
        wav, sr = read_audio(out / "clips" / f"{clip['filename']}.mp4", 16000)
        db = 10 * np.log10([np.mean(wav[t * sr:(t + 1) * sr] ** 2) + 1e-12 for t in range(10)])
        on = np.zeros(10, bool)
        for e in clip["events"]:
            for a, b in e["audio"]:
                on[a:b] = True
        assert (db[on] > noise_db + 4).all(), (clip["filename"], db.round(1), on)
        assert (db[~on] < noise_db + 1.5).all(), (clip["filename"], db.round(1), on)


def test_sprites_follow_visual_spans(corpus):
    out, _, truth = corpus
    checked = 0
    for clip in truth:
        frames = np.stack([f for _, f in read_frames(out / "clips" /
                                                     f"{clip['filename']}.mp4")]).astype(int)
        colours = {e["label"]: class_sprite(e["label"]).color for e in clip["events"]}
        for e in clip["events"]:
            colour = np.array(colours[e["label"]])
            shared = [o for o in clip["events"] if o is not e and colours[o["label"]] ==
                      colours[e["label"]]]
            if colour.max() < 190 or shared:  # dull colours can occur in the background
                continue
            pixels = (np.abs(frames - colour).max(-1) <= 30).sum(axis=(1, 2))
            visible = np.zeros(80, bool)
            for a, b in e["visual"]:
                visible[a * 8:b * 8] = True
            assert (pixels[visible] >= 40).all() and (pixels[~visible] <= 5).all()
            checked += 1
    assert checked >= 3


def test_every_class_has_its_own_sound_and_sprite():
    assert set(CLASS_SOUNDS) == set(LLP_CLASSES)
    assert len(set(CLASS_SOUNDS.values())) == 25
    looks = [class_sprite(c) for c in LLP_CLASSES]
    assert len({(s.shape, s.color) for s in looks}) == 25
    for a in range(25):
        for b in range(a + 1, 25):
            x, y = looks[a], looks[b]
            assert (x.shape == y.shape) + (x.color == y.color) + (x.motion == y.motion) <= 1
    rng = np.random.default_rng(0)
    for label in ("Speech", "Singing", "Baby_laughter", "Baby_cry_infant_cry", "Banjo",
                  "Helicopter"):
        wav = class_sound(label, 1.5, 16000, rng)
        assert wav.shape == (24000,) and np.isfinite(wav).all()
        assert np.sqrt(np.mean(wav ** 2)) == pytest.approx(1.0, rel=1e-3)


def test_rendering_is_deterministic_and_resumable(corpus, tmp_path):
    out, _, truth = corpus
    plan = plan_corpus(CFG)[1]
    seeds = np.random.SeedSequence(plan.seed).spawn(2)
    a = render_audio(plan.events, CFG, np.random.default_rng(seeds[0]))
    b = render_audio(plan.events, CFG, np.random.default_rng(seeds[0]))
    np.testing.assert_array_equal(a, b)
    f = render_frames(plan.events, CFG, np.random.default_rng(seeds[1]))
    assert f.shape == (80, 120, 160, 3)
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "clips").iterdir()}
    synth_avvp(out, CFG, workers=1)  # same config: nothing is rendered again
    assert {p: p.stat().st_mtime_ns for p in (out / "clips").iterdir()} == mtimes
    with pytest.raises(ConfigError, match="another config"):
        synth_avvp(out, SynthAvvpConfig(clips=6, seed=1))


def test_a_seed_gives_the_same_bytes_whatever_the_worker_count(corpus, tmp_path):
    # x264's macroblock-tree rate control once made ~1 clip in 70 differ between runs.
    out, _, truth = corpus
    synth_avvp(tmp_path, CFG, workers=2)
    for clip in truth:
        name = f"{clip['filename']}.mp4"
        assert (tmp_path / "clips" / name).read_bytes() == (out / "clips" / name).read_bytes()
