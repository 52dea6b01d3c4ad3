"""Extraction on Dask distributed (``extract-features --dask local|ADDRESS``).

A local cluster of single-threaded worker processes, or a running scheduler whose workers share
the store's file system. Each task extracts one chunk of jobs and writes its own journal part
(`avtool.features.workers.extract_part`); the calling process holds the store's lock, counts
the results and commits one store, exactly as with ``--workers``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from avtool.errors import ConfigError, first_line
from avtool.features.workers import chunk_jobs, ensure_worker, extract_part


def _extract_part_on_dask(chunk, specs: dict[str, str], infos: dict, journal: str, device: str):
    """Dask task: build the extractors once per worker process, then extract one chunk."""
    ensure_worker(specs, device)
    return extract_part(chunk, infos, Path(journal))


class DaskClient:
    """A Dask client (and the local cluster it started), closed together."""

    def __init__(self, client, cluster=None) -> None:
        self.client, self.cluster = client, cluster

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def dask_client(address: str, workers: int) -> DaskClient:
    """``"local"``: start a cluster of `workers` processes; else connect to a scheduler
    (ConfigError when it cannot be reached within 30 s or the address is malformed)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - a dependency of avtool
        raise ConfigError(f"--dask needs the 'distributed' package ({err})") from None
    if address == "local":
        # Single-threaded worker processes, as --workers uses (one core each).
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        return DaskClient(Client(cluster), cluster)
    try:
        return DaskClient(Client(address, timeout="30s"))
    except (OSError, ValueError, TypeError) as err:
        raise ConfigError(f"--dask {address}: cannot reach the scheduler "
                          f"({first_line(err)})") from None


def run_dask(dask: DaskClient, todo: Sequence, specs: dict[str, str], infos: dict,
             device: str, journal: Path, checkpoint_every: int) -> Iterable:
    """Extract `todo` ((job, features) pairs) in Dask tasks that write journal parts; yields
    the per-item results of each finished task."""
    from distributed import as_completed

    client = dask.client
    n = max(1, len(client.scheduler_info().get("workers", {})))
    chunks = chunk_jobs(todo, n, checkpoint_every)
    futures = client.map(_extract_part_on_dask, chunks, specs=specs, infos=infos,
                         journal=str(journal.resolve()), device=device, pure=False)
    for future in as_completed(futures):
        yield from future.result()
