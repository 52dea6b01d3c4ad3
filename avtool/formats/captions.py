"""Caption hypotheses and references for `avtool evaluate captioning`, in any supported format.

* ``tsv``: UTF-8, first line exactly ``id<TAB>text``, then ``id<TAB>text`` rows. A reference
  file repeats an id once per reference; a hypothesis file has each id once. Text may be empty
  (an empty hypothesis), must not contain a tab; blank lines are skipped::

      id	text
      v1_0	yes he is holding a cup
      v1_0	yes he holds a cup of coffee

* ``avsd-dialogs``, ``coco`` (references) and ``coco-results`` (hypotheses): the DSTC7-AVSD
  JSON files, see ``avtool.formats.avsd``.

The format is sniffed: a file whose first non-blank character is ``{`` or ``[`` is JSON and its
top-level keys tell which; anything else is TSV.
"""

from __future__ import annotations

from pathlib import Path

from avtool.errors import FormatError
from avtool.formats.avsd import load_json, read_avsd_dialogs, read_coco_captions, read_coco_results

__all__ = ["load_captions", "read_caption_tsv", "sniff_caption_format"]

TSV_HEADER = "id\ttext"


def read_caption_tsv(path: str | Path) -> dict[str, list[str]]:
    """``id<TAB>text`` rows under an ``id<TAB>text`` header -> {id: [texts]} in file order.

    Raises:
        FormatError: missing header, a row without exactly one tab, an empty id, or no row.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError(f"{path}: file not found") from None
    except (UnicodeDecodeError, OSError) as err:
        raise FormatError(f"{path}: cannot read as UTF-8 text ({err})") from None
    lines = text.removeprefix("\ufeff").split("\n")
    lines = [ln.removesuffix("\r") for ln in lines]
    if not lines or lines[0].strip() != TSV_HEADER:
        got = lines[0][:40] if lines else ""
        raise FormatError(f"{path}:1: expected the header 'id<TAB>text', got {got!r}")
    out: dict[str, list[str]] = {}
    for lineno, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise FormatError(f"{path}:{lineno}: expected 'id<TAB>text' (2 tab-separated "
                              f"fields), got {len(fields)}")
        key = fields[0].strip()
        if not key:
            raise FormatError(f"{path}:{lineno}: empty id")
        out.setdefault(key, []).append(fields[1].strip())
    if not out:
        raise FormatError(f"{path}: no 'id<TAB>text' row after the header")
    return out


def sniff_caption_format(path: str | Path):
    """(format name, parsed JSON or None): tsv, avsd-dialogs, coco or coco-results."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except FileNotFoundError:
        raise FormatError(f"{path}: file not found") from None
    except OSError as err:
        raise FormatError(f"{path}: cannot read ({err.strerror})") from None
    if head[:1] not in (b"{", b"["):
        return "tsv", None
    data = load_json(path)
    if isinstance(data, dict) and "dialogs" in data:
        return "avsd-dialogs", data
    if isinstance(data, dict) and "annotations" in data:
        return "coco", data
    if isinstance(data, list):
        return "coco-results", data
    raise FormatError(f"{path}: JSON that is neither DSTC7-AVSD dialogs ('dialogs'), COCO "
                      "captions ('annotations') nor a COCO result list")


def load_captions(hyp: str | Path, ref: str | Path, last_only: bool = False
                  ) -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
    """Read HYP and REF -> (hypotheses {id: text}, references {id: [texts]}, formats).

    COCO result hypotheses (numeric image ids) are renamed through the reference file's
    images when it is COCO with names, so pairing stays by explicit id. ``last_only`` applies
    to dialog files (only the last turn of each dialog).

    Raises:
        FormatError: unreadable/malformed files, a hypothesis id given twice, or a COCO
            reference file used as hypotheses.
    """
    hyp_fmt, hyp_data = sniff_caption_format(hyp)
    ref_fmt, ref_data = sniff_caption_format(ref)
    id_to_key: dict[str, str] = {}
    if ref_fmt == "tsv":
        refs = read_caption_tsv(ref)
    elif ref_fmt == "avsd-dialogs":
        refs = read_avsd_dialogs(ref, last_only, ref_data)
    elif ref_fmt == "coco":
        refs, id_to_key = read_coco_captions(ref, ref_data)
    else:
        raise FormatError(f"{ref}: a COCO result list holds hypotheses, not references")
    if hyp_fmt == "coco-results":
        raw = read_coco_results(hyp, hyp_data)
        hyps = {id_to_key.get(k, k): v for k, v in raw.items()}
    else:
        if hyp_fmt == "tsv":
            many = read_caption_tsv(hyp)
        elif hyp_fmt == "avsd-dialogs":
            many = read_avsd_dialogs(hyp, last_only, hyp_data)
        else:
            raise FormatError(f"{hyp}: COCO caption annotations are references; hypotheses "
                              "are TSV, DSTC7-AVSD dialogs or a COCO result list")
        twice = [k for k, v in many.items() if len(v) > 1]
        if twice:
            raise FormatError(f"{hyp}: hypothesis id {twice[0]!r} appears {len(many[twice[0]])} "
                              f"times ({len(twice)} ids repeat); one hypothesis per id")
        hyps = {k: v[0] for k, v in many.items()}
    return hyps, refs, {"hyp": hyp_fmt, "ref": ref_fmt}
