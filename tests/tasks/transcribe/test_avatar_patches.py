"""Audio patch sizes (`--patch-frames`, `--patch-mels`): token counts and the checks."""

from __future__ import annotations

import pytest
import torch

from avtool.errors import ConfigError
from avtool.tasks.transcribe.avatar import AudioPatches
from avtool.tasks.transcribe.config import preset_config
from avtool.tasks.transcribe.options import AvatarOptions
from avtool.tasks.transcribe.task import _audio_patch


def test_patch_options_override_only_what_they_name():
    assert _audio_patch(AvatarOptions(size="tiny")) is None
    assert _audio_patch(AvatarOptions(size="tiny", patch_mels=80)) == (16, 80)
    assert _audio_patch(AvatarOptions(size="tiny", patch_frames=8)) == (8, 16)


def test_full_band_patches_give_one_token_per_time_step():
    cfg = preset_config("tiny", audio_patch=(16, 80), d_model=32, heads=2, decoder_heads=2)
    assert cfg.freq_patches == 1 and cfg.max_time_patches == 600 // 16
    tokens, pad = AudioPatches(cfg)(torch.zeros(2, 100, 80), torch.tensor([100, 40]))
    assert tokens.shape == (2, 7, 32)  # ceil(100 / 16) time patches x 1 mel patch
    assert pad.tolist() == [[False] * 7, [False] * 3 + [True] * 4]
    paper = preset_config("paper")
    assert paper.max_time_patches * paper.freq_patches == 780


def test_a_patch_that_does_not_divide_the_bins_is_refused():
    with pytest.raises(ConfigError, match="mel bins do not split"):
        preset_config("tiny", audio_patch=(16, 30))
