"""The README's "Errors and exit status" table is true: each row's example gives its exit
status and the stderr it describes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from avtool.errors import AvtoolError

README = Path(__file__).resolve().parents[2] / "README.md"


def _rows() -> list[tuple[int, str, str]]:
    """(exit, when, example command) of every row of the table."""
    text = README.read_text()
    section = text[text.index("### Errors and exit status"):]
    section = section[:section.index("\n\n", section.index("| exit |"))]
    rows = []
    for line in section.splitlines()[2:]:
        if line.startswith("| ") and not line.startswith("| exit") and "---" not in line:
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows.append((int(cells[0]), cells[1], re.search(r"`avtool (.*)`", cells[3])[1]))
    return rows


ROWS = _rows()


def test_the_table_covers_every_status():
    assert {status for status, _, _ in ROWS} == {0, 1, 2}
    assert len(ROWS) >= 5


@pytest.mark.parametrize(("status", "when", "example"), ROWS, ids=[r[2] for r in ROWS])
def test_row_holds(check, tmp_path, monkeypatch, status, when, example):
    from avtool.testing.hostile import bad_media, good_wav

    monkeypatch.chdir(tmp_path)
    good_wav(tmp_path / "good.wav")
    (tmp_path / "nan.wav").write_bytes(bad_media(tmp_path / "media")["nan.wav"].read_bytes())
    (tmp_path / "broken.h5").write_text("not a store\n")
    debug = example.startswith("--debug")
    if debug:
        monkeypatch.setenv("AVTOOL_DEBUG", "1")
    from typer.testing import CliRunner

    from avtool.cli.app import app

    result = CliRunner().invoke(app, shlex.split(example))
    if debug:  # the traceback: the error is raised, not printed as one line
        assert isinstance(result.exception, AvtoolError)
        assert result.exit_code == status
        return
    check.assert_clean(result, status, *shlex.split(example))
    if status == 2:
        assert result.stderr.startswith("avtool: error: ")
    if status == 1:
        assert "nan.wav" in result.stderr
