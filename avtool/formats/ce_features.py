"""Collaborative Experts' per-expert feature files (the released CE code, albanie/
collaborative-experts; MMT's released code reads the same files for its ``*_c`` experts).

Layout of a release (``data/<dataset>/structured-symlinks/``, one folder per dataset)
-------------------------------------------------------------------------------------
* **One pickle per expert**: a dict ``{video_id: features}``, every video of the dataset a key.
  ``features`` is a float ``np.ndarray``:

  - ``(D,)``: one vector per video, already aggregated over time (the ``-avg``/``-max`` files
    of the appearance, scene and motion experts, and the face expert);
  - ``(T, D)``: variable-length rows for the experts CE aggregates itself with NetVLAD
    (``temporal: "vlad"`` in its config): audio (VGGish, 128-d), speech and OCR (word2vec,
    300-d); T differs per video;
  - a **missing expert** (no face, no speech, no text on screen) is the float ``nan`` instead
    of an array (CE: ``isinstance(x, float) and np.isnan(x)``; MMT also treats an array whose
    first value is NaN as missing, and a video absent from the dict as missing).

  None of these rows carry a time: MMT gives every CE expert the "unknown time" embedding.
* **File names** follow CE's ``BaseDataset.visual_feat_paths`` for the visual experts, named
  ``<type>.<network>.<variant>`` in CE's ``feat_aggregation`` config::

      aggregated_<type>_<fps>fps_<px>px_stride<s>[_offset<o>][_inner_stride<i>]/<network>-<temporal>.pickle
      e.g. imagenet.senet154.0 -> aggregated_imagenet_25fps_256px_stride1_offset0/senet154-avg.pickle

  and a fixed name per dataset for the others, e.g. for MSR-VTT ``audio`` ->
  ``aggregated_audio_feats/Audio_MSRVTT_new.pickle``, ``face`` ->
  ``aggregated_face_feats/facefeats-avg.pickle``, ``ocr`` -> ``aggregated_ocr_feats/ocr-raw.pickle``,
  ``speech`` -> ``aggregated_speech/speech-w2v.pickle`` (`CE_EXPERT_FILES` lists them all).
  Some releases use ``.pkl``. MMT's loader also accepts ``.npy`` holding the dict as a 0-d
  object array (``np.save(path, features)``).
* Beside them: ``aggregated_text_feats/*.pickle`` (caption side: ``{video_id: [(words, 300)
  array per caption]}``), ``raw-captions.pkl`` (``{video_id: [[token, ...] per caption]}``)
  and the split lists ``train_list_jsfusion.txt``, ``val_list_jsfusion.txt``,
  ``train_list_full.txt``... (one video id per line).

Pickles can run code when loaded, so these files are read by `load_ce_pickle`, an unpickler
that builds only numpy arrays, numpy dtypes and scalars and plain containers; anything else
(``os.system``, ``builtins.eval``, any class) is refused with a `FormatError` naming the file.
"""

from __future__ import annotations

import pickle
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import FormatError

SUFFIXES = (".pickle", ".pkl", ".npy")


def ce_visual_path(feat_type: str, network: str, *, fps: int, pixel_dim: int, stride: int,
                   offset: int | None = 0, inner_stride: int | None = None,
                   num_segments: int | None = None, temporal: str = "avg") -> str:
    """The relative path CE's released code reads a visual expert from (its
    ``visual_feat_paths`` rule: options that are None are left out of the folder name)."""
    base = f"aggregated_{feat_type.replace('-', '_')}_{fps}fps_{pixel_dim}px_stride{stride}"
    for option, value in (("offset", offset), ("inner_stride", inner_stride),
                          ("num_segments", num_segments)):
        if value is not None:
            base += f"_{option}{value}"
    return f"{base}/{network}-{temporal}.pickle"


# CE's feat_aggregation entries (configs/base_config.json): expert -> folder parameters.
_VISUAL = {
    "imagenet.senet154.0": dict(fps=25, pixel_dim=256, stride=1, offset=0),
    "imagenet.resnext101_32x48d.0": dict(fps=25, pixel_dim=256, stride=1, offset=0),
    "scene.densenet161.0": dict(fps=25, pixel_dim=256, stride=1, offset=0),
    "moments_2d.resnet50.0": dict(fps=25, pixel_dim=256, stride=1, offset=0),
    "trn.moments-trn.0": dict(fps=25, pixel_dim=256, stride=8, offset=0, inner_stride=5),
    "moments_3d.moments-resnet3d50.0": dict(fps=25, pixel_dim=256, stride=8, offset=0,
                                            inner_stride=5),
    "i3d.i3d.0": dict(fps=25, pixel_dim=256, stride=25, offset=0, inner_stride=1),
    "i3d.i3d.1": dict(fps=25, pixel_dim=256, stride=4, offset=0, inner_stride=1),
    "s3dg.s3dg.0": dict(fps=10, pixel_dim=256, stride=16, offset=0, inner_stride=1),
    "s3dg.s3dg.1": dict(fps=10, pixel_dim=224, stride=8, offset=0, inner_stride=1),
    "r2p1d.r2p1d-ig65m.0": dict(fps=30, pixel_dim=256, stride=32, offset=0, inner_stride=1),
    "r2p1d.r2p1d-ig65m-kinetics.0": dict(fps=30, pixel_dim=256, stride=32, offset=0,
                                         inner_stride=1),
    "r2p1d.r2p1d-ig65m-kinetics.1": dict(fps=30, pixel_dim=256, stride=8, offset=0,
                                         inner_stride=1),
}

#: CE expert name -> the relative paths its released datasets keep it at (first found wins).
CE_EXPERT_FILES: dict[str, tuple[str, ...]] = {
    **{name: (ce_visual_path(name.split(".")[0], name.split(".")[1], **params),)
       for name, params in _VISUAL.items()},
    "audio": ("aggregated_audio_feats/Audio_MSRVTT_new.pickle",  # MSR-VTT
              "aggregated_audio/vggish-audio-raw.pickle",  # ActivityNet
              "aggregated_audio_feats/vggish-audio-raw.pickle",  # DiDeMo
              "aggregated_audio/vggish-raw.pickle"),  # LSMDC, YouCook2
    "face": ("aggregated_face_feats/facefeats-avg.pickle",  # MSR-VTT
             "aggregated_facefeats_25fps_256px_stride1/face-avg.pickle",  # ActivityNet, DiDeMo
             "aggregated_face_feats/face-avg.pickle"),  # MSVD
    "ocr": ("aggregated_ocr_feats/ocr-raw.pickle",  # MSR-VTT
            "aggregated_ocr_feats/ocr-w2v.pkl",  # ActivityNet, LSMDC, YouCook2
            "aggregated_ocr_feats/ocr-feats.pkl",  # DiDeMo
            "aggregated_ocr_feats/ocr-w2v.pickle"),  # MSVD
    "speech": ("aggregated_speech/speech-w2v.pickle",  # MSR-VTT, LSMDC
               "aggregated_speech/goog_w2v-speech-raw.pickle",  # ActivityNet
               "aggregated_speech_feats/stt_w2v.pickle"),  # DiDeMo
    # MoEE's features, shipped in the MSR-VTT release for the 1k-B ("miech") split
    "antoine-rgb": ("antoine/resnet_features.pickle",),
    "flow": ("antoine/flow_features.pickle",),
}


# ---------------------------------------------------------------- restricted unpickling


class _Refused(pickle.UnpicklingError):
    pass


def _latin1_encode(text: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """What protocol-2 pickles call to rebuild ``bytes`` (``_codecs.encode(s, 'latin1')``),
    and nothing else: other codecs are refused."""
    if not isinstance(text, str) or encoding.lower().replace("-", "") != "latin1":
        raise _Refused(f"_codecs.encode with the codec {encoding!r}")
    return text.encode("latin1", errors)


def _allowed_globals() -> dict[tuple[str, str], Any]:
    import collections

    try:
        from numpy._core import multiarray, numeric
    except ImportError:  # numpy < 2
        from numpy.core import multiarray, numeric  # type: ignore[no-redef]
    found = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
             ("_codecs", "encode"): _latin1_encode,
             ("collections", "OrderedDict"): collections.OrderedDict}
    # numpy 1.x pickles name numpy.core, numpy 2.x numpy._core: the same functions
    for module in ("numpy.core", "numpy._core"):
        found[(f"{module}.multiarray", "_reconstruct")] = multiarray._reconstruct
        found[(f"{module}.multiarray", "scalar")] = multiarray.scalar
        found[(f"{module}.numeric", "_frombuffer")] = numeric._frombuffer
    return found


class _ArrayUnpickler(pickle.Unpickler):
    """Builds numpy arrays, dtypes, scalars and containers; every other global is refused."""

    allowed: dict[tuple[str, str], Any] = {}

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise _Refused(f"{module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("a persistent id")


def _unpickle(fh, path: Path) -> Any:
    if not _ArrayUnpickler.allowed:
        _ArrayUnpickler.allowed = _allowed_globals()
    try:
        # latin1: Python 2 pickles (MoEE's features) hold numpy buffers as 8-bit str
        return _ArrayUnpickler(fh, encoding="latin1").load()
    except _Refused as err:
        raise FormatError(f"{path}: refused to unpickle {err} (CE feature files hold only "
                          "numpy arrays in dicts and lists; this file could run code)") from None
    except EOFError:
        raise FormatError(f"{path}: truncated pickle (ends before its STOP)") from None
    except MemoryError:
        raise FormatError(f"{path}: too large to load into memory") from None
    except Exception as exc:  # any malformed stream: opcodes, numpy state, sizes
        detail = " ".join(str(exc).split())[:120]  # one line, whatever the stream held
        raise FormatError(f"{path}: not a readable pickle ({type(exc).__name__}: "
                          f"{detail})") from None


def _npy_object_payload(fh, path: Path) -> Any:
    """A ``.npy`` file: the dict MMT's ``np_loader`` expects is a pickled 0-d object array
    after the header; a numeric array is a single array, not CE's per-video dict."""
    from numpy.lib import format as npy

    try:
        version = npy.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = npy.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _, dtype = npy.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except Exception as exc:  # numpy raises ValueError, or whatever a mangled header gives
        detail = " ".join(str(exc).split())[:120]
        raise FormatError(f"{path}: not a readable .npy file ({detail})") from None
    if not dtype.hasobject:
        raise FormatError(f"{path}: holds one {dtype} array of shape {shape}, not CE's dict "
                          "of video id -> features")
    arr = _unpickle(fh, path)
    if isinstance(arr, np.ndarray) and arr.dtype.hasobject and arr.size == 1:
        return arr.reshape(()).item()  # numpy's dict storage convention: data[()]
    return arr


def load_ce_pickle(path: str | Path) -> Any:
    """The object in a CE feature file (``.pickle``/``.pkl``, or ``.npy`` holding a pickled
    object), unpickled with only numpy arrays, dtypes, scalars and containers allowed.

    Raises:
        FormatError: a missing, empty, truncated or malformed file, or one that asks for
            anything else (a function or class: arbitrary code), naming the file.
    """
    path = Path(path)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file (CE expert feature file)") from None
    except IsADirectoryError:
        raise FormatError(f"{path}: is a folder, expected a CE feature file") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        head = fh.read(6)
        if not head:
            raise FormatError(f"{path}: empty file (expected a pickled dict of video id -> "
                              "features)")
        fh.seek(0)
        if head == b"\x93NUMPY":
            return _npy_object_payload(fh, path)
        return _unpickle(fh, path)


# ---------------------------------------------------------------- one expert per file


@dataclass
class CeExpert:
    """One CE expert file, read: per video (T, D) float32 rows; missing videos have none."""

    path: Path
    dim: int = 0
    order: list[str] = field(default_factory=list)  # every video the file names, file order
    rows: dict[str, np.ndarray] = field(default_factory=dict)  # present: (T, D), T >= 1
    missing: set[str] = field(default_factory=set)  # videos whose value is CE's NaN
    bad: dict[str, str] = field(default_factory=dict)  # video -> why its value is malformed
    aggregated: bool = True  # every present value was one (D,) vector (time pooled by CE)


_MISSING = object()


def ce_rows(value: Any) -> np.ndarray | object:
    """One video's value as (T, D) float32 rows, or `_MISSING` (CE's NaN, an empty array, or
    rows that are all NaN: CE marks a missing expert with NaN).

    Raises:
        ValueError: why the value is not features (another type, a partly NaN row, inf, more
            than two dimensions).
    """
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return _MISSING
    if not isinstance(value, np.ndarray):
        raise ValueError(f"expected a numpy array or NaN, got {type(value).__name__}")
    if value.dtype.kind not in "fiu":
        raise ValueError(f"expected numbers, got a {value.dtype} array")
    if value.ndim == 0:
        if np.isnan(value):
            return _MISSING
        raise ValueError("a single number, not a feature vector")
    if value.ndim > 2:
        raise ValueError(f"an array of shape {value.shape} (expected (D,) or (T, D))")
    rows = np.atleast_2d(value)
    if rows.size == 0:
        return _MISSING
    with np.errstate(over="ignore"):
        rows = rows.astype(np.float32)
    nan = np.isnan(rows)
    all_nan = nan.all(axis=1)
    if (nan.any(axis=1) & ~all_nan).any():
        raise ValueError(f"row {int(np.flatnonzero(nan.any(axis=1) & ~all_nan)[0])} is partly "
                         "NaN")
    rows = rows[~all_nan]
    if not len(rows):
        return _MISSING
    if not np.isfinite(rows).all():
        raise ValueError("infinite values (or values beyond float32)")
    return rows


def read_ce_expert(path: str | Path) -> CeExpert:
    """A CE expert file as rows per video (see the module docstring for the layout).

    The expert's dimension D is the one most of its videos have; a video whose value is
    malformed (another D, a partly NaN row, inf, not an array) goes to ``bad`` with the reason.

    Raises:
        FormatError: the file cannot be read safely (`load_ce_pickle`), is not a dict keyed
            by video id strings, or has no video with features.
    """
    path = Path(path)
    data = load_ce_pickle(path)
    if not isinstance(data, Mapping):
        raise FormatError(f"{path}: holds a {type(data).__name__}, expected CE's dict of "
                          "video id -> features")
    expert = CeExpert(path)
    shapes: Counter[int] = Counter()
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            raise FormatError(f"{path}: key {key!r} is not a video id string")
        expert.order.append(key)
        if isinstance(value, list):
            raise FormatError(f"{path}: video {key!r} holds a list (per-caption text "
                              "features?), not an expert's features")
        try:
            rows = ce_rows(value)
        except ValueError as err:
            expert.bad[key] = f"{path}: video {key!r}: {err}"
            continue
        if rows is _MISSING:
            expert.missing.add(key)
            continue
        expert.rows[key] = rows
        shapes[rows.shape[1]] += 1
        if not (isinstance(value, np.ndarray) and value.ndim == 1):
            expert.aggregated = False
    if not shapes:
        raise FormatError(f"{path}: no video has features (every value is missing)"
                          if data else f"{path}: an empty dict")
    expert.dim = shapes.most_common(1)[0][0]
    for key in [k for k, r in expert.rows.items() if r.shape[1] != expert.dim]:
        expert.bad[key] = (f"{path}: video {key!r} has {expert.rows.pop(key).shape[1]}-d "
                           f"features; the file's others have {expert.dim}")
    return expert


def write_ce_expert(path: str | Path, features: Mapping[str, np.ndarray | float]) -> Path:
    """Write ``{video_id: (D,) or (T, D) array, or float('nan') when missing}`` as CE does
    (a pickled dict), atomically."""
    from avtool.io import atomic_write

    with atomic_write(path, "wb") as fh:
        pickle.dump(dict(features), fh, protocol=4)
    return Path(path)


# ---------------------------------------------------------------- names and splits

_NAME_OK = re.compile(r"[^A-Za-z0-9_-]+")


def store_name(expert: str) -> str:
    """A store feature (and network module) name for a CE expert: dots and other characters
    torch module names refuse become ``_`` (``imagenet.senet154.0`` -> ``imagenet_senet154_0``)."""
    return _NAME_OK.sub("_", expert).strip("_") or "expert"


def ce_expert_of(path: str | Path) -> str:
    """The CE expert a file is, by its last two path parts (``.../aggregated_speech/
    speech-w2v.pickle`` -> ``speech``), else the file's stem (``my-feats.pkl`` -> ``my-feats``)."""
    path = Path(path)
    tail = Path(path.parent.name, path.name).with_suffix("")
    for expert, candidates in CE_EXPERT_FILES.items():
        if any(Path(c).with_suffix("") == tail for c in candidates):
            return expert
    stem = path.name[:-len(path.suffix)] if path.suffix in SUFFIXES else path.name
    return stem


def find_ce_experts(root: str | Path, experts: Iterable[str] | None = None,
                    require: bool = True) -> dict[str, Path]:
    """The CE expert files under a release folder, by expert name.

    Args:
        root: the ``structured-symlinks`` folder of a CE release.
        experts: the experts wanted (default: every one of `CE_EXPERT_FILES` found).
        require: with every expert wanted, finding none is an error.

    Raises:
        FormatError: an unknown expert name, a wanted expert without its file, or (all
            experts, `require`) none found.
    """
    root = Path(root)
    wanted = list(dict.fromkeys(experts)) if experts else list(CE_EXPERT_FILES)
    unknown = [e for e in wanted if e not in CE_EXPERT_FILES]
    if unknown:
        raise FormatError(f"unknown CE expert(s) {', '.join(unknown)} (known: "
                          f"{', '.join(CE_EXPERT_FILES)}; give other files with --file)")
    found = {}
    for expert in wanted:
        for rel in CE_EXPERT_FILES[expert]:
            for suffix in SUFFIXES:
                candidate = root / Path(rel).with_suffix(suffix)
                if candidate.is_file():
                    found.setdefault(expert, candidate)
    if experts:
        absent = [e for e in wanted if e not in found]
        if absent:
            raise FormatError(f"{root}: no file for CE expert(s) {', '.join(absent)} (looked "
                              f"for {CE_EXPERT_FILES[absent[0]][0]} ...)")
    elif not found and require:
        raise FormatError(f"{root}: no CE expert file (expected e.g. "
                          "aggregated_audio_feats/Audio_MSRVTT_new.pickle)")
    return found


def split_of_list(path: str | Path) -> str:
    """The split a split list names: ``train_list_jsfusion.txt`` / ``MSRVTT_train.9k.csv`` ->
    train, ``val_list_full.txt`` -> val, ``test_list_full.txt`` / ``MSRVTT_JSFUSION_test.csv``
    -> test; ``""`` when the name says none or several."""
    words = set(re.split(r"[^a-z0-9]+", Path(path).stem.lower()))
    words = {"val" if w in ("validate", "validation") else w for w in words}
    found = [s for s in ("train", "val", "test") if s in words]
    return found[0] if len(found) == 1 else ""


def read_split_list(path: str | Path) -> list[str]:
    """The video ids of a split list: CE's ``*_list*.txt`` (one id per line), the MSR-VTT
    train CSVs (``video_id`` column) or the JSFusion 1k-A test CSV.

    Raises:
        FormatError: an unreadable or malformed list (naming it and the line).
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        from avtool.formats.msrvtt import JSFUSION_COLUMNS, read_jsfusion_test, read_msrvtt_split

        try:
            with open(path, "rb") as fh:
                head = fh.readline()
        except OSError:
            head = b""  # the reader below names the problem
        if all(c.encode() in head for c in JSFUSION_COLUMNS[:2]):
            return list(dict.fromkeys(q.video_id for q in read_jsfusion_test(path)))
        return read_msrvtt_split(path)
    from avtool.formats.retrieval_lists import read_id_list

    return read_id_list(path)
