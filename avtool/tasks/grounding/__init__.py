"""Temporal caption grounding: find the moment of a video a caption describes.

MALTA (Konda et al. 2020: audio-visual co-attention) and ABLR (V-ONLY) trained by
`avtool train grounding` (`task`), used by `avtool align-captions` (`align`, `predictor`),
scored by `avtool evaluate grounding` (`evaluate`); `table` is `make table-malta`.
"""
