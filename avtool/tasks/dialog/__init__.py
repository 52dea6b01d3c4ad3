"""Audio-visual scene-aware dialog (DSTC7-AVSD): `avtool train dialog` (the multimodal-attention
network of Hori et al. 2019 and the DSTC7 baseline, with joint student-teacher learning),
`avtool answer` and `avtool evaluate captioning` (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D)."""
