"""The shared trainer: every `avtool train TASK` runs through `fit`.

It owns what tasks should not have to repeat: device placement, AMP on CUDA, DDP when
launched under torchrun (gloo on the CPU, NCCL on GPUs), seeding, a rich progress bar with
the running loss and accuracy, per-epoch validation and model selection, and self-describing
checkpoints that `--resume` continues from.

A task implements the small `TrainTask` protocol below (the training part of
`avtool.tasks.interface.Task`); the trainer never looks inside it.

Run directory layout::

    RUN_DIR/last.pt        checkpoint after the latest epoch (resume from here)
    RUN_DIR/best.pt        checkpoint with the best validation score (or the last one)
    RUN_DIR/history.jsonl  one JSON line per epoch: losses, metrics, seconds
    RUN_DIR/config.json    the task and trainer configuration of the run

The folder is checked before any work (`check_run_dir`: writable; a folder holding a run is
continued with ``resume`` or replaced with ``overwrite``, never silently) and created with the
first checkpoint, so a run that fails before finishing an epoch leaves nothing behind.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from avtool import __version__
from avtool.config import check_ranges, ranged
from avtool.errors import ConfigError, ModelError, OutputError
from avtool.train.checkpoints import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = field(default=10, metadata=ranged(min=1))
    batch_size: int = field(default=32, metadata=ranged(min=1))
    seed: int = field(default=0, metadata=ranged(0, 2**32 - 1))
    device: str = "auto"
    workers: int = field(default=0, metadata=ranged(min=0))
    amp: bool = True  # only takes effect on CUDA
    grad_clip: float = field(default=0.0, metadata=ranged(min=0))
    log_every: int = field(default=10, metadata=ranged(min=1))


RUN_FILES = ("last.pt", "best.pt", "history.jsonl")
"""Files whose presence means a folder holds a run."""


def check_run_dir(out_dir: str | Path, resume: bool = False, overwrite: bool = False) -> Path:
    """Refuse, before any work, a run folder that cannot be written, a run to resume that is
    not there, or a finished run that would be replaced without ``overwrite``."""
    from avtool.io import check_output

    out_dir = check_output(out_dir, "dir")
    if resume and overwrite:
        raise ConfigError("--resume continues a run, --overwrite replaces it: give one")
    last = out_dir / "last.pt"
    if resume and not last.exists():
        raise ModelError(f"{last}: nothing to resume (no last.pt in {out_dir})")
    held = [name for name in RUN_FILES if (out_dir / name).exists()]
    if held and not (resume or overwrite):
        raise OutputError(f"{out_dir}: holds a run ({', '.join(held)}); give --resume to "
                          "continue it or --overwrite to replace it")
    return out_dir


class TrainTask(Protocol):
    """What a task gives the trainer (`avtool.tasks.interface.Task` is the whole interface)."""

    name: str

    def build_model(self) -> Any: ...  # an nn.Module, built from the task's config

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int,
                     world: int) -> Iterable: ...  # yields batches; shards by rank/world

    def training_step(self, model: Any, batch: Any, device: str) -> tuple[Any, dict[str, float]]:
        """(scalar loss tensor, {"acc": ...}) for one batch."""
        ...

    def configure_optimizers(self, model: Any, steps_per_epoch: int, epochs: int
                             ) -> tuple[Any, Any | None]: ...  # (optimizer, per-step scheduler)

    def validate(self, model: Any, device: str) -> dict[str, float]:
        """Validation metrics ({} when no validation data)."""
        ...

    selection: tuple[str, str]  # (metric name, "max" | "min"), e.g. ("eer", "min")

    def checkpoint_spec(self) -> dict[str, Any]:
        """Plain data that rebuilds the task's model: config, label lists, feature params."""
        ...


@dataclass
class TrainResult:
    out_dir: Path
    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] | None = None


# --------------------------------------------------------------------------- distributed


def _dist_env() -> tuple[int, int, int]:
    """(rank, local_rank, world_size) from torchrun's environment, (0, 0, 1) otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0")), world


def _init_distributed(device: str, world: int) -> bool:
    """Join torchrun's process group; True when this call created it (fit then ends it)."""
    import torch.distributed as dist

    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.startswith("cuda") else "gloo")
        return True
    return False


def _all_reduce_mean(values: dict[str, float], world: int) -> dict[str, float]:
    if world == 1 or not values:
        return values
    import torch
    import torch.distributed as dist

    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64)
    dist.all_reduce(t)
    return {k: float(v) / world for k, v in zip(keys, t.tolist(), strict=True)}


# --------------------------------------------------------------------------- fitting


def fit(task: TrainTask, config: TrainConfig, out_dir: str | Path, resume: bool = False,
        quiet: bool = False, overwrite: bool = False) -> TrainResult:
    """Train `task` for `config.epochs` epochs, writing checkpoints to `out_dir`.

    `out_dir` must not hold a run unless `resume` (continue it) or `overwrite` (replace it).
    """
    import torch

    from avtool.runtime import resolve_device, seed_everything

    check_ranges(config, lambda name: f"--{name.replace('_', '-')}")
    out_dir = check_run_dir(out_dir, resume=resume, overwrite=overwrite)
    rank, local_rank, world = _dist_env()
    device = resolve_device(config.device)
    if device == "cuda":
        device = f"cuda:{local_rank}"
        torch.cuda.set_device(local_rank)
    owns_group = _init_distributed(device, world)
    seed_everything(config.seed + rank)

    model = task.build_model().to(device)
    loader = task.train_loader(config.batch_size, config.workers, config.seed, rank, world)
    steps = len(loader)
    if steps == 0:
        raise ConfigError("training data gives no batch: lower --batch-size or add items")
    optimizer, scheduler = task.configure_optimizers(model, steps, config.epochs)
    use_amp = bool(config.amp and device.startswith("cuda"))
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    start_epoch, history, best = 0, [], None
    last = out_dir / "last.pt"
    if resume:
        ckpt = load_checkpoint(last)
        if ckpt["task"] != task.name:
            raise ModelError(f"{last}: checkpoint is for task {ckpt['task']!r}, not {task.name!r}")
        check_resume = getattr(task, "check_resume", None)
        if check_resume is not None:  # e.g. the same speakers and network as the checkpoint
            try:
                check_resume(ckpt)
            except ModelError as err:
                raise ModelError(f"{last}: {err}") from None
        model.load_state_dict(ckpt["model_state"])
        optimizer.load_state_dict(ckpt["optimizer_state"])
        if scheduler is not None and ckpt.get("scheduler_state"):
            scheduler.load_state_dict(ckpt["scheduler_state"])
        start_epoch, history, best = ckpt["epoch"], list(ckpt["history"]), ckpt.get("best")
        _set_rng_state(ckpt.get("rng"))
        log.info("resumed %s at epoch %d", last, start_epoch)

    train_model = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        train_model = DistributedDataParallel(
            model, device_ids=[local_rank] if device.startswith("cuda") else None)

    metric_name, direction = task.selection
    for epoch in range(start_epoch, config.epochs):
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch)
        elif hasattr(getattr(loader, "sampler", None), "set_epoch"):
            loader.sampler.set_epoch(epoch)
        t0 = time.perf_counter()
        train_model.train()
        sums: dict[str, float] = {}
        count = 0
        with _progress(epoch, config.epochs, steps, quiet or rank != 0) as advance:
            for batch in loader:
                with torch.autocast(device_type="cuda", enabled=use_amp):
                    loss, stats = task.training_step(train_model, batch, device)
                if not torch.isfinite(loss):
                    raise ModelError(f"loss became {loss.item()} at epoch {epoch + 1}; "
                                     "lower the learning rate")
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                if config.grad_clip > 0:
                    scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                scaler.step(optimizer)
                scaler.update()
                if scheduler is not None:
                    scheduler.step()
                count += 1
                for key, value in {"loss": float(loss.detach()), **stats}.items():
                    sums[key] = sums.get(key, 0.0) + float(value)
                advance({k: v / count for k, v in sums.items()})
        train_stats = _all_reduce_mean({k: v / max(count, 1) for k, v in sums.items()}, world)
        record: dict[str, Any] = {"epoch": epoch + 1, **{f"train_{k}": v
                                                          for k, v in train_stats.items()}}
        if rank == 0:
            model.eval()
            with torch.no_grad():
                val = task.validate(model, device)
            record.update({f"val_{k}": v for k, v in val.items()})
        record["seconds"] = round(time.perf_counter() - t0, 3)
        if rank == 0:
            history.append(record)
            improved = _is_better(record, best, metric_name, direction)
            if improved:
                best = {"epoch": epoch + 1, "metric": metric_name,
                        "value": record.get(f"val_{metric_name}")}
            payload = _payload(task, model, optimizer, scheduler, epoch + 1, history, best,
                               config)
            save_checkpoint(last, payload)
            if improved:
                save_checkpoint(out_dir / "best.pt", payload)
            _write_history(out_dir, history, task, config)
            if not quiet:
                _log_epoch(record)
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        if owns_group:
            # Left to interpreter exit, gloo's teardown races between ranks: a rank whose
            # peer has already closed its sockets can abort (SIGABRT, seen once in CI).
            dist.destroy_process_group()
    return TrainResult(out_dir, history, best)


def _is_better(record: dict[str, Any], best: dict[str, Any] | None, metric: str,
               direction: str) -> bool:
    value = record.get(f"val_{metric}")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True  # no validation: the latest epoch is the model to keep
    if best is None or best.get("value") is None:
        return True
    return value > best["value"] if direction == "max" else value < best["value"]


def _payload(task, model, optimizer, scheduler, epoch, history, best, config) -> dict[str, Any]:
    return {
        "format": CHECKPOINT_FORMAT,
        "avtool_version": __version__,
        "task": task.name,
        "spec": task.checkpoint_spec(),
        "train_config": asdict(config),
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "scheduler_state": scheduler.state_dict() if scheduler is not None else None,
        "epoch": epoch,
        "history": history,
        "best": best,
        "rng": _get_rng_state(),
    }


def _get_rng_state() -> dict[str, Any]:
    import torch

    np_state = np.random.get_state()
    return {
        "python": json.dumps(random.getstate()),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2])},
        "torch": torch.get_rng_state(),
    }


def _set_rng_state(state: dict[str, Any] | None) -> None:
    if not state:
        return
    import torch

    py = json.loads(state["python"])
    random.setstate((py[0], tuple(py[1]), py[2]))
    keys = state["numpy"]["keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, state["numpy"]["pos"], 0, 0.0))
    torch.set_rng_state(state["torch"])


def _write_history(out_dir: Path, history, task, config) -> None:
    from avtool.io import atomic_write

    with atomic_write(out_dir / "history.jsonl") as fh:
        for record in history:
            fh.write(json.dumps(record) + "\n")
    with atomic_write(out_dir / "config.json") as fh:
        json.dump({"task": task.name, "spec": task.checkpoint_spec(),
                   "train": asdict(config), "avtool_version": __version__}, fh, indent=2,
                  default=str)


def _log_epoch(record: dict[str, Any]) -> None:
    from avtool.console import stderr

    parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()]
    stderr.print("epoch " + " ".join(parts), highlight=False)


class _progress:
    """Rich progress bar on stderr with running averages; silent on other ranks."""

    def __init__(self, epoch: int, epochs: int, steps: int, quiet: bool) -> None:
        self.epoch, self.epochs, self.steps, self.quiet = epoch, epochs, steps, quiet
        self.bar = None

    def __enter__(self):
        if self.quiet:
            return lambda stats: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        from avtool.console import stderr

        self.bar = Progress(TextColumn(f"epoch {self.epoch + 1}/{self.epochs}"), BarColumn(),
                            MofNCompleteColumn(), TextColumn("{task.fields[stats]}"),
                            TimeRemainingColumn(), console=stderr, transient=True)
        self.bar.__enter__()
        task = self.bar.add_task("train", total=self.steps, stats="")

        def advance(stats: dict[str, float]) -> None:
            text = " ".join(f"{k} {v:.3f}" for k, v in stats.items())
            self.bar.update(task, advance=1, stats=text)

        return advance

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
