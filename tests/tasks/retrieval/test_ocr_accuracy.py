"""`python -m avtool.tasks.retrieval.ocr_accuracy`: tesseract against the words a
`synth retrieval --text-share` corpus wrote (skipped only where tesseract is not installed)."""

from __future__ import annotations

import json
import shutil

import pytest

from avtool.synth.retrieval import SynthRetrievalConfig, synth_retrieval
from avtool.tasks.retrieval.ocr_accuracy import main, ocr_accuracy


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_counts_frames_and_videos_whose_word_is_read(tmp_path, capsys):
    cfg = SynthRetrievalConfig(videos=4, seed=1, seconds=2, p_speech=0.0, text_share=0.5)
    synth_retrieval(tmp_path / "c", cfg)
    words = [p.get("text") for p in map(json.loads, (tmp_path / "c" / "truth.jsonl")
                                        .read_text().splitlines())]
    result = ocr_accuracy(tmp_path / "c")
    shown = sum(w is not None for w in words)
    assert 0 < shown < 4 and result.all_videos == 4
    assert result.videos == shown and result.frames == 2 * shown
    assert result.videos_read == shown and result.frames_read >= shown
    main([str(tmp_path / "c"), "--json", "--feature", "ocr_tesseract:min_conf=100"])
    strict = json.loads(capsys.readouterr().out)
    assert strict["videos_read"] <= result.videos_read and strict["feature"].endswith("=100")
