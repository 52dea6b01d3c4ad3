"""`ocr_tesseract`: the words written on a video, embedded per WordPiece; a clear error without
the tesseract binary. Tests that run tesseract are skipped only where it is not installed
(`.ci/run` installs Debian's tesseract-ocr)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.features import MediaSource, build_extractor
from avtool.features.ocr_tesseract import parse_tsv

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract is not installed (apt-get install "
                                            "tesseract-ocr)")
HEADER = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
          "\tconf\ttext")


def _video(path, word: str | None, seconds: int = 2, fps: int = 8):
    from avtool.media.video import write_video
    from avtool.synth.retrieval_render import draw_sign
    from avtool.synth.video import make_background

    rng = np.random.default_rng(0)
    frames = []
    for _ in range(seconds * fps):
        frame = make_background(128, 128, rng).astype(np.uint8).copy()
        if word:
            draw_sign(frame, word)
        frames.append(frame)
    write_video(path, frames, fps)
    return path


def test_tsv_words_are_kept_by_confidence_and_letters():
    rows = [HEADER,
            "1\t1\t0\t0\t0\t0\t0\t0\t384\t384\t-1\t",
            "5\t1\t1\t1\t1\t1\t20\t10\t300\t50\t96.4\t\u201cHARBOUR,",
            "5\t1\t2\t1\t1\t1\t20\t90\t10\t10\t59.9\tBAKERY",
            "5\t1\t3\t1\t1\t1\t20\t90\t10\t10\t91.0\ta",
            "5\t1\t3\t1\t1\t2\t20\t90\t10\t10\t91.0\t|",
            "5\t1\t3\t1\t1\t3\t20\t90\t10\t10\t70.0\tOpen"]
    assert parse_tsv("\n".join(rows), 60.0, 2) == ["HARBOUR", "Open"]
    assert parse_tsv("\n".join(rows), 0.0, 1) == ["HARBOUR", "BAKERY", "a", "Open"]


def test_without_tesseract_extraction_stops_with_one_line(tmp_path, monkeypatch):
    video = _video(tmp_path / "v.mp4", "HOTEL", seconds=1)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = CliRunner().invoke(app, ["extract-features", str(video), "--out",
                                      str(tmp_path / "s.h5"), "--feature", "ocr_tesseract"])
    assert result.exit_code == 2, result.output
    assert "apt-get install tesseract-ocr" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "s.h5").exists()


@needs_tesseract
def test_reads_the_word_on_screen_and_embeds_its_wordpieces(tmp_path):
    from avtool.nn.minilm import WordpieceEncoder

    ex = build_extractor("ocr_tesseract")
    rows = ex(MediaSource(_video(tmp_path / "sign.mp4", "HARBOUR")))
    assert ex.last_words == ["HARBOUR"]  # two frames, one distinct word
    expected = WordpieceEncoder(64)("HARBOUR")
    assert rows.shape == expected.shape and rows.shape[1] == 384
    np.testing.assert_allclose(rows, expected, atol=1e-5)
    assert ex.info().model_checksum == ex.model_checksum and len(ex.model_checksum) == 64


@needs_tesseract
def test_no_text_is_a_missing_expert(tmp_path):
    from avtool.store import open_store
    from avtool.tasks.retrieval.experts import is_timed

    video = _video(tmp_path / "plain.mp4", None)
    ex = build_extractor("ocr_tesseract")
    assert ex(MediaSource(video)).shape == (0, 384) and ex.last_words == []
    result = CliRunner().invoke(app, ["extract-features", str(video), "--out",
                                      str(tmp_path / "s.h5"), "--feature", "ocr_tesseract"])
    assert result.exit_code == 0, result.output
    store = open_store(tmp_path / "s.h5")
    info = store.features["ocr_tesseract"]
    assert store.read("plain", "ocr_tesseract").shape == (0, 384)
    assert not is_timed(info.extractor, info.config)


@needs_tesseract
def test_a_language_not_installed_is_named(tmp_path):
    from avtool.errors import ConfigError

    with pytest.raises(ConfigError, match="tesseract-ocr-xyz"):
        _ = build_extractor("ocr_tesseract:language=xyz").model_checksum
