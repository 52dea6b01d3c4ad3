"""VoxCeleb writers (what `avtool curate` writes): face-track txt files in the VoxCeleb2
layout and vox1_meta.csv, read back by the readers."""

import numpy as np
import pytest

from avtool.errors import FormatError
from avtool.formats.voxceleb import (
    FaceTrackFile,
    SpeakerMeta,
    read_face_track,
    read_voxceleb_meta,
    write_face_track,
    write_voxceleb_meta,
)

# The header and first rows of a VoxCeleb2 dev txt file, as released.
VOX2_TXT = ("Identity  : \tid00012\nReference : \t_raOc3-IRsw\nOffset    : \t2\n"
            "FV Conf   : \t20.230\t(1)\nASD Conf  : \t2.765\n\nFRAME \tX \tY \tW \tH \n"
            "000349 \t0.319 \t0.067 \t0.424 \t0.753 \n000350 \t0.319 \t0.067 \t0.424 \t0.753 \n")


def test_reads_a_released_voxceleb2_txt(tmp_path):
    path = tmp_path / "00001.txt"
    path.write_text(VOX2_TXT)
    track = read_face_track(path)
    assert (track.identity, track.reference, track.offset) == ("id00012", "_raOc3-IRsw", 2)
    assert (track.fv_conf, track.fv_reference, track.asd_conf) == (20.23, 1, 2.765)
    assert track.frames.tolist() == [349, 350]
    assert track.boxes[0].tolist() == [0.319, 0.067, 0.424, 0.753]
    assert track.seconds() == (349 / 25, 351 / 25)


def test_face_track_round_trip_has_the_released_layout(tmp_path):
    track = FaceTrackFile("id00012", "_raOc3-IRsw", 2, 20.23, 1, 2.765, np.array([349, 350]),
                          np.array([[0.319, 0.067, 0.424, 0.753]] * 2))
    path = tmp_path / "t.txt"
    write_face_track(path, track)
    assert path.read_text() == VOX2_TXT
    back = read_face_track(path)
    assert back.frames.tolist() == [349, 350] and back.offset == 2


@pytest.mark.parametrize("text, message", [
    ("Identity  : \tid1\n\nFRAME X Y W H\n1 0 0 1 1\n", "header lacks"),
    (VOX2_TXT.replace("000350 \t0.319", "000350 \tx"), ":9: expected 'FRAME X Y W H'"),
    (VOX2_TXT.split("000349")[0], "no FRAME rows"),
    ("Colour : red\n", ":1: expected 'Key : value'"),
])
def test_malformed_face_tracks(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(FormatError, match=message):
        read_face_track(path)


def test_meta_round_trip(tmp_path):
    speakers = [SpeakerMeta("id00001", "A.J._Buckley", "m", "Ireland", "dev"),
                SpeakerMeta("id00002", "Person_3", "", None, "test")]
    path = tmp_path / "vox1_meta.csv"
    write_voxceleb_meta(path, speakers)
    assert path.read_text().splitlines()[0] == "VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet"
    back = read_voxceleb_meta(path)
    assert [(s.speaker, s.name, s.gender, s.set) for s in back] == [
        ("id00001", "A.J._Buckley", "m", "dev"), ("id00002", "Person_3", "", "test")]
    with pytest.raises(FormatError, match="tab or line break"):
        write_voxceleb_meta(path, [SpeakerMeta("id1", "a\tb", "m", None, "dev")])
