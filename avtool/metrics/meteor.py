"""METEOR 1.5 through the official jar, exactly as coco-caption (and so DSTC7-AVSD) runs it.

``java -Xmx2G -jar meteor-1.5.jar - - -stdio -l en -norm`` from pycocoevalcap's ``meteor/``
directory (English, default parameters, exact/stem/synonym/paraphrase modules). Each response
is sent as ``SCORE ||| ref1 ||| ... ||| hypothesis``; the jar answers with sufficient
statistics; one ``EVAL ||| stats1 ||| stats2 ...`` line then returns every segment score and
the corpus score, which is computed from the **aggregated statistics** (not the mean of the
segment scores). ``|||`` inside a sentence is removed and whitespace collapsed, since it is the
protocol's separator.

There is no Python METEOR here on purpose: NLTK's ``meteor_score`` is a different algorithm and
needs WordNet (a download). When java or pycocoevalcap is missing, ``unavailable_reason()`` says
so and callers report METEOR as null. The JVM takes seconds to start and load the paraphrase
table, so one scorer per process is shared (``shared_scorer``) and closed at exit.
"""

from __future__ import annotations

import atexit
import subprocess
import tempfile
import threading
from collections.abc import Sequence

from avtool.errors import AvtoolError
from avtool.metrics.coco_java import (
    METEOR_JAR,
    METEOR_PARAPHRASE,
    java_executable,
    resource_status,
)

DESCRIPTION = ("METEOR 1.5, official jar bundled with pycocoevalcap (-l en -norm; exact, stem, "
               "synonym, paraphrase)")


def unavailable_reason() -> str:
    """'' when METEOR can run here, else why not (no java, no pycocoevalcap, missing files)."""
    root, reason = resource_status(METEOR_JAR, METEOR_PARAPHRASE)
    return "unavailable: " + reason if root is None else ""


def _clean(text: str) -> str:
    return " ".join(text.replace("|||", " ").split())


class MeteorScorer:
    """A running METEOR jar. Thread-safe; ``close()`` stops the JVM."""

    def __init__(self, max_memory: str = "2G") -> None:
        root, reason = resource_status(METEOR_JAR, METEOR_PARAPHRASE)
        if root is None:
            raise AvtoolError(f"METEOR is unavailable: {reason}")
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [java_executable(), f"-Xmx{max_memory}", "-jar", str(root.joinpath(*METEOR_JAR)),
             "-", "-", "-stdio", "-l", "en", "-norm"],
            cwd=str(root.joinpath(METEOR_JAR[0])), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._stderr)
        self._lock = threading.Lock()

    def _fail(self, what: str) -> AvtoolError:
        self._stderr.seek(0)
        tail = self._stderr.read().decode("utf-8", "replace").strip().splitlines()[-3:]
        return AvtoolError(f"the METEOR jar {what}: {' | '.join(tail) or 'no message'}")

    def _readline(self) -> str:
        line = self._proc.stdout.readline()
        if not line:
            raise self._fail(f"stopped (exit {self._proc.poll()})")
        return line.decode("utf-8").strip()

    def score(self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]
              ) -> tuple[float, list[float]]:
        """(corpus METEOR, per-segment METEOR) of tokenised sentences, paired by position."""
        if len(hypotheses) != len(references):
            raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} reference sets")
        if not hypotheses:
            raise ValueError("no hypothesis to score")
        lines = [" ||| ".join(["SCORE", *(_clean(r) for r in refs), _clean(h)]) + "\n"
                 for h, refs in zip(hypotheses, references, strict=True)]
        with self._lock:
            if self._proc.poll() is not None:
                raise self._fail(f"is not running (exit {self._proc.returncode})")
            errors: list[BaseException] = []

            def feed() -> None:  # write while the main thread reads: no pipe deadlock
                try:
                    for ln in lines:
                        self._proc.stdin.write(ln.encode("utf-8"))
                    self._proc.stdin.flush()
                except OSError as err:
                    errors.append(err)

            writer = threading.Thread(target=feed, daemon=True)
            writer.start()
            stats = [self._readline() for _ in lines]
            writer.join()
            if errors:
                raise self._fail(f"stopped reading its input ({errors[0]})")
            self._proc.stdin.write(("EVAL ||| " + " ||| ".join(stats) + "\n").encode("utf-8"))
            self._proc.stdin.flush()
            try:
                segments = [float(self._readline()) for _ in lines]
                corpus = float(self._readline())
            except ValueError as err:
                raise self._fail(f"answered something that is not a score ({err})") from None
        return corpus, segments

    def close(self) -> None:
        with self._lock:
            if self._proc.poll() is None:
                try:
                    self._proc.stdin.close()
                    self._proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    self._proc.kill()
                    self._proc.wait()
            self._stderr.close()


_shared: MeteorScorer | None = None
_shared_lock = threading.Lock()


def shared_scorer() -> MeteorScorer:
    """One METEOR JVM per process, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared._proc.poll() is not None:
            _shared = MeteorScorer()
            atexit.register(_shared.close)
        return _shared
