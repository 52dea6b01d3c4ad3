"""The SyncNet-architecture network: two streams into one embedding space, and its loss.

SyncNet [Chung & Zisserman 2016] embeds 0.2 s of lips (5 grey frames stacked as channels)
and the MFCCs of the same 0.2 s with two convolutional streams, and is trained with a
contrastive loss so that in-sync pairs lie close and shifted pairs at least a margin apart.
This is the same shape at the scale of avtool's 32 x 16 mouth regions and 13 x 20 MFCC
windows: three conv-BN-ReLU-pool blocks and two fully connected layers per stream (the
paper's has five conv blocks on 111 x 111 lips; ~0.25 M parameters here against ~13 M).
"""

from __future__ import annotations

from dataclasses import dataclass

from avtool.tasks.active_speaker.windows import FRAMES, MFCC_ROWS, MOUTH_SHAPE, N_MFCC


@dataclass(frozen=True)
class SyncNetConfig:
    width: int = 32  # channels of the first conv block (doubled in the next two)
    hidden: int = 128  # first fully connected layer
    embedding: int = 64


def _block(torch_nn, cin: int, cout: int, pool):
    return [torch_nn.Conv2d(cin, cout, 3, padding=1), torch_nn.BatchNorm2d(cout),
            torch_nn.ReLU(inplace=True), torch_nn.MaxPool2d(pool)]


def build_syncnet(config: SyncNetConfig):
    """A `SyncNet` module (torch imported here, so the module imports without it)."""
    import torch.nn as nn

    class SyncNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w, h, e = config.width, config.hidden, config.embedding
            self.embedding = e
            rows, cols = MOUTH_SHAPE  # 16 x 32 -> 8 x 16 -> 4 x 8 -> 2 x 4
            self.lips = nn.Sequential(*_block(nn, FRAMES, w, 2), *_block(nn, w, 2 * w, 2),
                                      *_block(nn, 2 * w, 2 * w, 2), nn.Flatten(),
                                      nn.Linear(2 * w * (rows // 8) * (cols // 8), h),
                                      nn.ReLU(inplace=True), nn.Linear(h, e))
            # 13 x 20 -> 13 x 10 -> 6 x 5 -> 3 x 2
            self.voice = nn.Sequential(*_block(nn, 1, w, (1, 2)), *_block(nn, w, 2 * w, 2),
                                       *_block(nn, 2 * w, 2 * w, 2), nn.Flatten(),
                                       nn.Linear(2 * w * (N_MFCC // 4) * (MFCC_ROWS // 8), h),
                                       nn.ReLU(inplace=True), nn.Linear(h, e))

        def visual(self, x):  # (B, 5, 16, 32) -> (B, e)
            return self.lips(x)

        def audio(self, x):  # (B, 1, 13, 20) -> (B, e)
            return self.voice(x)

        def forward(self, visual, audio):
            return self.visual(visual), self.audio(audio)

    return SyncNet()


def contrastive_loss(v, a, label, margin: float):
    """SyncNet's loss: mean of y d^2 + (1 - y) max(margin - d, 0)^2, d = ||v - a||, y = 1
    for an in-sync pair (halved, as the paper's 1/2N)."""
    import torch

    d = torch.linalg.vector_norm(v - a, dim=1)
    y = label.float()
    return 0.5 * (y * d.pow(2) + (1 - y) * torch.clamp(margin - d, min=0).pow(2)).mean()
