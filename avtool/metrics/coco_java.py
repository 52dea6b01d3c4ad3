"""Where the Java parts of coco-caption live: the ``java`` runtime and pycocoevalcap's jars.

pycocoevalcap (PyPI, the Python 3 packaging of tylin/coco-caption) bundles ``meteor-1.5.jar``
with ``data/paraphrase-en.gz`` and ``stanford-corenlp-3.4.1.jar`` (the PTB tokenizer). avtool
uses them only when both the package and a ``java`` executable are present, and never
downloads anything.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

METEOR_JAR = ("meteor", "meteor-1.5.jar")
METEOR_PARAPHRASE = ("meteor", "data", "paraphrase-en.gz")
CORENLP_JAR = ("tokenizer", "stanford-corenlp-3.4.1.jar")


def java_executable() -> str | None:
    """Path of ``java`` on PATH, or None."""
    return shutil.which("java")


def pycocoevalcap_dir() -> Path | None:
    """The installed pycocoevalcap package directory (a namespace package), or None."""
    try:
        spec = importlib.util.find_spec("pycocoevalcap")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if spec.origin and spec.origin not in ("namespace", None):
        locations.insert(0, str(Path(spec.origin).parent))
    for loc in locations:
        if Path(loc).is_dir():
            return Path(loc)
    return None


def resource_status(*resources: tuple[str, ...]) -> tuple[Path | None, str]:
    """(package dir, "") when java and every resource exist, else (None, reason)."""
    if java_executable() is None:
        return None, "no 'java' executable on PATH (install a Java runtime, e.g. OpenJDK 17)"
    root = pycocoevalcap_dir()
    if root is None:
        return None, "pycocoevalcap is not installed (pip install pycocoevalcap)"
    for parts in resources:
        if not root.joinpath(*parts).is_file():
            return None, f"{root.joinpath(*parts)} is missing from the pycocoevalcap install"
    return root, ""
