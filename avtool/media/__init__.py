"""Audio and video decoding, resampling and writing. Every failure is a `MediaError`."""
