"""Marathi captions (Devanagari) train and align: the vocabulary keeps whole words."""

from __future__ import annotations

import unicodedata

from avtool.tasks import load_model, train_task
from avtool.tasks.grounding.options import GroundingOptions
from avtool.tasks.grounding.predictor import AlignInputs
from avtool.tasks.grounding.testing import write_feature_corpus


def test_marathi_corpus_trains_and_aligns(tmp_path):
    paths = write_feature_corpus(tmp_path / "c", videos=6, seed=1, language="mr")
    options = GroundingOptions(queries=str(paths["train"]), model="malta",
                               video_features="vis", audio_features="aud",
                               embeddings="random", embedding=8, hidden=8, attention=8,
                               segments=8)
    train_task("grounding", options, paths["store"], tmp_path / "run", quiet=True, epochs=1,
               batch_size=16)
    aligner = load_model(tmp_path / "run")
    words = aligner.vocab.words[2:]
    assert "हिरवा" in words or "लाल" in words or "निळा" in words
    # every vocabulary word is whole: it never starts with a combining mark
    assert all(not unicodedata.category(w[0]).startswith("M") for w in words)
    result = aligner.predict(AlignInputs(paths["malta_test"], paths["store"]))
    assert result.alignments and not result.failures
