"""Audio-visual scene-aware dialog (DSTC7-AVSD) and captioning: scoring of answers and captions
from files today (`avtool evaluate captioning`, `avtool.tasks.dialog.evaluate`)."""
