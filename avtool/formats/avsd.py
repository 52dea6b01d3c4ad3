"""DSTC7-AVSD JSON files: dialogs (data sets and result files) and COCO-format references/results.

Formats (digest avsd-004 §1.4 and the DSTC7 scoring scripts):

* dialogs (``train_set4DSTC7-AVSD.json``, ``test_set.json``, and result files, which are the
  test set with each ``"__UNDISCLOSED__"`` answer replaced by the system's)::

      {"dialogs": [{"image_id": "QXYZ1", "caption": "...", "summary": "...",
                    "dialog": [{"question": "...", "answer": "..."}, ...]}, ...]}

  Answer *n* (0-based) of video V gets the id ``V_n``, the ``{video}_{turn}`` name the DSTC7
  scripts give it. ``last_only`` keeps the last turn of each dialog (``get_hypotheses.py -l``:
  the official test scores only the withheld last answer). ``__UNDISCLOSED__`` answers are
  skipped: in a reference file they have no ground truth, in a result file they are answers the
  system did not fill in (so they show up as missing hypotheses).
* COCO captions (``test_set4DSTC7-AVSD_multiref.json``: 6 references per question)::

      {"images": [{"id": 1, "name": "QXYZ1_3"}, ...],
       "annotations": [{"image_id": 1, "id": 1, "caption": "..."}, ...]}

  One reference per annotation; the id is the image's ``name`` when the images carry one, else
  the numeric image id as a string.
* COCO results (``*_hyp.json``): ``[{"image_id": 1, "caption": "..."}, ...]``, one per image;
  numeric ids are matched to a COCO reference file's image ids.

Typed access for training and answering: `read_avsd_data` (every dialog as an `AvsdDialog`,
schema errors naming the dialog and turn), `write_avsd_data` (data sets and result files),
`write_coco_references` (a multiref file), and the released per-video features
(`read_avsd_features`: ``<FeaType>/<ImageID>.npy`` with FeaType ``i3d_rgb``, ``i3d_flow`` or
``vggish``, and ``<FeaType>_testset/`` for the official test videos).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import FormatError

__all__ = ["AVSD_FEATURE_TYPES", "UNDISCLOSED", "AvsdDialog", "AvsdTurn", "avsd_feature_path",
           "load_json", "read_avsd_data", "read_avsd_dialogs", "read_avsd_features",
           "read_coco_captions", "read_coco_results", "write_avsd_data",
           "write_coco_references"]

UNDISCLOSED = "__UNDISCLOSED__"


def load_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise FormatError(f"{path}: file not found") from None
    except json.JSONDecodeError as err:
        raise FormatError(f"{path}:{err.lineno}: invalid JSON ({err.msg})") from None
    except (UnicodeDecodeError, OSError) as err:
        raise FormatError(f"{path}: cannot read ({err})") from None


def _text(value: Any, path: Path, where: str) -> str:
    if not isinstance(value, str):
        raise FormatError(f"{path}: {where} must be a string, got {type(value).__name__}")
    return value


def read_avsd_dialogs(path: str | Path, last_only: bool = False,
                      data: Any = None) -> dict[str, list[str]]:
    """``{"dialogs": [...]}`` -> {"{image_id}_{turn}": [answer]} in file order.

    Raises:
        FormatError: not the dialog schema (naming the dialog/turn at fault), a video id that
            appears in two dialogs, or no answer at all.
    """
    path = Path(path)
    data = load_json(path) if data is None else data
    if not isinstance(data, dict) or not isinstance(data.get("dialogs"), list):
        raise FormatError(f"{path}: expected a DSTC7-AVSD object with a 'dialogs' list")
    out: dict[str, list[str]] = {}
    seen: set[str] = set()
    for d, dialog in enumerate(data["dialogs"]):
        if not isinstance(dialog, dict) or "image_id" not in dialog or not isinstance(
                dialog.get("dialog"), list):
            raise FormatError(f"{path}: dialogs[{d}] needs 'image_id' and a 'dialog' list")
        vid = str(dialog["image_id"])
        if vid in seen:
            raise FormatError(f"{path}: dialogs[{d}]: video {vid!r} has a second dialog")
        seen.add(vid)
        turns = dialog["dialog"]
        for n, qa in enumerate(turns):
            if last_only and n != len(turns) - 1:
                continue
            if not isinstance(qa, dict) or "answer" not in qa:
                raise FormatError(f"{path}: dialogs[{d}] ({vid}) turn {n} has no 'answer'")
            answer = _text(qa["answer"], path, f"dialogs[{d}] ({vid}) turn {n} answer")
            if answer.strip() == UNDISCLOSED:
                continue
            out[f"{vid}_{n}"] = [answer]
    if not out:
        raise FormatError(f"{path}: no disclosed answer in the dialogs")
    return out


def read_coco_captions(path: str | Path, data: Any = None
                       ) -> tuple[dict[str, list[str]], dict[str, str]]:
    """COCO caption annotations -> ({id: [captions]}, {numeric image id: id}).

    Raises:
        FormatError: no 'annotations' list, an annotation without image_id/caption, an image id
            not listed in 'images', or a repeated image name.
    """
    path = Path(path)
    data = load_json(path) if data is None else data
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        raise FormatError(f"{path}: expected a COCO object with an 'annotations' list")
    id_to_key: dict[str, str] = {}
    images = data.get("images")
    if isinstance(images, list) and images:
        names: set[str] = set()
        for k, img in enumerate(images):
            if not isinstance(img, dict) or "id" not in img:
                raise FormatError(f"{path}: images[{k}] has no 'id'")
            key = str(img.get("name", img["id"]))
            if key in names:
                raise FormatError(f"{path}: images[{k}]: name {key!r} repeats")
            names.add(key)
            id_to_key[str(img["id"])] = key
    out: dict[str, list[str]] = {}
    for k, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or "image_id" not in ann or "caption" not in ann:
            raise FormatError(f"{path}: annotations[{k}] needs 'image_id' and 'caption'")
        image = str(ann["image_id"])
        if id_to_key and image not in id_to_key:
            raise FormatError(f"{path}: annotations[{k}]: image_id {image} is not in 'images'")
        key = id_to_key.get(image, image)
        out.setdefault(key, []).append(_text(ann["caption"], path, f"annotations[{k}] caption"))
    if not out:
        raise FormatError(f"{path}: no annotation")
    return out, id_to_key


def read_coco_results(path: str | Path, data: Any = None) -> dict[str, str]:
    """``[{"image_id": .., "caption": ..}]`` -> {str(image_id): caption}.

    Raises:
        FormatError: not a list of such objects, or an image id twice.
    """
    path = Path(path)
    data = load_json(path) if data is None else data
    if not isinstance(data, list):
        raise FormatError(f"{path}: expected a COCO result list")
    out: dict[str, str] = {}
    for k, item in enumerate(data):
        if not isinstance(item, dict) or "image_id" not in item or "caption" not in item:
            raise FormatError(f"{path}: [{k}] needs 'image_id' and 'caption'")
        key = str(item["image_id"])
        if key in out:
            raise FormatError(f"{path}: [{k}]: image_id {key} has a second caption")
        out[key] = _text(item["caption"], path, f"[{k}] caption")
    if not out:
        raise FormatError(f"{path}: no result")
    return out


# --------------------------------------------------------------------------- typed dialogs


@dataclass(frozen=True)
class AvsdTurn:
    question: str
    answer: str  # `UNDISCLOSED` when withheld (the official test's last turn)

    @property
    def undisclosed(self) -> bool:
        return self.answer.strip() == UNDISCLOSED


@dataclass(frozen=True)
class AvsdDialog:
    """One dialog of a DSTC7-AVSD file: the video id, its two descriptions, its QA turns."""

    image_id: str
    caption: str
    summary: str
    turns: tuple[AvsdTurn, ...]

    def turn_id(self, n: int) -> str:
        """``{image_id}_{n}``: the id the DSTC7 scripts and `avtool evaluate captioning` use."""
        return f"{self.image_id}_{n}"

    def to_dict(self) -> dict[str, Any]:
        return {"image_id": self.image_id, "caption": self.caption, "summary": self.summary,
                "dialog": [{"question": t.question, "answer": t.answer} for t in self.turns]}


def _field(obj: Mapping[str, Any], key: str, path: Path, where: str, required: bool = True
           ) -> str:
    if key not in obj:
        if required:
            raise FormatError(f"{path}: {where} has no {key!r}")
        return ""
    return _text(obj[key], path, f"{where} {key}")


def read_avsd_data(path: str | Path, data: Any = None) -> list[AvsdDialog]:
    """Every dialog of a DSTC7-AVSD file (train/valid/test, labelled test or result file).

    ``image_id`` and a ``dialog`` list of ``question``/``answer`` strings are required;
    ``caption`` and ``summary`` default to "". A withheld answer is kept as `UNDISCLOSED`.

    Raises:
        FormatError: not JSON, not the schema (naming ``dialogs[d]``, its video and the turn
            at fault), a video with two dialogs, a dialog without turns or a file without
            dialogs.
    """
    path = Path(path)
    data = load_json(path) if data is None else data
    if not isinstance(data, dict) or not isinstance(data.get("dialogs"), list):
        raise FormatError(f"{path}: expected a DSTC7-AVSD object with a 'dialogs' list")
    out: list[AvsdDialog] = []
    seen: set[str] = set()
    for d, raw in enumerate(data["dialogs"]):
        if not isinstance(raw, dict) or "image_id" not in raw:
            raise FormatError(f"{path}: dialogs[{d}] has no 'image_id'")
        vid = str(raw["image_id"]).strip()
        where = f"dialogs[{d}] ({vid})"
        if not vid:
            raise FormatError(f"{path}: dialogs[{d}] has an empty 'image_id'")
        if vid in seen:
            raise FormatError(f"{path}: {where}: video {vid!r} has a second dialog")
        seen.add(vid)
        turns = raw.get("dialog")
        if not isinstance(turns, list) or not turns:
            raise FormatError(f"{path}: {where} needs a non-empty 'dialog' list")
        parsed = []
        for n, qa in enumerate(turns):
            if not isinstance(qa, dict):
                raise FormatError(f"{path}: {where} turn {n} is not an object with 'question' "
                                  "and 'answer'")
            parsed.append(AvsdTurn(_field(qa, "question", path, f"{where} turn {n}"),
                                   _field(qa, "answer", path, f"{where} turn {n}")))
        out.append(AvsdDialog(vid, _field(raw, "caption", path, where, required=False),
                              _field(raw, "summary", path, where, required=False),
                              tuple(parsed)))
    if not out:
        raise FormatError(f"{path}: no dialog in 'dialogs'")
    return out


def write_avsd_data(path: str | Path, dialogs: Iterable[AvsdDialog]) -> Path:
    """Write dialogs in the DSTC7-AVSD schema, atomically (a result file is the test file
    with each answer replaced by the system's)."""
    from avtool.io import atomic_write

    with atomic_write(path, encoding="utf-8") as fh:
        json.dump({"dialogs": [d.to_dict() for d in dialogs]}, fh, indent=1,
                  ensure_ascii=False)
        fh.write("\n")
    return Path(path)


def write_coco_references(path: str | Path, references: Mapping[str, Sequence[str]]) -> Path:
    """A COCO captions file like ``test_set4DSTC7-AVSD_multiref.json``: one image per id
    (``name`` = ``{image_id}_{turn}``), one annotation per reference, in the given order."""
    from avtool.io import atomic_write

    images, annotations = [], []
    for n, (key, refs) in enumerate(references.items(), 1):
        if not refs:
            raise FormatError(f"{path}: id {key!r} has no reference")
        images.append({"id": n, "name": key})
        annotations += [{"image_id": n, "id": len(annotations) + k + 1, "caption": r}
                        for k, r in enumerate(refs)]
    with atomic_write(path, encoding="utf-8") as fh:
        json.dump({"info": {}, "licenses": [], "type": "captions", "images": images,
                   "annotations": annotations}, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    return Path(path)


# --------------------------------------------------------------------------- released features

AVSD_FEATURE_TYPES = ("i3d_rgb", "i3d_flow", "vggish")
"""The organisers' feature folders: I3D rgb and flow (T x 2048), VGGish (T x 128)."""


def avsd_feature_path(root: str | Path, fea_type: str, image_id: str) -> Path | None:
    """``root/<fea_type>/<image_id>.npy``, else ``root/<fea_type>_testset/<image_id>.npy``,
    else None."""
    for folder in (fea_type, f"{fea_type}_testset"):
        path = Path(root) / folder / f"{image_id}.npy"
        if path.is_file():
            return path
    return None


def read_avsd_features(root: str | Path, image_id: str,
                       fea_types: Sequence[str] = AVSD_FEATURE_TYPES) -> dict[str, np.ndarray]:
    """The released features of one video as float32 (T, D) arrays, one per type.

    Arrays saved with singleton axes (e.g. (T, 1, D)) are squeezed to two dimensions.

    Raises:
        FormatError: a type's file is missing, unreadable, not a 2-D numeric array, empty or
            not finite (naming the file).
    """
    out = {}
    for fea_type in fea_types:
        path = avsd_feature_path(root, fea_type, image_id)
        if path is None:
            raise FormatError(f"{Path(root) / fea_type / (image_id + '.npy')}: no such feature "
                              f"file (nor in {fea_type}_testset/)")
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise FormatError(f"{path}: not a readable .npy array ({err})") from None
        if arr.ndim > 2:  # drop singleton axes before the feature axis
            keep = [n for n in arr.shape[:-1] if n != 1] or [1]
            arr = arr.reshape(*keep, arr.shape[-1])
        if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number) or arr.shape[0] == 0:
            raise FormatError(f"{path}: expected a non-empty (frames, dims) numeric array, got "
                              f"shape {arr.shape} dtype {arr.dtype}")
        arr = arr.astype(np.float32)
        if not np.isfinite(arr).all():
            raise FormatError(f"{path}: holds NaN or infinite values")
        out[fea_type] = arr
    return out
