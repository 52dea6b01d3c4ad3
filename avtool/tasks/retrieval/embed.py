"""Embedding collections with a trained retrieval network, in batches, in eval mode.

Videos give ψ (V, N, d) and the presence mask (V, N); captions give φ (C, N, d) and their
mixture weights w (C, N). `scores` is the exact similarity of `avtool.tasks.retrieval.model`
computed blockwise in numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from avtool.tasks.retrieval.experts import ExpertSpec, VideoExperts, collate_experts, experts_to


def embed_videos(net, videos: Sequence[VideoExperts], specs: Sequence[ExpertSpec],
                 device: str = "cpu", batch: int = 64, drop: Sequence[str] = ()
                 ) -> tuple[np.ndarray, np.ndarray]:
    import torch

    c = net.config
    psis, masks = [], []
    net.eval()
    with torch.no_grad():
        for i in range(0, len(videos), batch):
            x = experts_to(collate_experts(videos[i:i + batch], specs, c.max_tokens,
                                           c.max_positions), device)
            psi, present = net.encode_video(x, drop)
            psi = psi * present[..., None]  # a missing expert's [AGG] output is never scored
            psis.append(psi.float().cpu().numpy())
            masks.append(present.cpu().numpy())
    d = c.d_model
    if not psis:
        return np.zeros((0, len(specs), d), np.float32), np.zeros((0, len(specs)), bool)
    return np.concatenate(psis), np.concatenate(masks)


def embed_captions(net, tokenizer, captions: Sequence[str], device: str = "cpu",
                   batch: int = 128) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    import torch

    phis, ws, truncated = [], [], []
    net.eval()
    with torch.no_grad():
        for i in range(0, len(captions), batch):
            tokens = tokenizer(list(captions[i:i + batch]))
            truncated += tokens.truncated
            phi, w = net.encode_text(tokens.to(device))
            phis.append(phi.float().cpu().numpy())
            ws.append(w.float().cpu().numpy())
    return np.concatenate(phis), np.concatenate(ws), truncated


def scores(phi: np.ndarray, w: np.ndarray, psi: np.ndarray, present: np.ndarray
           ) -> np.ndarray:
    """(C, V) float32: Σ_e w_e m_e ⟨φ_e, ψ_e⟩ / Σ_e w_e m_e."""
    weighted = (phi * w[:, :, None]).reshape(len(phi), -1)
    psi = psi * present[:, :, None]
    num = weighted @ psi.reshape(len(psi), -1).T
    den = w @ present.T.astype(np.float32)
    return (num / np.maximum(den, 1e-8)).astype(np.float32)
