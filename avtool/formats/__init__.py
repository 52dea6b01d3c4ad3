"""Readers and writers of public dataset formats, one module per format (VoxCeleb, LLP,
Charades-STA, ActivityNet Captions, DSTC7-AVSD, Kaldi text, How2, VisSpeech...). Every parse
error is a `FormatError` naming the file and line."""
