"""A tiny classification task that exercises the shared trainer in one-second CPU tests."""

from __future__ import annotations

from typing import Any

import numpy as np


class ToyTask:
    """Linearly separable 2-class points; an MLP learns them in a few epochs."""

    name = "toy"
    selection = ("acc", "max")

    def __init__(self, n: int = 256, dim: int = 8, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.x = rng.normal(size=(n, dim)).astype(np.float32)
        self.y = (self.x[:, 0] + 0.5 * self.x[:, 1] > 0).astype(np.int64)
        self.dim = dim

    def build_model(self):
        import torch.nn as nn

        return nn.Sequential(nn.Linear(self.dim, 16), nn.ReLU(), nn.Linear(16, 2))

    def train_loader(self, batch_size: int, workers: int, seed: int, rank: int, world: int):
        import torch
        from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

        data = TensorDataset(torch.from_numpy(self.x), torch.from_numpy(self.y))
        sampler = DistributedSampler(data, num_replicas=world, rank=rank, seed=seed)
        return DataLoader(data, batch_size=batch_size, sampler=sampler, num_workers=workers)

    def training_step(self, model, batch, device: str):
        import torch.nn.functional as F

        x, y = (t.to(device) for t in batch)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        return loss, {"acc": float((logits.argmax(1) == y).float().mean())}

    def configure_optimizers(self, model, steps_per_epoch: int, epochs: int):
        import torch

        return torch.optim.Adam(model.parameters(), lr=0.05), None

    def validate(self, model, device: str) -> dict[str, float]:
        import torch

        with torch.no_grad():
            pred = model(torch.from_numpy(self.x).to(device)).argmax(1).cpu().numpy()
        return {"acc": float((pred == self.y).mean())}

    def checkpoint_spec(self) -> dict[str, Any]:
        return {"dim": self.dim}
