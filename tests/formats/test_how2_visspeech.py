"""How2 (text.id.en + segments) and VisSpeech (VisSpeech.csv): fixtures in the release
layouts, round trips, and one FormatError naming file:line per malformed input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from avtool.errors import FormatError
from avtool.formats.how2 import (
    How2Segment,
    how2_video_id,
    read_how2,
    read_how2_segments,
    read_how2_text,
    write_how2,
)
from avtool.formats.visspeech import VisSpeechSegment, read_visspeech, write_visspeech

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcribe"
HOW2_DEV5 = FIXTURES / "how2" / "dev5"
VISSPEECH = FIXTURES / "visspeech" / "VisSpeech.csv"


# ------------------------------------------------------------------------------------ How2


def test_how2_fixture():
    segments = read_how2(HOW2_DEV5)
    assert [s.id for s in segments] == ["-aB3x_Y9kQ0_0", "-aB3x_Y9kQ0_2", "-aB3x_Y9kQ0_3_4",
                                        "Zq8_-w1LmN4_1", "Zq8_-w1LmN4_10"]
    assert segments[2] == How2Segment(
        "-aB3x_Y9kQ0_3_4", "-aB3x_Y9kQ0", 12.14, 23.95,
        "then pour in the warm water, and mix it with a wooden spoon")
    assert segments[1].end == 11.7 and segments[4].video == "Zq8_-w1LmN4"
    assert how2_video_id("Zq8_-w1LmN4_10") == "Zq8_-w1LmN4"  # never split on "_"


def test_how2_write_gives_the_release_files_back(tmp_path):
    segments = read_how2(HOW2_DEV5)
    write_how2(tmp_path, segments)
    for name in ("text.id.en", "text.en", "segments", "id", "utt2spk"):
        assert (tmp_path / name).read_bytes() == (HOW2_DEV5 / name).read_bytes(), name
    assert read_how2(tmp_path) == segments


def test_how2_round_trip_other_language(tmp_path):
    segments = [How2Segment("ab-_cdEFg12_7", "ab-_cdEFg12", 0.0, 3.333333, "लाल वर्तुळ उसळते"),
                How2Segment("ab-_cdEFg12_8_9", "ab-_cdEFg12", 3.5, 10.25, "")]
    write_how2(tmp_path, segments, language="mr")
    assert (tmp_path / "text.id.mr").exists() and (tmp_path / "text.mr").exists()
    assert read_how2(tmp_path, language="mr") == segments


@pytest.fixture
def how2_copy(tmp_path):
    shutil.copytree(HOW2_DEV5, tmp_path / "dev5")
    return tmp_path / "dev5"


@pytest.mark.parametrize("name,line,content,message", [
    ("text.id.en", 2, "-aB3x_Y9kQ0 first add the flour", r"text.id.en:2: utterance id "
     r"'-aB3x_Y9kQ0' is not '<11-character video id>_<n>'"),
    ("text.id.en", 4, "-aB3x_Y9kQ0_0 again", r"text.id.en:4: utterance '-aB3x_Y9kQ0_0' repeats "
     r"line 1"),
    ("segments", 3, "-aB3x_Y9kQ0_3_4 -aB3x_Y9kQ0 12.14", r"segments:3: expected '<utterance id>"
     r" <video id> <start> <end>'"),
    ("segments", 1, "-aB3x_Y9kQ0_0 -aB3x_Y9kQ0 0.41 five", r"segments:1: end 'five' is not a "
     r"number"),
    ("segments", 1, "-aB3x_Y9kQ0_0 -aB3x_Y9kQ0 6.0 5.06", r"segments:1: start 6.0 is after "
     r"end 5.06"),
    ("segments", 2, "-aB3x_Y9kQ0_2 Zq8_-w1LmN4 8.59 11.7", r"segments:2: video 'Zq8_-w1LmN4' "
     r"is not the video of utterance '-aB3x_Y9kQ0_2'"),
    ("segments", 5, "Zq8_-w1LmN4_11 Zq8_-w1LmN4 58.62 62.0", r"segments:5: utterance "
     r"'Zq8_-w1LmN4_11' has no transcript in .*text.id.en"),
])
def test_how2_errors_name_file_and_line(how2_copy, name, line, content, message):
    path = how2_copy / name
    lines = path.read_text().splitlines()
    lines[line - 1] = content
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=message):
        read_how2(how2_copy)


def test_how2_missing_segment_line_and_files(how2_copy):
    seg = how2_copy / "segments"
    seg.write_text("".join(seg.read_text().splitlines(keepends=True)[:4]))
    with pytest.raises(FormatError, match=r"text.id.en:5: utterance 'Zq8_-w1LmN4_10' has no "
                                          r"line in .*segments"):
        read_how2(how2_copy)
    (how2_copy / "segments").unlink()
    with pytest.raises(FormatError, match=r"dev5/segments: (file not found|no such file)"):
        read_how2(how2_copy)
    (how2_copy / "text.id.en").write_text("\n\n")
    with pytest.raises(FormatError, match=r"text.id.en: no '<utterance id> <transcript>' line"):
        read_how2_text(how2_copy / "text.id.en")
    (how2_copy / "segments").write_bytes(b"-aB3x_Y9kQ0_0 -aB3x_Y9kQ0 0.41 \xff\n")
    with pytest.raises(FormatError, match=r"dev5/segments: not UTF-8"):
        read_how2_segments(how2_copy / "segments")


def test_how2_writer_refuses_what_it_cannot_write(tmp_path):
    with pytest.raises(FormatError, match="video 'other12345x' is not its first 11"):
        write_how2(tmp_path, [How2Segment("ab-_cdEFg12_7", "other12345x", 0.0, 1.0, "a")])
    with pytest.raises(FormatError, match="line break"):
        write_how2(tmp_path, [How2Segment("ab-_cdEFg12_7", "ab-_cdEFg12", 0.0, 1.0, "a\nb")])
    with pytest.raises(FormatError, match="is not '<11-character video id>_<n>'"):
        write_how2(tmp_path, [How2Segment("short_1", "short", 0.0, 1.0, "a")])
    assert not any(tmp_path.iterdir())


# ------------------------------------------------------------------------------- VisSpeech


def test_visspeech_fixture_in_milliseconds():
    segments = read_visspeech(VISSPEECH)
    assert segments[0] == VisSpeechSegment("vs0001", "Xk3v9Q-a_2c", 83.41, 87.65,
                                           "now fold the dough, like this, in half")
    assert [s.key for s in segments] == ["vs0001", "vs0002", "vs0003"]
    assert segments[2].start == pytest.approx(120.005) and segments[1].video == "_8fRt2LmZq1"
    assert read_visspeech(VISSPEECH, time_unit="s")[0].start == 83410.0


def test_visspeech_round_trips(tmp_path):
    segments = read_visspeech(VISSPEECH)
    write_visspeech(tmp_path / "a.csv", segments)
    assert (tmp_path / "a.csv").read_bytes() == VISSPEECH.read_bytes()
    assert read_visspeech(tmp_path / "a.csv") == segments
    odd = [VisSpeechSegment("k1", "Xk3v9Q-a_2c", 0.1234567, 2.5, 'say "hi",\tthen go'),
           VisSpeechSegment("k2", "Xk3v9Q-a_2c", 3.0, 3.05, "")]
    write_visspeech(tmp_path / "s.csv", odd, time_unit="s")
    assert read_visspeech(tmp_path / "s.csv") == odd  # fractional values: seconds


def test_visspeech_other_header_names_and_no_key(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("video_id,start,end,transcript,extra\nXk3v9Q-a_2c,1.5,4.25,hello there,x\n")
    (seg,) = read_visspeech(path)
    assert seg == VisSpeechSegment("Xk3v9Q-a_2c_1.5_4.25", "Xk3v9Q-a_2c", 1.5, 4.25,
                                   "hello there")


@pytest.mark.parametrize("text,message", [
    ("", r"v.csv: empty file"),
    ("key,yt_id,start_time,text\nk,v,1,hi\n", r"v.csv:1: no end_time/end column"),
    ("key,yt_id,start_time,end_time,text\nk,v,1,2\n", r"v.csv:2: 4 fields, expected at least 5"),
    ("key,yt_id,start_time,end_time,text\nk,v,1,2,a\nk2,v,one,2,b\n",
     r"v.csv:3: start_time 'one' is not a number"),
    ("key,yt_id,start_time,end_time,text\nk,v,5000,2000,a\n",
     r"v.csv:2: start_time 5000 is after end_time 2000"),
    ("key,yt_id,start_time,end_time,text\nk,v,1000,2000,a\nk,v,3000,4000,b\n",
     r"v.csv:3: key 'k' repeats .*v.csv:2"),
    ("key,yt_id,start_time,end_time,text\nk,,1000,2000,a\n", r"v.csv:2: empty video id"),
    ("key,yt_id,start_time,end_time,text\n", r"v.csv: no segment row"),
])
def test_visspeech_errors_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "v.csv"
    path.write_text(text)
    with pytest.raises(FormatError, match=message):
        read_visspeech(path)


def test_visspeech_line_numbers_count_quoted_line_breaks(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text('key,yt_id,start_time,end_time,text\nk,v,1000,2000,"two\nlines"\n'
                    "k2,v,x,2000,b\n")
    with pytest.raises(FormatError, match=r"v.csv:4: start_time 'x'"):
        read_visspeech(path)
