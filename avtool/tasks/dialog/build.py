"""Config -> network: the one place that knows both dialog architectures."""

from __future__ import annotations

from avtool.tasks.dialog.config import DialogNetConfig
from avtool.tasks.dialog.nets import DialogNet


def build_net(cfg: DialogNetConfig) -> DialogNet:
    """The network of `cfg.architecture`, freshly initialised."""
    if cfg.architecture == "dstc7-baseline":
        from avtool.tasks.dialog.dstc7_baseline import Dstc7BaselineNet

        return Dstc7BaselineNet(cfg)
    from avtool.tasks.dialog.multimodal_attention import MultimodalAttentionNet

    return MultimodalAttentionNet(cfg)
