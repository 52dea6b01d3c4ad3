"""Similarity matrices for retrieval: ``.npy`` (memory-mapped) or a dataset in an HDF5 file.

A spec names the matrix:

* ``sims.npy``: a 2-D ``.npy`` array, opened with ``mmap_mode="r"`` so only the rows being
  scored are read (a 1,000 x 1,000,000 float32 matrix is 4 GB on disk, never in memory);
* ``sims.h5:dataset_name`` (or ``.hdf5``; a group path such as ``sims.h5:test/t2v`` works): a
  2-D dataset read by row slices; ``sims.h5`` alone picks the file's only 2-D dataset.

Rows are text queries, columns videos; values any real dtype (compared as stored).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from avtool.errors import FormatError

__all__ = ["H5_SUFFIXES", "open_similarity", "parse_sim_spec"]

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
    yield arr


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
