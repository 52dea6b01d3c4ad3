"""Synthetic media with known ground truth: speech (espeak-ng), sound events, moving sprites
and faces. The raw material of every task's test corpus; deterministic from a seed."""
