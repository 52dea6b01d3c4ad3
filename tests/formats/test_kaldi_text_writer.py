"""`write_kaldi_text`: what `read_kaldi_text` reads back; ids that would not are refused."""

from __future__ import annotations

import pytest

from avtool.errors import FormatError
from avtool.formats.kaldi_text import read_kaldi_text, write_kaldi_text


def test_round_trip_collapses_whitespace_and_keeps_order(tmp_path):
    texts = {"utt2": "the  red\tcircle\nbounces", "utt1": "", "spk-3": "été"}
    path = write_kaldi_text(tmp_path / "text", texts)
    assert path.read_text(encoding="utf-8") == "utt2 the red circle bounces\nutt1 \nspk-3 été\n"
    assert read_kaldi_text(path) == {"utt2": "the red circle bounces", "utt1": "",
                                     "spk-3": "été"}


@pytest.mark.parametrize("bad", ["", "two words"])
def test_an_id_that_would_not_read_back_is_refused_and_nothing_written(tmp_path, bad):
    with pytest.raises(FormatError, match="cannot go in a Kaldi text file"):
        write_kaldi_text(tmp_path / "text", {"ok1": "a", bad: "b"})
    assert not (tmp_path / "text").exists()
