"""The AVATAR network (Gabeur thesis §5.2.1): MBT encoder over fbank patches and RGB tubelets,
autoregressive transformer decoder over WordPiece tokens.

* **Audio**: normalised fbank (B, T, 80) seen as a T x 80 image, cut by a Conv2d into
  non-overlapping 16 x 16 patches, flattened time-major (all mel patches of the first 16
  frames, then the next 16...), so padding patches sit at the end and are masked out of
  attention. The last partial patch is zero-padded (0 = the mean after normalisation).
* **RGB**: K frames (B, 3, K, S, S) in [-1, 1] cut by a Conv3d into 2 x 16 x 16 tubelets.
* Each token set gets a CLS token (init zeros) in front and a learned positional embedding
  (N(0, 0.02)) over CLS + tokens, as in MBT's code, then the encoder
  (`avtool.nn.bottleneck.BottleneckFusionEncoder`).
* **Decoder**: every encoder output token (both CLS included) is the memory of a pre-LN
  `nn.TransformerDecoder`; learned target positions; output projection tied to the token
  embedding.

The audio-only model (A) is the same network built with ``modalities=("audio",)``: no RGB
stream, no bottleneck.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from avtool.nn.bottleneck import BottleneckFusionEncoder
from avtool.tasks.transcribe.config import AvatarConfig


def _normal(*shape: int) -> nn.Parameter:
    return nn.Parameter(torch.randn(*shape) * 0.02)


class AudioPatches(nn.Module):
    """fbank (B, T, F) + lengths -> patch tokens (B, N, d) and their padding mask (B, N)."""

    def __init__(self, cfg: AvatarConfig) -> None:
        super().__init__()
        self.patch = cfg.audio_patch
        self.max_frames = cfg.max_time_patches * cfg.audio_patch[0]
        self.proj = nn.Conv2d(1, cfg.d_model, kernel_size=cfg.audio_patch,
                              stride=cfg.audio_patch)

    def forward(self, fbank: torch.Tensor, lengths: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        pt = self.patch[0]
        fbank = fbank[:, : self.max_frames]
        frames = fbank.shape[1]
        patches = max(1, -(-frames // pt))
        fbank = F.pad(fbank, (0, 0, 0, patches * pt - frames))
        x = self.proj(fbank.unsqueeze(1))  # (B, d, time patches, mel patches)
        b, d, tp, fp = x.shape
        tokens = x.permute(0, 2, 3, 1).reshape(b, tp * fp, d)
        valid = torch.arange(tp, device=fbank.device)[None, :] * pt < lengths.clamp(
            max=self.max_frames)[:, None].to(fbank.device)
        return tokens, (~valid).repeat_interleave(fp, dim=1)


class Avatar(nn.Module):
    """``forward(audio, lengths, frames, tokens) -> logits (B, L, vocab)`` (teacher forcing);
    `encode` and `decode` split it for search."""

    def __init__(self, cfg: AvatarConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.audio = AudioPatches(cfg)
        self.audio_cls = nn.Parameter(torch.zeros(1, 1, d))
        self.audio_pos = _normal(1, 1 + cfg.max_time_patches * cfg.freq_patches, d)
        if not cfg.audio_only:
            self.rgb = nn.Conv3d(3, d, kernel_size=cfg.tubelet, stride=cfg.tubelet)
            self.rgb_cls = nn.Parameter(torch.zeros(1, 1, d))
            self.rgb_pos = _normal(1, 1 + cfg.rgb_tokens, d)
        self.encoder = BottleneckFusionEncoder(cfg.modalities, d, cfg.layers, cfg.heads,
                                               cfg.mlp, cfg.fusion_layer, cfg.bottlenecks,
                                               cfg.dropout)
        self.embed = nn.Embedding(cfg.vocab_size, d)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.target_pos = _normal(1, cfg.max_target_tokens, d)
        layer = nn.TransformerDecoderLayer(d, cfg.decoder_heads, cfg.decoder_mlp, cfg.dropout,
                                           activation="gelu", batch_first=True,
                                           norm_first=True)
        self.decoder = nn.TransformerDecoder(layer, cfg.decoder_layers, norm=nn.LayerNorm(d))
        self.drop = nn.Dropout(cfg.dropout)

    def encoder_tokens(self, audio: torch.Tensor, lengths: torch.Tensor,
                       frames: torch.Tensor | None
                       ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor | None]]:
        """The encoder's inputs: CLS + patch tokens + positions per modality, padding masks."""
        patches, pad = self.audio(audio, lengths)
        b = patches.shape[0]
        x = torch.cat([self.audio_cls.expand(b, -1, -1), patches], 1)
        tokens = {"audio": self.drop(x + self.audio_pos[:, : x.shape[1]])}
        masks: dict[str, torch.Tensor | None] = {
            "audio": torch.cat([pad.new_zeros(b, 1), pad], 1)}
        if not self.cfg.audio_only:
            if frames is None:
                raise ValueError("the audio-visual model needs frames")
            v = self.rgb(frames).flatten(2).transpose(1, 2)  # (B, tubelets, d)
            v = torch.cat([self.rgb_cls.expand(b, -1, -1), v], 1)
            tokens["rgb"] = self.drop(v + self.rgb_pos)
            masks["rgb"] = None
        return tokens, masks

    def encode(self, audio: torch.Tensor, lengths: torch.Tensor,
               frames: torch.Tensor | None = None, trace: list | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """(memory (B, N, d), memory padding mask (B, N)) of a batch."""
        tokens, masks = self.encoder_tokens(audio, lengths, frames)
        out = self.encoder(tokens, masks, trace=trace)
        memory = torch.cat([out[m] for m in self.cfg.modalities], 1)
        pad = torch.cat([masks[m] if masks[m] is not None else
                         torch.zeros(out[m].shape[:2], dtype=torch.bool, device=memory.device)
                         for m in self.cfg.modalities], 1)
        return memory, pad

    def decode(self, tokens: torch.Tensor, memory: torch.Tensor, memory_pad: torch.Tensor,
               last_only: bool = False) -> torch.Tensor:
        """Logits (B, L, vocab) of the next token after each prefix of `tokens` (B, L); with
        `last_only`, (B, vocab) after the whole of it (what a search needs)."""
        length = tokens.shape[1]
        x = self.drop(self.embed(tokens) + self.target_pos[:, :length])
        causal = nn.Transformer.generate_square_subsequent_mask(length, device=tokens.device,
                                                                dtype=x.dtype)
        h = self.decoder(x, memory, tgt_mask=causal, tgt_is_causal=True,
                         memory_key_padding_mask=memory_pad)
        return (h[:, -1] if last_only else h) @ self.embed.weight.t()

    def forward(self, audio: torch.Tensor, lengths: torch.Tensor, frames: torch.Tensor | None,
                tokens: torch.Tensor) -> torch.Tensor:
        memory, pad = self.encode(audio, lengths, frames)
        return self.decode(tokens, memory, pad)
