import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from avtool.errors import ModelError
from avtool.testing.toy_task import ToyTask
from avtool.train import TrainConfig, fit, load_checkpoint


def test_fit_learns_and_writes_checkpoints(tmp_path):
    result = fit(ToyTask(), TrainConfig(epochs=4, batch_size=32, device="cpu"), tmp_path,
                 quiet=True)
    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4]
    assert result.history[-1]["val_acc"] > 0.9
    ckpt = load_checkpoint(tmp_path)  # a run dir means best.pt
    assert ckpt["task"] == "toy" and ckpt["spec"] == {"dim": 8}
    assert ckpt["best"]["metric"] == "acc"
    lines = (tmp_path / "history.jsonl").read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["epoch"] == 1


def test_resume_continues_to_the_same_weights(tmp_path):
    full = tmp_path / "full"
    fit(ToyTask(), TrainConfig(epochs=3, batch_size=32, device="cpu"), full, quiet=True)
    part = tmp_path / "part"
    fit(ToyTask(), TrainConfig(epochs=1, batch_size=32, device="cpu"), part, quiet=True)
    result = fit(ToyTask(), TrainConfig(epochs=3, batch_size=32, device="cpu"), part,
                 resume=True, quiet=True)
    assert [r["epoch"] for r in result.history] == [1, 2, 3]
    a = load_checkpoint(full / "last.pt")["model_state"]
    b = load_checkpoint(part / "last.pt")["model_state"]
    for key in a:
        torch.testing.assert_close(a[key], b[key])


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="nothing to resume"):
        fit(ToyTask(), TrainConfig(epochs=1, device="cpu"), tmp_path, resume=True, quiet=True)


def test_load_checkpoint_rejects_other_files(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="not a readable checkpoint"):
        load_checkpoint(bad)


SCRIPT = """
import sys
from avtool.testing.toy_task import ToyTask
from avtool.train import TrainConfig, fit
fit(ToyTask(), TrainConfig(epochs=2, batch_size=16, device="cpu"), sys.argv[1], quiet=True)
"""


def test_ddp_two_processes_with_gloo(tmp_path):
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
         "--master_port=29531", str(script), str(tmp_path / "run")],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-8000:]  # the ranks' own errors come first
    ckpt = load_checkpoint(Path(tmp_path / "run" / "last.pt"))
    assert ckpt["epoch"] == 2
    # Each rank saw half the data per epoch: 128 points / 16 per batch = 8 steps.
    assert ckpt["history"][-1]["val_acc"] > 0.8
