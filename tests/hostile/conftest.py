"""Shared ground of the hostile-input suite: a workspace of good inputs built once, a
read-only folder, and the checks every case makes (no traceback, the exit status, one error
line naming the culprit, the output folder as it was)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from functools import cached_property
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avtool.cli.app import app


class Workspace:
    """Good inputs, made on first use and shared by the whole session (read-only for tests:
    a case that writes gets its own folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        return self.root / name

    @cached_property
    def wav(self) -> Path:
        from avtool.testing.hostile import good_wav

        return good_wav(self._path("good.wav"))

    @cached_property
    def mp4(self) -> Path:
        from avtool.testing.hostile import good_mp4

        return good_mp4(self._path("good.mp4"), faststart=True)

    @cached_property
    def store(self) -> Path:
        from avtool.testing.hostile import good_store

        return good_store(self._path("fbank.h5"))

    @cached_property
    def media(self) -> dict[str, Path]:
        from avtool.testing.hostile import bad_media

        return bad_media(self._path("bad_media"))

    @cached_property
    def odd_media(self) -> dict[str, Path]:
        from avtool.testing.hostile import odd_but_valid_media

        return odd_but_valid_media(self._path("odd_media"))

    @cached_property
    def stores(self) -> dict[str, Path]:
        from avtool.testing.hostile import bad_stores

        return bad_stores(self._path("bad_stores"))

    @cached_property
    def texts(self) -> dict[str, Path]:
        from avtool.testing.hostile import bad_text_files

        return bad_text_files(self._path("bad_texts"))

    @cached_property
    def manifests(self) -> dict[str, Path]:
        from avtool.testing.hostile import bad_manifests

        return bad_manifests(self._path("bad_manifests"), self.wav)

    @cached_property
    def avvp(self) -> Path:
        """The AVVP debug corpus folder (store.h5 + AVVP_*.csv) with a trained run in run/."""
        from avtool.tasks import get_task, train_task

        folder = self._path("avvp")
        folder.mkdir()
        example = get_task("avvp").debug_example(folder)
        train_task("avvp", example.options, example.store, folder / "run", quiet=True,
                   device="cpu", **example.train)
        (folder / "store.h5").symlink_to(example.store)
        return folder

    @cached_property
    def speaker_lists(self) -> tuple[Path, Path]:
        """(trials, scores) in the VoxCeleb formats, scoring each other."""
        trials, scores = self._path("trials.txt"), self._path("scores.txt")
        pairs = [("1", "a/1.wav", "a/2.wav", 0.9), ("0", "a/1.wav", "b/1.wav", 0.2),
                 ("1", "b/1.wav", "b/2.wav", 0.7), ("0", "a/2.wav", "b/2.wav", 0.4)]
        trials.write_text("".join(f"{lab} {p} {q}\n" for lab, p, q, _ in pairs))
        scores.write_text("".join(f"{p} {q} {s}\n" for _, p, q, s in pairs))
        return trials, scores

    @cached_property
    def speaker_audio(self) -> Path:
        """An audio root holding the files of `speaker_lists`."""
        from avtool.testing.hostile import good_wav

        root = self._path("speaker_audio")
        for i, name in enumerate(("a/1.wav", "a/2.wav", "b/1.wav", "b/2.wav")):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            good_wav(root / name, seconds=1.5 + 0.2 * i)
        return root

    @cached_property
    def grounding(self) -> tuple[Path, Path]:
        gt, pred = self._path("charades_test.txt"), self._path("grounding_pred.tsv")
        gt.write_text("v1 0.0 5.0##a person opens a door\nv2 1.0 3.5##someone sits down\n")
        pred.write_text("query_id\tvideo_id\tstart\tend\n0\tv1\t0.5\t4.0\n1\tv2\t1.0\t3.0\n")
        return gt, pred

    @cached_property
    def retrieval(self) -> tuple[Path, Path, Path, Path]:
        import numpy as np

        sim, queries, videos, gt = (self._path(n) for n in (
            "sim.npy", "queries.txt", "videos.txt", "retrieval_gt.tsv"))
        np.save(sim, np.eye(3, dtype=np.float32))
        queries.write_text("q0\nq1\nq2\n")
        videos.write_text("v0\nv1\nv2\n")
        gt.write_text("q0\tv0\nq1\tv1\nq2\tv2\n")
        return sim, queries, videos, gt

    @cached_property
    def captions(self) -> tuple[Path, Path]:
        hyp, ref = self._path("hyp_captions.tsv"), self._path("ref_captions.tsv")
        hyp.write_text("id\ttext\n1\ta man is talking\n2\ta dog runs\n")
        ref.write_text("id\ttext\n1\ta man talks\n1\tsomeone speaks\n2\ta dog is running\n")
        return hyp, ref

    @cached_property
    def llp_import(self) -> tuple[Path, Path]:
        """(features folder, AVVP_train.csv) of the released-LLP layout."""
        from avtool.tasks.avvp.testing import write_features, write_weak

        folder = self._path("llp_release")
        clips = {"KSRjje7GH44_60_70": "Speech,Dog", "-0A9suni5YA_0_10": "Car"}
        write_features(folder / "feats", clips)
        return folder / "feats", write_weak(folder / "AVVP_train.csv", clips)

    @cached_property
    def ce_release(self) -> Path:
        """A tiny Collaborative Experts release folder (`avtool.testing.ce_release`)."""
        from avtool.testing.ce_release import write_ce_release

        return write_ce_release(self._path("ce_release"), videos=4)


@pytest.fixture(scope="package", autouse=True)
def _app_built_once():
    """Typer rebuilds the whole click command on every `CliRunner.invoke` (about 70 ms, most
    of a command-line case): build it once for this package's cases."""
    import typer.main
    import typer.testing

    built = typer.main.get_command(app)
    original = typer.testing._get_command
    typer.testing._get_command = lambda typer_app: built if typer_app is app else original(
        typer_app)
    yield
    typer.testing._get_command = original


@pytest.fixture(scope="session")
def ws(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("hostile-workspace"))


@pytest.fixture(scope="session")
def readonly_dir(tmp_path_factory):
    """A folder nothing can be written into: permissions for a normal user; for root (who
    ignores them) a read-only bind mount, as a read-only file system gives EROFS."""
    folder = tmp_path_factory.mktemp("readonly")
    (folder / "existing.txt").write_text("kept\n")
    mounted = False
    if os.geteuid() != 0:
        folder.chmod(0o555)
    else:
        for cmd in (["mount", "--bind", str(folder), str(folder)],
                    ["mount", "-o", "remount,ro,bind", str(folder)]):
            done = subprocess.run(cmd, capture_output=True)
            if done.returncode != 0:
                if mounted:
                    subprocess.run(["umount", str(folder)], capture_output=True)
                pytest.skip(f"cannot make a read-only folder as root ({done.stderr!r})")
            mounted = True
    if os.access(folder, os.W_OK):
        pytest.skip("the folder stayed writable")
    yield folder
    if mounted:
        subprocess.run(["umount", str(folder)], capture_output=True)
    else:
        folder.chmod(0o755)


class Checks:
    """What every case runs and asserts (a fixture: test modules cannot import conftest)."""

    @staticmethod
    def run(*args) -> object:
        """`avtool ARGS` in this process (errors as the user sees them: no debug)."""
        os.environ.pop("AVTOOL_DEBUG", None)
        return CliRunner().invoke(app, [str(a) for a in args])

    @staticmethod
    def snapshot(folder: Path) -> dict[str, str]:
        """{relative path: content hash, or "folder"} of everything under `folder`."""
        out = {}
        for path in sorted(folder.rglob("*")):
            key = str(path.relative_to(folder))
            out[key] = "folder" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
        return out

    @staticmethod
    def error_lines(result) -> list[str]:
        return [line for line in result.stderr.splitlines() if line.startswith("avtool: error:")]

    @staticmethod
    def assert_clean(result, status: int, *culprits: object) -> None:
        """No traceback, exit `status`; with status 2, exactly one error line naming one of the
        `culprits` (a file or an option)."""
        shown = f"exit {result.exit_code}\nstdout: {result.stdout[-2000:]}\nstderr: {result.stderr}"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"uncaught {result.exception!r}\n{shown}") from result.exception
        assert "Traceback" not in result.output, shown
        assert result.exit_code == status, shown
        if status == 2:
            lines = Checks.error_lines(result)
            assert len(lines) == 1, shown
            assert any(str(c) in lines[0] for c in culprits), shown

    @staticmethod
    def copy_into(src: Path, folder: Path) -> Path:
        """A private copy of an input, for a case that may write next to it."""
        folder.mkdir(parents=True, exist_ok=True)
        dst = folder / src.name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
        return dst


@pytest.fixture(scope="session")
def check() -> Checks:
    return Checks()
