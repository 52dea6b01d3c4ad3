"""Bad inputs, as a careless or hostile user gives them, for the hostile-input suite
(tests/hostile/). Each maker writes its files into a folder and returns ``{name: path}``,
so a test id says what was tried: ``nan.wav``, ``truncated_faststart.mp4``,
``store_no_length.h5``, ``manifest_duplicate_id.csv``...

Good material comes first (`good_wav`, `good_mp4`, `good_store`): every bad input is one
defect away from a good one, so the error a test sees is the defect's, not a side effect.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
STORE_FEATURE = "spectrogram"  # what the damaged stores hold: `avtool train speaker` reads it

# ------------------------------------------------------------------ good material


def good_wav(path: str | Path, seconds: float = 2.0, rate: int = SAMPLE_RATE,
             channels: int = 1, subtype: str = "PCM_16") -> Path:
    """A noisy tone (any rate and channel count): valid input for every audio command."""
    import soundfile as sf

    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.02 * rng.normal(size=t.shape)
    data = np.stack([tone * (1 - 0.1 * c) for c in range(channels)], axis=1)
    path = Path(path)
    sf.write(path, data.astype(np.float32), rate, subtype=subtype)
    return path


def good_mp4(path: str | Path, seconds: float = 4.0, faststart: bool = False) -> Path:
    """A 64x64, 25 fps mp4 with a mono AAC tone; `faststart` puts the index (moov) first."""
    from avtool.media.video import write_video

    path = Path(path)
    fps, rate = 25, SAMPLE_RATE
    frames = (np.full((64, 64, 3), (5 * i) % 255, np.uint8) for i in range(int(seconds * fps)))
    audio = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate))
    if not faststart:
        return write_video(path, frames, fps, audio=audio.astype(np.float32), sample_rate=rate)
    plain = path.with_name(f".{path.stem}.plain.mp4")
    write_video(plain, frames, fps, audio=audio.astype(np.float32), sample_rate=rate)
    _remux_faststart(plain, path)
    plain.unlink()
    return path


def _remux_faststart(src: Path, dst: Path) -> None:
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4",
                                           options={"movflags": "faststart"}) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)


def good_store(path: str | Path, items: int = 4, feature: str = STORE_FEATURE) -> Path:
    """A valid store of `items` random finite frames of `feature` (its real provenance),
    two speakers with labels, written by the store's own writer."""
    from avtool.features import build_extractor
    from avtool.store import ItemInfo, StoreWriter

    info = build_extractor(feature).info(feature)
    rng = np.random.default_rng(0)
    with StoreWriter(path, {feature: info}) as writer:
        for i in range(items):
            frames = rng.normal(size=(20 + 5 * i, *info.frame_shape)).astype(info.dtype)
            writer.add(ItemInfo(f"id1000{i % 2}/v/{i:05d}", f"u{i}.wav", 1.0,
                                {"speaker": f"id1000{i % 2}"}), {feature: frames})
    return Path(path)


# ------------------------------------------------------------------ media

BAD_MEDIA = ("empty.wav", "text.wav", "random_bytes.wav", "truncated.wav", "header_only.wav",
             "random_bytes.mp4", "nan.wav", "inf.wav", "too_short.wav",
             "truncated_faststart.mp4", "truncated_moov_last.mp4", "folder.wav")
ODD_MEDIA = ("rate_8k.wav", "rate_44k1_stereo.wav", "six_channels.wav", "float32.wav")


def bad_media(folder: str | Path) -> dict[str, Path]:
    """Audio and video files that must be refused, each naming itself."""
    import soundfile as sf

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        made[name] = folder / name

    put("empty.wav", b"")
    put("text.wav", b"this is not a sound file\n" * 20)
    put("random_bytes.wav", np.random.default_rng(1).bytes(4096))
    good = good_wav(folder / ".good.wav").read_bytes()
    put("truncated.wav", good[: len(good) // 3])
    put("header_only.wav", good[:44])
    put("random_bytes.mp4", np.random.default_rng(2).bytes(8192))
    for name, value in (("nan.wav", np.nan), ("inf.wav", np.inf)):
        wav = 0.1 * np.ones(SAMPLE_RATE, np.float32)
        wav[100] = value
        sf.write(folder / name, wav, SAMPLE_RATE, subtype="FLOAT")
        made[name] = folder / name
    sf.write(folder / "too_short.wav", np.zeros(50, np.float32), SAMPLE_RATE)
    made["too_short.wav"] = folder / "too_short.wav"
    made["truncated_faststart.mp4"] = truncate_mp4(folder / "truncated_faststart.mp4", True)
    made["truncated_moov_last.mp4"] = truncate_mp4(folder / "truncated_moov_last.mp4", False)
    (folder / "folder.wav").mkdir(exist_ok=True)
    made["folder.wav"] = folder / "folder.wav"
    (folder / ".good.wav").unlink()
    assert tuple(made) == BAD_MEDIA
    return made


def truncate_mp4(path: Path, faststart: bool) -> Path:
    """An mp4 cut in half: with the index first it still opens and decodes up to the cut
    (only the header's duration betrays it); with the index last it does not open."""
    whole = good_mp4(path.with_name(f".{path.name}.whole.mp4"), faststart=faststart)
    data = whole.read_bytes()
    cut = _packet_boundary(whole, 0.45) if faststart else len(data) // 2
    path.write_bytes(data[:cut])
    whole.unlink()
    return path


def _packet_boundary(path: Path, fraction: float) -> int:
    """Byte offset of the first packet past `fraction` of the file: a cut between packets,
    so the decoder stops cleanly at the cut instead of on a broken packet."""
    import av

    size = path.stat().st_size
    with av.open(str(path)) as container:
        positions = sorted(p.pos for p in container.demux() if p.pos is not None and p.pos > 0)
    return next(pos for pos in positions if pos >= fraction * size)


def odd_but_valid_media(folder: str | Path) -> dict[str, Path]:
    """Wrong rates and channel counts that avtool must accept (resampled, downmixed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "rate_8k.wav": good_wav(folder / "rate_8k.wav", rate=8000),
        "rate_44k1_stereo.wav": good_wav(folder / "rate_44k1_stereo.wav", rate=44100,
                                         channels=2),
        "six_channels.wav": good_wav(folder / "six_channels.wav", channels=6),
        "float32.wav": good_wav(folder / "float32.wav", subtype="FLOAT"),
    }
    assert tuple(made) == ODD_MEDIA
    return made


# ------------------------------------------------------------------ stores


def _mutate(h5_path: Path, change: Callable) -> None:
    import h5py

    with h5py.File(h5_path, "a") as h5:
        change(h5)


def _set(dataset: str, index, value) -> Callable:
    def change(h5) -> None:
        h5[dataset][index] = value

    return change


def _delete(key: str) -> Callable:
    def change(h5) -> None:
        del h5[key]

    return change


def _attr(key: str, value) -> Callable:
    def change(h5) -> None:
        if value is None:
            del h5.attrs[key]
        else:
            h5.attrs[key] = value

    return change


def _short_index(h5) -> None:
    offset = h5[f"features/{STORE_FEATURE}/offset"][()]
    del h5[f"features/{STORE_FEATURE}/offset"]
    h5[f"features/{STORE_FEATURE}"].create_dataset("offset", data=offset[:-1])


def _duplicate_id(h5) -> None:
    h5["items/id"][1] = h5["items/id"][0]


def _frame_shape(h5) -> None:
    group = h5[f"features/{STORE_FEATURE}"]
    group.attrs["frame_shape"] = group.attrs["frame_shape"] + 1


def _feature_attrs(h5) -> None:
    del h5[f"features/{STORE_FEATURE}"].attrs["config"]


STORE_DEFECTS: dict[str, Callable | None] = {
    "store_not_hdf5.h5": None,
    "store_empty_file.h5": None,
    "store_truncated.h5": None,
    "store_folder_without_shards.h5": None,
    "store_no_format.h5": _attr("format", None),
    "store_schema_99.h5": _attr("schema_version", 99),
    "store_no_items.h5": _delete("items"),
    "store_no_source.h5": _delete("items/source"),
    "store_no_length.h5": _delete(f"features/{STORE_FEATURE}/length"),
    "store_no_data.h5": _delete(f"features/{STORE_FEATURE}/data"),
    "store_short_index.h5": _short_index,
    "store_offset_past_data.h5": _set(f"features/{STORE_FEATURE}/offset", 1, 10**9),
    "store_negative_length.h5": _set(f"features/{STORE_FEATURE}/length", 0, -5),
    "store_nan_rows.h5": _set(f"features/{STORE_FEATURE}/data", 3, np.nan),
    "store_duplicate_ids.h5": _duplicate_id,
    "store_frame_shape_mismatch.h5": _frame_shape,
    "store_feature_attrs_missing.h5": _feature_attrs,
}


def bad_stores(folder: str | Path) -> dict[str, Path]:
    """Damaged or odd feature stores (a spectrogram store one defect away from valid)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    good = good_store(folder / ".good.h5")
    made = {}
    for name, change in STORE_DEFECTS.items():
        path = folder / name
        if name == "store_not_hdf5.h5":
            path.write_text("not an HDF5 file\n")
        elif name == "store_empty_file.h5":
            path.write_bytes(b"")
        elif name == "store_truncated.h5":
            path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        elif name == "store_folder_without_shards.h5":
            path.mkdir(exist_ok=True)
        else:
            shutil.copyfile(good, path)
            _mutate(path, change)
        made[name] = path
    good.unlink()
    return made


# ------------------------------------------------------------------ text files


BAD_TEXTS = ("text_missing.txt", "text_folder.txt", "text_empty.txt", "text_not_utf8.txt")


def bad_text_files(folder: str | Path) -> dict[str, Path]:
    """Inputs no text format accepts: absent, a folder, empty, not UTF-8."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "text_folder.txt").mkdir(exist_ok=True)
    (folder / "text_empty.txt").write_bytes(b"")
    (folder / "text_not_utf8.txt").write_bytes(b"id\tpath\n\xff\xfe\xfa caf\xe9 \x81\n")
    return {name: folder / name for name in BAD_TEXTS}


MANIFESTS = {
    "manifest_header_only.csv": "id,path\n",
    "manifest_no_path_column.csv": "id,file\na,{m}\n",
    "manifest_empty_path.csv": "id,path\na,\n",
    "manifest_duplicate_id.csv": "id,path\na,{m}\nb,{m}\na,{m}\n",
    "manifest_extra_field.csv": "id,path\na,{m},surprise\n",
    "manifest_nan_start.csv": "id,path,start,end\na,{m},nan,1\n",
    "manifest_negative_start.csv": "id,path,start,end\na,{m},-1,1\n",
    "manifest_end_before_start.csv": "id,path,start,end\na,{m},1.5,0.5\n",
    "manifest_word_start.csv": "id,path,start\na,{m},soon\n",
    "manifest_not_json.jsonl": '{{"id": "a", "path": "{m}"}}\n{{not json\n',
    "manifest_json_list.jsonl": '["a", "{m}"]\n',
}
BAD_MANIFESTS = (*MANIFESTS, "manifest_not_utf8.csv")


def bad_manifests(folder: str | Path, media: str | Path) -> dict[str, Path]:
    """Manifests for ``extract-features --manifest`` that must be refused naming the manifest
    (and the line); `media` is a good file the rows point to."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    m = Path(media).resolve()
    made = {}
    for name, text in MANIFESTS.items():
        (folder / name).write_text(text.format(m=m))
        made[name] = folder / name
    (folder / "manifest_not_utf8.csv").write_bytes(b"id,path\n\xff\xfe,x.wav\n")
    made["manifest_not_utf8.csv"] = folder / "manifest_not_utf8.csv"
    return made
