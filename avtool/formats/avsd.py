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
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from avtool.errors import FormatError

__all__ = ["UNDISCLOSED", "load_json", "read_avsd_dialogs", "read_coco_captions",
           "read_coco_results"]

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
