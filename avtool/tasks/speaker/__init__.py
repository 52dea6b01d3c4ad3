"""Speaker verification (Nagrani thesis ch. 2): VGGVox / Thin-ResNet + GhostVLAD, the GE2E
default, `avtool verify-speaker`, `avtool train speaker`, `avtool evaluate speaker`."""
