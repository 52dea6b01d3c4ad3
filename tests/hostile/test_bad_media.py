"""Bad media through the commands that read media. A batch (extract-features) lists each bad
item by its source file, commits the good ones and exits 1; a single item (verify-speaker's
pair) is one line naming the file and exit 2. Odd but valid media (other rates, many
channels, float samples) are accepted."""

from __future__ import annotations

import pytest

from avtool.testing.hostile import BAD_MEDIA, ODD_MEDIA


def _store_ids(path):
    from avtool.store import open_store

    with open_store(path) as store:
        return list(store.ids)


@pytest.mark.parametrize("name", BAD_MEDIA)
@pytest.mark.parametrize("feature", ["fbank", "color"])
def test_extract_features_lists_the_bad_item_and_keeps_the_good(check, ws, tmp_path, name,
                                                                feature):
    good = ws.mp4 if feature == "color" else ws.wav
    bad = ws.media[name]
    out = tmp_path / "out" / "s.h5"
    result = check.run("extract-features", bad, good, "--out", out, "--feature", feature)
    if bad.is_dir():  # a folder is searched for media: none is an error before any work
        check.assert_clean(result, 2, bad)
        assert not out.parent.exists()
        return
    check.assert_clean(result, 1)
    assert str(bad) in result.stderr
    assert _store_ids(out) == [good.stem]
    assert sorted(p.name for p in out.parent.iterdir()) == ["s.h5"]  # no journal, no lock


@pytest.mark.parametrize("workers", [1, 2])
def test_nan_audio_is_one_bad_item_and_reruns_commit(check, ws, tmp_path, workers):
    """The issue's reproduction: NaN samples used to abort the batch and lose the good file."""
    out = tmp_path / "s.h5"
    args = ("extract-features", ws.media["nan.wav"], ws.wav, "--out", out, "--feature",
            "fbank", "--workers", workers)
    for rerun in (False, True):
        result = check.run(*args)
        check.assert_clean(result, 1)
        assert f"{ws.media['nan.wav']}: corrupt audio (NaN or infinite samples)" in result.stderr
        assert _store_ids(out) == ["good"]
        assert not out.with_name("s.h5.journal").exists(), rerun


def test_a_batch_of_only_bad_items_leaves_no_store(check, ws, tmp_path):
    out = tmp_path / "new" / "s.h5"
    result = check.run("extract-features", ws.media["nan.wav"], ws.media["empty.wav"],
                       "--out", out, "--feature", "fbank")
    check.assert_clean(result, 1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", [n for n in BAD_MEDIA if n != "folder.wav"])
def test_verify_speaker_names_the_bad_file(check, ws, tmp_path, name):
    before = check.snapshot(tmp_path)
    result = check.run("verify-speaker", ws.media[name], ws.wav)
    check.assert_clean(result, 2, ws.media[name])
    assert check.snapshot(tmp_path) == before


def test_verify_speaker_refuses_a_folder(check, ws):
    result = check.run("verify-speaker", ws.media["folder.wav"], ws.wav)
    check.assert_clean(result, 2, ws.media["folder.wav"])


def test_truncated_faststart_mp4_is_refused_for_its_audio(check, ws):
    """Kind 2: cut in half with its index first, it still opens; its audio must not pass."""
    from avtool.errors import MediaError
    from avtool.media.audio import read_audio

    with pytest.raises(MediaError, match=r"truncated audio \(header says 4\.00s"):
        read_audio(ws.media["truncated_faststart.mp4"], 16000)


@pytest.mark.parametrize("name", ODD_MEDIA)
def test_odd_but_valid_media_are_accepted(check, ws, tmp_path, name):
    out = tmp_path / "s.h5"
    result = check.run("extract-features", ws.odd_media[name], "--out", out, "--feature",
                       "fbank")
    check.assert_clean(result, 0)
    assert _store_ids(out) == [name.removesuffix(".wav")]
