"""Similarity matrices for retrieval: ``.npy`` (memory-mapped) or a dataset in an HDF5 file.

A spec names the matrix:

* ``sims.npy``: a 2-D ``.npy`` array, memory-mapped one row block at a time (``NpyMatrix``):
  only the rows being scored are mapped, and unmapped once copied, so a 1,000 x 1,000,000
  float32 matrix (4 GB on disk) is scored with a few hundred MB of memory;
* ``sims.h5:dataset_name`` (or ``.hdf5``; a group path such as ``sims.h5:test/t2v`` works): a
  2-D dataset read by row slices; ``sims.h5`` alone picks the file's only 2-D dataset.

Rows are text queries, columns videos; values any real dtype (compared as stored).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import FormatError

__all__ = ["H5_SUFFIXES", "NpyMatrix", "open_similarity", "parse_sim_spec"]

H5_SUFFIXES = (".h5", ".hdf5", ".hdf", ".he5")


def parse_sim_spec(spec: str) -> tuple[Path, str | None]:
    """``"a.h5:name"`` -> (Path("a.h5"), "name"); ``"a.npy"`` -> (Path("a.npy"), None)."""
    path, sep, dataset = str(spec).rpartition(":")
    if sep and path and Path(path).suffix.lower() in H5_SUFFIXES and not Path(spec).exists():
        return Path(path), dataset or None
    return Path(spec), None


@contextlib.contextmanager
def open_similarity(spec: str) -> Iterator[Any]:
    """Yield the matrix as a row-sliceable array-like (``np.memmap`` or ``h5py.Dataset``).

    Raises:
        FormatError: missing file, not a 2-D real-valued array, unknown dataset.
    """
    path, dataset = parse_sim_spec(spec)
    if not path.is_file():
        raise FormatError(f"{path}: similarity file not found")
    if path.suffix.lower() in H5_SUFFIXES:
        with _open_h5(path, dataset) as ds:
            yield ds
        return
    if dataset is not None:
        raise FormatError(f"{spec}: ':{dataset}' only applies to HDF5 files ({', '.join(H5_SUFFIXES)})")
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise FormatError(f"{path}: not a readable .npy array ({err})") from None
    if not isinstance(arr, np.ndarray):
        raise FormatError(f"{path}: expected one .npy array, found an archive")
    _check_matrix(str(path), arr.shape, arr.dtype)
    yield NpyMatrix(arr)


class NpyMatrix:
    """Row blocks of a memory-mapped ``.npy`` matrix, each mapped only while it is copied.

    ``m[a:b]`` returns an in-memory copy of rows ``a:b``; ``m.points(rows, cols)`` reads single
    elements. Keeping whole-file mappings out of the way bounds the resident memory (pages of a
    long-lived mapping stay counted in RSS once touched).
    """

    def __init__(self, mapped: np.memmap) -> None:
        self._full = mapped
        self.shape = tuple(mapped.shape)
        self.dtype = mapped.dtype
        self.filename = mapped.filename

    def __getitem__(self, item: slice) -> np.ndarray:
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("NpyMatrix supports contiguous row slices only")
        a, b, _ = item.indices(self.shape[0])
        b = max(a, b)
        if not self._full.flags.c_contiguous or a == b:
            return np.array(self._full[a:b])
        row_bytes = self.shape[1] * self.dtype.itemsize
        block = np.memmap(self.filename, dtype=self.dtype, mode="r", shape=(b - a, self.shape[1]),
                          offset=self._full.offset + a * row_bytes)
        try:
            return np.array(block)
        finally:
            mm = getattr(block, "_mmap", None)
            del block
            if mm is not None:
                with contextlib.suppress(BufferError, ValueError):
                    mm.close()

    def points(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Elements ``[rows[i], cols[i]]``, read one by one (no mapping, no read-ahead)."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if not self._full.flags.c_contiguous:
            return np.asarray(self._full[rows, cols])
        size = self.dtype.itemsize
        offsets = self._full.offset + (rows * self.shape[1] + cols) * size
        out = bytearray(size * len(offsets))
        fd = os.open(self.filename, os.O_RDONLY)
        try:
            for i, off in enumerate(offsets.tolist()):
                out[i * size : (i + 1) * size] = os.pread(fd, size, off)
        finally:
            os.close(fd)
        return np.frombuffer(bytes(out), dtype=self.dtype).copy()


@contextlib.contextmanager
def _open_h5(path: Path, dataset: str | None) -> Iterator[Any]:
    import h5py

    try:
        fh = h5py.File(path, "r")
    except OSError as err:
        raise FormatError(f"{path}: not a readable HDF5 file ({err})") from None
    with fh:
        names: list[str] = []
        fh.visititems(lambda n, obj: names.append(n)
                      if isinstance(obj, h5py.Dataset) and obj.ndim == 2 else None)
        if dataset is None:
            if len(names) != 1:
                raise FormatError(f"{path}: name the dataset as {path}:NAME; 2-D datasets: "
                                  f"{', '.join(names) or 'none'}")
            dataset = names[0]
        obj = fh.get(dataset)
        if not isinstance(obj, h5py.Dataset):
            raise FormatError(f"{path}: no dataset {dataset!r}; 2-D datasets: "
                              f"{', '.join(names) or 'none'}")
        _check_matrix(f"{path}:{dataset}", obj.shape, obj.dtype)
        yield obj


def _check_matrix(name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    if len(shape) != 2:
        raise FormatError(f"{name}: expected a 2-D matrix (queries x videos), got shape "
                          f"{tuple(shape)}")
    if np.dtype(dtype).kind not in "fiu":
        raise FormatError(f"{name}: expected real numbers, got dtype {dtype}")
