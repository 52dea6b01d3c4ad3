"""Audio-visual video parsing on LLP (Lamba et al. 2021): HAN and the cross-modal variants,
AV grounding pretraining, `avtool parse-events`, `avtool train avvp|avvp-pretrain`,
`avtool evaluate avvp`."""
