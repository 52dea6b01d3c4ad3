"""Pixels and samples of the talking-faces corpus (`avtool.synth.talking_faces`).

A face is one of the six real faces of insightface's group photo (`video.face_crops`); its
mouth is opened by painting a dark, rotated ellipse over the lips whose height follows the
speech envelope frame by frame (RMS of the 640 samples around each 25-fps frame), so lips
and voice are in sync exactly when the plan says so. Reference photos are the same faces
under other augmentations (rotation, scale, brightness, contrast, blur, mirror), so a face
verifier compares two different pictures of one person, as it would with real references.
"""

from __future__ import annotations

import numpy as np

# Outer-lip centre (x, y), width, height (fractions of the crop) and tilt in degrees of the
# six faces of `video.face_crops()`, measured once with dlib's 68-point landmarks
# (tests/synth/test_talking_faces.py checks them against the landmarks again).
MOUTHS = ((0.643, 0.782, 0.252, 0.140, -30.5), (0.434, 0.882, 0.208, 0.121, -33.1),
          (0.417, 0.793, 0.345, 0.187, 11.3), (0.451, 0.759, 0.352, 0.152, 6.5),
          (0.464, 0.768, 0.161, 0.069, -4.6), (0.490, 0.733, 0.326, 0.119, -3.9))
MOUTH_COLOUR = (45, 18, 22)  # the inside of an open mouth


def speech_envelope(audio: np.ndarray, n_frames: int, fps: int, sample_rate: int
                    ) -> np.ndarray:
    """Mouth opening in [0, 1] per video frame: RMS of one frame period around each frame
    time, over its 95th percentile, lightly smoothed (lips do not jump)."""
    hop = sample_rate // fps
    padded = np.pad(np.asarray(audio, np.float64), (hop // 2, n_frames * hop + hop))
    frames = padded[: n_frames * hop].reshape(n_frames, hop)
    rms = np.sqrt((frames ** 2).mean(axis=1))
    top = np.percentile(rms, 95) if rms.any() else 1.0
    env = np.clip(rms / max(top, 1e-9), 0.0, 1.0)
    env = np.convolve(np.pad(env, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    env[env < 0.08] = 0.0  # a closed mouth in silence
    return env


def face_with_mouth(face: np.ndarray, face_index: int, height: int, opening: float
                    ) -> np.ndarray:
    """The face crop scaled to `height` pixels with its mouth `opening` (0 closed, 1 wide)."""
    import cv2

    scale = height / face.shape[0]
    out = cv2.resize(face, (max(1, int(face.shape[1] * scale)), height),
                     interpolation=cv2.INTER_AREA)
    if opening > 0:
        cx, cy, w, h, angle = MOUTHS[face_index]
        W, H = out.shape[1], out.shape[0]
        axes = (max(1, int(w * W * 0.42)), max(1, int(round(opening * w * W * 0.28))))
        cv2.ellipse(out, (int(cx * W), int(cy * H + axes[1] * 0.3)), axes, angle, 0, 360,
                    MOUTH_COLOUR, -1, cv2.LINE_AA)
    return out


def augment_face(face: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A differently taken picture of the same face: rotation, brightness, contrast, blur,
    sometimes mirrored."""
    import cv2

    h, w = face.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-6, 6)),
                                     float(rng.uniform(0.95, 1.05)))
    out = cv2.warpAffine(face, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
    gain, bias = rng.uniform(0.85, 1.15), rng.uniform(-20, 20)
    out = np.clip(out.astype(np.float32) * gain + bias, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        out = cv2.GaussianBlur(out, (3, 3), 0)
    if rng.random() < 0.5:
        out = out[:, ::-1].copy()
    return out


def reference_photo(face: np.ndarray, rng: np.random.Generator, size: int = 220) -> np.ndarray:
    """An RGB photo (size x size) holding one augmented picture of `face` on a background."""
    from avtool.synth.video import make_background, paste_face

    photo = make_background(size, size, rng)
    paste_face(photo, augment_face(face, rng), size / 2, size / 2, int(size * 0.62))
    return photo


def tint(image: np.ndarray, hue: float) -> np.ndarray:
    """`image` washed with a saturated colour of `hue` degrees, so that shots cut between
    differently tinted scenes (as real cuts change the colours)."""
    import colorsys

    colour = np.array(colorsys.hsv_to_rgb(hue / 360.0, 0.8, 1.0)) * 255
    return np.clip(0.45 * image + 0.55 * colour, 0, 255).astype(np.uint8)


def paste_at(frame: np.ndarray, image: np.ndarray, cx: float, cy: float) -> tuple[int, ...]:
    """Paste `image` centred at (cx, cy), clipped to the frame; its (x, y, w, h) box."""
    h, w = image.shape[:2]
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    H, W = frame.shape[:2]
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)
    if xa < xb and ya < yb:
        frame[ya:yb, xa:xb] = image[ya - y0: yb - y0, xa - x0: xb - x0]
    return (x0, y0, w, h)


def render_shot(shot, faces: tuple[np.ndarray, ...], width: int, height: int, fps: int,
                sample_rate: int, speech: np.ndarray | None
                ) -> tuple[np.ndarray, list[list[list[int]]]]:
    """The frames of one shot (n, height, width, 3) and, per face of the plan, its box
    (x, y, w, h) in every frame. `speech` drives the mouths marked ``"speech"``."""
    from avtool.synth.video import make_background

    rng = np.random.default_rng(shot.seed)
    n = shot.frames
    background = tint(make_background(height, width, rng), shot.hue)
    env = (speech_envelope(speech, n, fps, sample_rate) if speech is not None
           else np.zeros(n))
    frames = np.empty((n, height, width, 3), np.uint8)
    boxes: list[list[list[int]]] = [[] for _ in shot.faces]
    for k in range(n):
        frames[k] = background
        u = k / max(1, n - 1)
        for i, face in enumerate(shot.faces):
            opening = env[k] if face.mouth == "speech" else 0.0
            image = face_with_mouth(faces[face.face], face.face, face.height, opening)
            cx = face.start[0] + u * (face.end[0] - face.start[0])
            cy = face.start[1] + u * (face.end[1] - face.start[1])
            boxes[i].append(list(paste_at(frames[k], image, cx, cy)))
    return frames, boxes
