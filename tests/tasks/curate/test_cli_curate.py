"""`avtool curate` end to end through the CLI on a small generated corpus (with the default
active speaker network, the shipped SyncNet checkpoint): which segments are kept, the
VoxCeleb layout it writes, the review page (also in a real browser), resuming, bad inputs,
and the chain into `extract-features` and `train speaker` with no conversion."""

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.formats.voxceleb import read_face_track, read_voxceleb_dir, read_voxceleb_meta
from avtool.synth.talking_faces import TalkingHeadsConfig, synth_talking_heads

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("talking-heads")
    truth = synth_talking_heads(root, TalkingHeadsConfig(pois=2, shot_seconds=3.0), workers=1)
    return root, truth


def _curate(root: Path, out: Path, *extra: str):
    return runner.invoke(app, [
        "curate", "--speakers", str(root / "speakers.csv"), "--videos", str(root / "videos"),
        "--out", str(out), "--config", str(root / "curate.toml"), "--detect-every", "3",
        *extra])


@pytest.fixture(scope="module")
def curated(corpus, tmp_path_factory):
    root, truth = corpus
    out = tmp_path_factory.mktemp("curated") / "vox"
    result = _curate(root, out, "--report", "--truth",
                     str(root / "truth.json"), "--json")
    return out, result


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".curate" not in p.parts
            and not p.name.startswith("report")}


def test_keeps_exactly_what_a_perfect_pipeline_keeps(corpus, curated):
    root, truth = corpus
    out, result = curated
    bad = [v for v in truth["videos"] if not v["has_audio"]]
    assert result.exit_code == 1, result.output  # the video without audio is a bad input
    assert f"{Path(bad[0]['path']).name}: no audio stream" in result.output
    summary = json.loads(result.stdout)
    assert [b["path"].endswith(bad[0]["path"]) for b in summary["bad"]] == [True]
    rows = [r.split(",") for r in (out / "segments.csv").read_text().splitlines()[1:]]
    kept = [r for r in rows if r[5] == "kept"]
    spans = [(v["video"], s) for v in truth["videos"] for s in v["speech"]]

    def inside(row, span):
        start, end = float(row[3]), float(row[4])
        return min(end, span["end"]) - max(start, span["start"]) >= 0.8 * (end - start)

    # the two-faces shots of both POIs, and one copy of each re-uploaded shot
    must = [(v, s) for v, s in spans if s["expected"] == "kept" and "duplicate_group" not in s]
    groups = {s["duplicate_group"] for _, s in spans if "duplicate_group" in s}
    assert len(kept) == len(must) + len(groups) == 4
    for video, span in must:
        assert [r for r in kept if r[1] == video and inside(r, span)], (video, span)
    for group in groups:
        copies = [(v, s) for v, s in spans if s.get("duplicate_group") == group]
        assert sum(inside(r, s) for r in kept for v, s in copies if r[1] == v) == 1, group
    # voice-over, dubbing and the distractor are rejected at their stage
    for video, span in spans:
        if span["expected"] in ("active_speaker", "face_verification"):
            assert [r for r in rows if r[1] == video and r[6] == span["expected"]
                    and min(float(r[4]), span["end"]) > max(float(r[3]), span["start"])], \
                (video, span)
    # the network finds every track it passed (re-uploads included) exactly in sync
    results = [json.loads(p.read_text()) for p in (out / ".curate").rglob("result.json")]
    offsets = [s["asd_offset"] for r in results for s in r["kept"]]
    assert len(offsets) >= 4 and set(offsets) == {0}, offsets
    metrics = summary["metrics"]
    for stage in ("shots", "tracks", "active_speaker", "face_verification", "duplicates",
                  "final"):
        assert metrics[stage]["precision"] in (None, 1.0), (stage, metrics[stage])
    assert metrics["final"]["recall"] == 1.0


def test_writes_the_voxceleb_layout(corpus, curated):
    root, truth = corpus
    out, _ = curated
    utterances = read_voxceleb_dir(out / "wav")
    assert {u.speaker for u in utterances} == {"id00001", "id00002"}
    for u in utterances:
        info = sf.info(u.path)
        assert (info.samplerate, info.channels) == (16000, 1) and info.duration >= 1.0
        track = read_face_track(out / "txt" / u.speaker / u.video / f"{u.utterance}.txt")
        assert track.identity == u.speaker and track.reference == u.video
        assert abs(len(track.frames) / 25 - info.duration) < 0.05
        assert (track.boxes > 0).all() and (track.boxes < 1).all()
        assert abs(track.offset) <= 2 and track.fv_conf < 0.45 and track.asd_conf > 0
    meta = read_voxceleb_meta(out / "meta.csv")
    assert [(m.speaker, m.name, m.gender, m.set) for m in meta] == [
        ("id00001", "Person_2", "m", "dev"), ("id00002", "Person_3", "f", "dev")]
    assert not list(out.rglob("*.part*"))


def test_report_page_and_plot(curated):
    out, _ = curated
    page = (out / "report.html").read_text()
    assert page.count("<audio") == 4 and "rejected: active_speaker" in page
    assert "rejected: face_verification" in page
    assert (out / "report.png").stat().st_size > 10_000
    for src in page.split("src='")[1:]:
        assert (out / src.split("'")[0]).exists(), src.split("'")[0]


def test_rerun_resumes_and_gives_the_same_output(corpus, curated):
    root, _ = corpus
    out, _ = curated
    before = _digest(out)
    result = _curate(root, out, "--json")
    assert result.exit_code == 1  # the bad video is tried again and reported again
    summary = json.loads(result.stdout)
    assert summary["resumed"] == 6 and summary["processed"] == 0
    assert _digest(out) == before
    # a run killed in the middle of a video: its staging folder never got its final name
    stage = next((out / ".curate" / "videos").glob("*/*/result.json")).parent
    stage.rename(stage.with_name(stage.name + ".part-999"))
    result = _curate(root, out, "--json")
    assert json.loads(result.stdout)["processed"] == 1
    assert _digest(out) == before and not list(out.rglob("*.part-*"))
    changed = _curate(root, out, "--detect-every", "1")
    assert changed.exit_code == 2 and "curated with other settings" in changed.output


def test_output_feeds_extract_features_and_train_speaker(curated, tmp_path):
    out, _ = curated
    store = tmp_path / "vox.h5"
    result = runner.invoke(app, ["extract-features", str(out / "wav"), "--out", str(store),
                                 "--feature", "spectrogram", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["items"] == 4
    result = runner.invoke(app, ["train", "speaker", "--store", str(store), "--out",
                                 str(tmp_path / "run"), "--model", "debug", "--pool", "tap",
                                 "--epochs", "1", "--batch-size", "4", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "last.pt").exists()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                    "(apt-get install chromium; .ci/run installs it)")
BROWSER_SIZE = (1000, 1400)
# report.html in a real browser: headless Chromium (Debian's `chromium`, which .ci/run
# installs; these tests are skipped only where it is not installed). PROBE is appended to a
# copy of the page: after load, it writes what the browser made of the images.
PROBE = """<script>window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => ({src: i.getAttribute('src'),
    w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().height}));
  const pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify(imgs); document.body.appendChild(pre);
});</script>"""


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--allow-file-access-from-files", "--hide-scrollbars",
                           "--virtual-time-budget=5000", *args],
                          capture_output=True, text=True, timeout=120)


@needs_chromium
def test_report_in_a_browser_screenshot_is_the_page_rendered(curated, tmp_path):
    report, _ = curated
    import cv2

    shot = tmp_path / "shot.png"
    run = _chromium(f"--screenshot={shot}", f"--window-size={BROWSER_SIZE[0]},{BROWSER_SIZE[1]}",
                    (report / "report.html").as_uri())
    assert shot.exists(), run.stderr[-2000:]
    image = cv2.imread(str(shot))
    assert image.shape[:2] == (BROWSER_SIZE[1], BROWSER_SIZE[0])
    assert image.std() > 20  # not blank
    colours = len(np.unique(image.reshape(-1, 3) // 16, axis=0))
    assert colours > 50, colours  # a photo-like page: thumbnails and plot, not just text
    kept = np.all(np.abs(image.astype(int) - (0xec, 0xf7, 0xea)) <= 2, axis=2)  # BGR
    assert kept.sum() > 1000  # the kept rows' green background is painted


@needs_chromium
def test_report_in_a_browser_every_image_loads_and_is_shown(curated):
    report, _ = curated
    probe = report / "report-probe.html"
    probe.write_text((report / "report.html").read_text().replace("</body>",
                                                                  PROBE + "</body>"))
    run = _chromium("--dump-dom", probe.as_uri())
    found = re.search(r"<pre id=\"probe\">(.*?)</pre>", run.stdout, re.S)
    assert found, run.stderr[-2000:]
    images = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    thumbs = [i for i in images if "/track-" in i["src"]]
    assert thumbs and len(images) == len(thumbs) + 1
    assert all(i["w"] > 0 and i["h"] > 0 and i["shown"] > 0 for i in images), images
    assert all(i["shown"] == 64 for i in thumbs)  # img.thumb{height:64px}
