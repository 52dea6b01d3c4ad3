"""speakers.csv: the people of interest and their reference photos."""

import pytest

from avtool.errors import FormatError
from avtool.tasks.curate.speakers import poi_folder, read_speakers


def test_reads_rows_with_optional_columns(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "b.jpg").write_bytes(b"x")
    path = tmp_path / "speakers.csv"
    path.write_text("id,name,references,gender\nid1,Ann,a.jpg;b.jpg,F\nid2,Bob,a.jpg,\n")
    pois = read_speakers(path)
    assert [(p.id, p.gender, p.set, len(p.references)) for p in pois] == [
        ("id1", "f", "dev", 2), ("id2", "", "dev", 1)]
    (tmp_path / "videos" / "Bob").mkdir(parents=True)
    assert poi_folder(tmp_path / "videos", pois[1]) == tmp_path / "videos" / "Bob"
    assert poi_folder(tmp_path / "videos", pois[0]) is None


@pytest.mark.parametrize("text, message", [
    ("", ":1: empty file"),
    ("id,references\nid1,a.jpg\n", ":1: missing column\\(s\\) name"),
    ("id,name,references\nid1,Ann,nope.jpg\n", ":2: reference photo .*nope.jpg: no such file"),
    ("id,name,references\nid1,Ann,a.jpg\nid1,Bo,a.jpg\n", ":3: id id1 already on line 2"),
    ("id,name,references,gender\nid1,Ann,a.jpg,x\n", ":2: gender 'x'"),
    ("id,name,references\nid1,Ann,\n", ":2: no reference photo"),
    ("id,name,references\n", "no speaker rows"),
])
def test_errors_name_file_and_line(tmp_path, text, message):
    (tmp_path / "a.jpg").write_bytes(b"x")
    path = tmp_path / "speakers.csv"
    path.write_text(text)
    with pytest.raises(FormatError, match=message):
        read_speakers(path)
