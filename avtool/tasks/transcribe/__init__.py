"""Speech transcription (AVATAR-style audio-visual ASR): scoring of transcripts from files
today (`avtool evaluate transcription`, `avtool.tasks.transcribe.evaluate`)."""
