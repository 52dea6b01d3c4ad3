"""`avtool synth speakers --variety wide`: more voices, per-speaker timbre, classic unchanged."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

from avtool.cli.app import app
from avtool.errors import ConfigError
from avtool.synth.speakers import (
    ENGINE_RATE,
    FORMANT_RANGE,
    LANGUAGES,
    VARIANTS,
    make_speakers,
    played_rate,
    spectral_envelope,
)

runner = CliRunner()


def test_classic_voices_have_no_timbre_change_and_stay_in_their_ranges():
    specs = make_speakers(40, seed=4)
    assert all(s.formant == 1.0 and s.eq_seed == -1 for s in specs)
    assert {s.language for s in specs} <= set(LANGUAGES)
    assert {s.variant for s in specs} <= set(VARIANTS["m"] + VARIANTS["f"])
    assert all(20 <= s.pitch <= 80 and 130 <= s.rate <= 190 for s in specs)


def test_wide_voices_cover_more_languages_variants_and_timbres():
    specs = make_speakers(300, seed=4, variety="wide")
    assert specs == make_speakers(300, seed=4, variety="wide")
    assert len({s.language for s in specs}) > len(LANGUAGES)
    assert len({s.variant for s in specs}) > 30
    assert min(s.pitch for s in specs) < 20 and max(s.rate for s in specs) > 190
    formants = [s.formant for s in specs]
    assert FORMANT_RANGE[0] <= min(formants) < 0.95 and 1.05 < max(formants) <= FORMANT_RANGE[1]
    assert len({s.eq_seed for s in specs}) == 300
    assert len({(s.language, s.variant, s.pitch, s.rate) for s in specs}) == 300
    with pytest.raises(ConfigError, match="variety"):
        make_speakers(4, 0, variety="huge")


def test_formant_rates_keep_the_resampler_small_and_envelopes_bounded():
    assert played_rate(1.0) == ENGINE_RATE
    for formant in np.linspace(*FORMANT_RANGE, 17):
        rate = played_rate(float(formant))
        assert rate % 50 == 0 and abs(rate / ENGINE_RATE - formant) < 0.002
    gains = spectral_envelope(4097, eq_seed=12)
    db = 20 * np.log10(gains)
    assert np.abs(db).max() <= 18.0 and np.abs(db).max() > 0.5
    assert np.array_equal(gains, spectral_envelope(4097, eq_seed=12))


def test_cli_wide_corpus_has_timbre_columns(tmp_path):
    out = tmp_path / "wide"
    result = runner.invoke(app, ["synth", "speakers", "--out", str(out), "--speakers", "2",
                                 "--utterances", "2", "--variety", "wide", "--workers", "1"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(out / "meta.csv")))
    assert {"formant", "eq_seed"} <= set(rows[0]) and len(rows) == 2
    assert len(list((out / "wav").rglob("*.wav"))) == 4
    bad = runner.invoke(app, ["synth", "speakers", "--out", str(tmp_path / "x"), "--variety",
                              "huge"])
    assert bad.exit_code == 2 and "variety" in bad.output and not (tmp_path / "x").exists()
