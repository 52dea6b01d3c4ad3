"""Small file helpers shared by every stage: output paths checked before any work, atomic
outputs (no half-written file is left), text inputs read with one set of messages, and the
sha256 of a file (model weights recorded as a feature's or an index's checksum)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from avtool.errors import FormatError, OutputError

OUTPUT_KINDS = ("file", "dir")


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1-MiB blocks (weights can be large)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_output(path: str | Path, kind: str = "file",
                 suffixes: Collection[str] | None = None) -> Path:
    """Refuse an output path that cannot be written, before any work starts.

    A ``file`` output must not be a folder, its suffix must be one of `suffixes` (when the
    format is chosen by the suffix, e.g. plots), and the folder that receives it (created if
    needed: its nearest existing ancestor) must be writable, since files appear there through
    a temporary name. A ``dir`` output must not be a file and must be writable.

    Raises:
        OutputError: naming the path and the problem.
    """
    if kind not in OUTPUT_KINDS:
        raise ValueError(f"kind must be one of {OUTPUT_KINDS}, not {kind!r}")
    path = Path(path)
    if kind == "dir" and path.exists() and not path.is_dir():
        raise OutputError(f"{path}: is a file, expected a folder")
    if kind == "file":
        if path.is_dir():
            raise OutputError(f"{path}: is a folder, expected a file")
        if suffixes is not None and path.suffix.lower() not in suffixes:
            raise OutputError(f"{path}: unknown format {path.suffix or '(no suffix)'!r} "
                              f"(use {', '.join(sorted(suffixes))})")
        if path.exists() and not os.access(path, os.W_OK):
            raise OutputError(f"{path}: not writable")
    folder = path if kind == "dir" else path.parent
    existing = next(p for p in (folder, *folder.parents) if p.exists() or p == Path(p.anchor))
    if not existing.is_dir():
        raise OutputError(f"{path}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: folder {existing} is not writable")
    return path


def read_text(path: str | Path) -> str:
    """The text of a UTF-8 file, without a leading BOM.

    Raises:
        FormatError: the file is missing, a folder, unreadable or not UTF-8 (naming it).
    """
    return decode_text(path, read_bytes(path))


def read_bytes(path: str | Path) -> bytes:
    """The bytes of an input file (FormatError naming it: missing, a folder, unreadable)."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FormatError(f"{path}: is a folder, expected a text file") from None
    except OSError as err:
        raise FormatError(f"{path}: cannot read ({err.strerror})") from None


def decode_text(path: str | Path, raw: bytes) -> str:
    """`raw` (read from `path`) as UTF-8 text without a leading BOM (FormatError if not)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FormatError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    return text.removeprefix("\ufeff")


def make_parents(path: str | Path) -> list[Path]:
    """Create the missing folders above `path`; returns them, outermost first, so that a
    failed run can take them back (`remove_empty`)."""
    missing = [p for p in reversed(Path(path).parents) if not p.exists()]
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{path}: cannot create its folder ({err.strerror})") from None
    return missing


def remove_empty(folders: Sequence[Path]) -> None:
    """Remove the folders `make_parents` created, innermost first, while they are empty."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): keep it and what is above it
            return


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only on success (on
    failure, nothing is left: neither the temporary file nor the folders made for it)."""
    path = Path(path)
    created = make_parents(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part" + path.suffix,
                                   dir=path.parent)
    except OSError as err:
        remove_empty(created)
        raise OutputError(f"{path}: cannot write ({err.strerror})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual mode
    done = False
    try:
        yield tmp_path
        os.replace(tmp_path, path)
        done = True
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
        if not done:
            remove_empty(created)


@contextlib.contextmanager
def atomic_paths(paths: Sequence[str | Path | None]) -> Iterator[list[Path | None]]:
    """`atomic_path` for several outputs (None entries stay None): all of them appear when
    the block succeeds, none when it fails, so a later error leaves no earlier output."""
    with contextlib.ExitStack() as stack:
        yield [None if p is None else stack.enter_context(atomic_path(p)) for p in paths]


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", **kwargs) -> Iterator:
    """Open a file for writing that appears at `path` only when the block succeeds."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh
