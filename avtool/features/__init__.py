"""Feature extractors, registered by name. Importing this package fills `extractors`.

Add a feature: write `avtool/features/<name>.py` with a config dataclass and an
`@extractors.register("<name>")` class, then add its import below.
"""

from avtool.features import (  # noqa: F401
    appearance_net,
    audio_net,
    color,
    face_dlib,
    fbank,
    frames,
    llp_audio,
    llp_frame,
    llp_motion,
    logmel,
    mfcc,
    motion,
    motion_net,
    ocr_tesseract,
    spectrogram,
    speech_minilm,
    vggish,
    whisper_encoder,
)
from avtool.features.base import (
    AudioExtractor,
    Extractor,
    MediaSource,
    VideoExtractor,
    build_extractor,
    extractor_from_info,
    extractors,
)

__all__ = [
    "AudioExtractor", "Extractor", "MediaSource", "VideoExtractor", "build_extractor",
    "extractor_from_info", "extractors", "color", "fbank", "frames", "logmel", "mfcc",
    "motion", "spectrogram", "vggish",
]
