"""Text-video retrieval (MSR-VTT style; Gabeur thesis, MMT/CE): evaluation of similarity
matrices from files today (`avtool evaluate retrieval`, `avtool.tasks.retrieval.evaluate`)."""
