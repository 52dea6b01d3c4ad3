"""Text-video retrieval (MSR-VTT style): the Multi-Modal Transformer (Gabeur thesis Ch. 3-4)
and Collaborative Experts (Nagrani thesis Ch. 9) over frozen experts (`experts`), trained by
`avtool train retrieval` (`task`), served by `avtool retrieve index|query` (`index`,
`retrieve`) and scored by `avtool evaluate retrieval` (`evaluate`)."""
