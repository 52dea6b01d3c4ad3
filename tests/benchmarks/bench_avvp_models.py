"""Benchmark: AVVP parsers (HAN, Base+Adv+Skip+GCAA) training and inference speed on the CPU.

Real LLP feature sizes (VGGish 10x128, ResNet-152 80x2048, R(2+1)D 10x512), random values.
Each avtool path is timed against a naive reference in the same run:

* training (one epoch, batch 64, Adam, the task's loss): avtool keeps ``llp_frame`` averaged
  per second in memory and projects 10 rows per clip (exact: fc_v is linear), against the
  released code's order, which projects all 80 frame rows with fc_v and averages afterwards;
* inference: avtool's `predict_probs` (batches of 64, ``torch.inference_mode``, pre-averaged
  frames) against the official evaluation loop (one clip at a time, 80 frame rows, no_grad).

The two paths are checked to give the same probabilities before timing.

Times are the best of --repeats runs.

Run: .venv/bin/python tests/benchmarks/bench_avvp_models.py [--clips 256] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from avtool.tasks.avvp.config import HanConfig, resolve_hparams, variant_config
from avtool.tasks.avvp.data import ClipSet
from avtool.tasks.avvp.han import HanNet
from avtool.tasks.avvp.predictor import predict_probs
from avtool.tasks.avvp.task import AvvpTask

DIMS = (128, 2048, 512)


def _data(n: int, seed: int = 0) -> tuple[ClipSet, np.ndarray]:
    rng = np.random.default_rng(seed)
    audio = rng.normal(size=(n, 10, DIMS[0])).astype(np.float32)
    frames80 = np.abs(rng.normal(size=(n, 80, DIMS[1]))).astype(np.float32)
    motion = np.abs(rng.normal(size=(n, 10, DIMS[2]))).astype(np.float32)
    labels = (rng.random((n, 25)) < 0.07).astype(np.float32)
    pooled = frames80.reshape(n, 10, 8, -1).mean(2)
    return ClipSet([str(i) for i in range(n)], audio, pooled, motion, labels), frames80


def _han_order_project(encoder, audio, frame, motion):
    """The released code's order: fc_v on every frame row, then the per-second average."""
    b, t = audio.shape[:2]
    v = encoder.fc_v(frame).reshape(b, t, frame.shape[1] // t, -1).mean(dim=2)
    x_v = encoder.fc_fusion(torch.cat([v, encoder.fc_st(motion)], dim=-1))
    return encoder.fc_a(audio), x_v


class _Reference:
    """Context: `model.encoder.project` in the released code's order while inside."""

    def __init__(self, model) -> None:
        self.encoder = model.encoder

    def __enter__(self):
        enc = self.encoder
        enc.project = lambda a, f, m: _han_order_project(enc, a, f, m)

    def __exit__(self, *exc) -> None:
        del self.encoder.project


def _train_epoch(task: AvvpTask, model, frames: np.ndarray, batch: int, seed: int) -> float:
    """One epoch of the task's own step; `frames` replaces the task's frame array."""
    opt, sched = task.configure_optimizers(model, -(-len(frames) // batch), 40)
    t = task.train
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(frames), generator=g).numpy()
    model.train()
    t0 = time.perf_counter()
    for lo in range(0, len(order), batch):
        idx = order[lo:lo + batch]
        data = (torch.from_numpy(t.audio[idx]), torch.from_numpy(frames[idx]),
                torch.from_numpy(t.motion[idx]), torch.from_numpy(t.labels[idx]))
        loss, _ = task.training_step(model, data, "cpu")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return time.perf_counter() - t0


def _naive_predict(model, clips: ClipSet, frames80: np.ndarray) -> tuple[np.ndarray, float]:
    """The official evaluation: batch size 1, unpooled frames, no_grad."""
    model.eval()
    out = []
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(len(clips)):
            o = model(torch.from_numpy(clips.audio[i:i + 1]), torch.from_numpy(frames80[i:i + 1]),
                      torch.from_numpy(clips.motion[i:i + 1]))
            out.append(o.frame_prob.numpy())
    return np.concatenate(out), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clips, frames80 = _data(args.clips)
    rows = []
    for variant in ("han", "base+adv+skip+gcaa"):
        cfg = variant_config(variant, HanConfig(*DIMS))
        task = AvvpTask(clips, {}, variant, resolve_hparams("paper", variant))
        torch.manual_seed(0)
        model = HanNet(cfg)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        # agreement check: same probabilities from both paths
        with _Reference(model):
            ref_prob, _ = _naive_predict(model, clips.subset(range(4)), frames80[:4])
        _, fast_prob = predict_probs(model, clips.subset(range(4)), "cpu")
        assert np.allclose(ref_prob, fast_prob, atol=1e-4), "paths disagree"
        # warm-up, then the best of --repeats epochs each, alternating (same initial weights)
        _train_epoch(task, model, clips.frame[: args.batch_size], args.batch_size, 0)
        t_ref = t_fast = t_naive = t_inf = float("inf")
        for _ in range(args.repeats):
            model.load_state_dict(state)
            with _Reference(model):
                t_ref = min(t_ref, _train_epoch(task, model, frames80, args.batch_size, 1))
            model.load_state_dict(state)
            t_fast = min(t_fast, _train_epoch(task, model, clips.frame, args.batch_size, 1))
            with _Reference(model):
                t_naive = min(t_naive, _naive_predict(model, clips, frames80)[1])
            t0 = time.perf_counter()
            predict_probs(model, clips, "cpu", args.batch_size)
            t_inf = min(t_inf, time.perf_counter() - t0)
        n = len(clips)
        rows.append((variant, t_ref, t_fast, n / t_naive, n / t_inf))
    print(f"AVVP parsers, {args.clips} clips, real LLP feature sizes, {args.threads} threads "
          f"(torch {torch.__version__})")
    print(f"{'variant':20s} {'train s/epoch':>14s} {'ref (80 rows)':>14s} {'speed-up':>9s} "
          f"{'infer clip/s':>13s} {'ref (batch 1)':>14s} {'speed-up':>9s}")
    for variant, t_ref, t_fast, ref_cps, cps in rows:
        print(f"{variant:20s} {t_fast:14.2f} {t_ref:14.2f} {t_ref / t_fast:8.1f}x "
              f"{cps:13.0f} {ref_cps:14.0f} {cps / ref_cps:8.1f}x")
    full_llp = 10_000 / args.clips
    print(f"(one LLP training epoch = {full_llp:.0f}x this epoch: HAN ~ "
          f"{rows[0][2] * full_llp:.0f} s, full variant ~ {rows[1][2] * full_llp:.0f} s)")


if __name__ == "__main__":
    main()
