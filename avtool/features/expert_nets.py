"""The three small networks behind retrieval's trained audio, appearance and motion experts.

MMT and Collaborative Experts read frozen features of networks trained on large labelled
sets (VGGish on AudioSet, SENet-154 on ImageNet, S3D on Kinetics). avtool cannot ship those,
so it ships networks of the same kind trained on avtool's own synthetic classes
(`avtool.tasks.retrieval.expert_training`, ``make expert-nets``), each a classifier whose
penultimate layer (128-d, ReLU then L2-normalised) is the expert feature:

* `AudioNet` (VGGish-like): one 0.96-s log-mel example (1, 96, 64), VGGish's input, ->
  the 18 library sound classes of `avtool.synth.sounds` plus "speech";
* `AppearanceNet` (image CNN): one RGB frame (3, 64, 64) -> the 8 sprite shapes, the 10
  sprite colours of `avtool.synth.video` and "face";
* `MotionNet` (an early-fusion CNN, as the two-stream network's temporal stream stacks
  optical flow): one second of RGB frames (3, 8, 64, 64), stacked with their 7 frame-to-frame
  differences as 45 channels -> the 8 sprite motions. (A (2+1)-D CNN of the same width took
  3 s per batch of 64 on one CPU thread, too slow to train here.)

All are multi-label (sigmoid outputs). The weights ship in the package (``weights/*.pt``,
`load_shipped`); the extractors ``audio_net``, ``appearance_net`` and ``motion_net`` run them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avtool.io import file_sha256

WEIGHTS_DIR = Path(__file__).with_name("weights")
EMBED_DIM = 128
KINDS = ("audio", "appearance", "motion")


def _torch():
    import torch

    return torch


def _block2d(nn, c_in: int, c_out: int):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True), nn.MaxPool2d(2))


def stack_clip(x):
    """(N, 3, T, H, W) clips -> (N, 3T + 3(T-1), H, W): the frames, then their differences."""
    torch = _torch()
    n, c, t, h, w = x.shape
    diffs = (x[:, :, 1:] - x[:, :, :-1]).reshape(n, c * (t - 1), h, w)
    return torch.cat([x.reshape(n, c * t, h, w), diffs], dim=1)


def build_net(kind: str, classes: int):
    """The network of `kind` ("audio", "appearance", "motion") with a `classes`-way head."""
    torch = _torch()
    nn = torch.nn

    class ExpertNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            if kind == "audio":  # (N, 1, 96, 64) -> 6 x 4 after four poolings
                self.trunk = nn.Sequential(_block2d(nn, 1, 16), _block2d(nn, 16, 32),
                                           _block2d(nn, 32, 64), _block2d(nn, 64, 128))
            elif kind == "appearance":  # (N, 3, 64, 64) -> 4 x 4
                self.trunk = nn.Sequential(_block2d(nn, 3, 16), _block2d(nn, 16, 32),
                                           _block2d(nn, 32, 64), _block2d(nn, 64, 128))
            elif kind == "motion":  # (N, 3, 8, 64, 64) -> (N, 45, 64, 64) -> 4 x 4
                self.trunk = nn.Sequential(_block2d(nn, 45, 32), _block2d(nn, 32, 64),
                                           _block2d(nn, 64, 128), _block2d(nn, 128, 128))
            else:
                raise ValueError(f"unknown expert network {kind!r} (one of {', '.join(KINDS)})")
            self.embed = nn.Linear(128, EMBED_DIM)
            self.head = nn.Linear(EMBED_DIM, classes)

        def hidden(self, x):
            if kind == "motion":
                x = stack_clip(x)
            h = self.trunk(x).flatten(2).amax(dim=2)  # global max-pool
            return torch.relu(self.embed(h))

        def features(self, x):
            """The expert feature: the penultimate layer, L2-normalised."""
            return torch.nn.functional.normalize(self.hidden(x), dim=1)

        def forward(self, x):
            return self.head(self.hidden(x))  # logits

    return ExpertNet()


def weights_path(kind: str) -> Path:
    return WEIGHTS_DIR / f"{kind}_net.pt"


def save_net(net, kind: str, classes: list[str], meta: dict[str, Any], path: Path) -> None:
    """Write `net`'s weights with what rebuilds it (its kind and class names) to `path`."""
    from avtool.train.checkpoints import CHECKPOINT_FORMAT, save_checkpoint

    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    save_checkpoint(Path(path), {**meta, "format": CHECKPOINT_FORMAT, "expert_net": kind,
                                 "classes": list(classes), "model_state": state})


def load_net(path: Path, kind: str):
    """(network in eval mode, its class names) from a file written by `save_net`.

    Raises:
        ModelError: the file is missing, unreadable or holds another kind of network.
    """
    from avtool.errors import ModelError
    from avtool.train.checkpoints import load_checkpoint

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: the {kind} expert network's weights are missing (rebuild "
                         f"them with `make expert-nets`)")
    data = load_checkpoint(path)
    if data.get("expert_net") != kind:
        raise ModelError(f"{path}: not an avtool {kind} expert network")
    net = build_net(kind, len(data["classes"]))
    net.load_state_dict(data["model_state"])
    return net.eval(), list(data["classes"])


class ShippedNetPlugin:
    """Mixin for the extractors of these networks: the ``weights`` option (empty: the file
    that ships), the network loaded once, its sha256 as the feature's model checksum, and
    `embed` running it in batches, and the 128-d frame shape. The host class sets `kind`."""

    kind: str
    batch: int = 64
    _net = None  # loaded on first use, per instance

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return (EMBED_DIM,)

    @property
    def weights_file(self) -> Path:
        return Path(self.config.weights) if self.config.weights else weights_path(self.kind)

    @property
    def net(self):
        if self._net is None:
            self._net, self.classes = load_net(self.weights_file, self.kind)
            self._net.to(self.device)
        return self._net

    @property
    def model_checksum(self) -> str:
        if not self.weights_file.is_file():
            load_net(self.weights_file, self.kind)  # raises the ModelError naming the file
        return file_sha256(self.weights_file)

    def embed(self, x) -> Any:
        """(N, ...) float32 network inputs -> (N, EMBED_DIM) float32 expert features."""
        import numpy as np

        torch = _torch()
        net, out = self.net, []
        with torch.no_grad():
            for k in range(0, len(x), self.batch):
                chunk = torch.from_numpy(np.ascontiguousarray(x[k:k + self.batch]))
                out.append(net.features(chunk.to(self.device)).cpu().numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, EMBED_DIM),
                                                                          np.float32)


def frames_to_input(frames) -> Any:
    """uint8 RGB frames (..., H, W, 3) -> float32 (..., 3, H, W) in [0, 1] minus 0.5: what
    the appearance and motion networks take (the motion network then moves time after C)."""
    import numpy as np

    return np.moveaxis(np.asarray(frames, np.float32) / 255.0 - 0.5, -1, -3)
