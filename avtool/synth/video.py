"""Synthetic frames: moving sprites with a class-specific look and motion, and real faces.

A sprite class is a shape, a colour and a motion pattern (`sprites` registry, 25+ classes).
`draw_sprite` paints one on a frame at time t; `make_background` gives a per-clip textured
background. Faces are the six people of the group photo that insightface ships
(`insightface/data/images/t1.jpg`), found once with OpenCV's Haar cascade.

Example::

    import numpy as np
    from avtool.synth.video import make_background, draw_sprite, sprites
    rng = np.random.default_rng(0)
    frame = make_background(120, 160, rng)
    draw_sprite(frame, sprites.get(sprites.names()[0]), t=0.5, phase=0.3)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avtool.errors import MediaError
from avtool.registry import Registry


@dataclass(frozen=True)
class SpriteClass:
    name: str
    shape: str  # circle, square, triangle, star, cross, ring, diamond, hexagon
    color: tuple[int, int, int]  # RGB
    motion: str  # bounce, circle, zigzag, pulse, static, vertical, diagonal, spin


sprites: Registry[SpriteClass] = Registry("sprite")

COLORS = {
    "red": (220, 40, 40), "green": (40, 190, 60), "blue": (50, 80, 230), "yellow": (235, 220, 40),
    "magenta": (210, 50, 200), "cyan": (40, 210, 220), "orange": (245, 140, 30),
    "white": (245, 245, 245), "purple": (120, 50, 170), "brown": (130, 80, 40),
}
SHAPES = ("circle", "square", "triangle", "star", "cross", "ring", "diamond", "hexagon")
MOTIONS = ("bounce", "circle", "zigzag", "pulse", "static", "vertical", "diagonal", "spin")

# 32 classes: shape s (8) x block m (4); colour (s + 2m) mod 10 and motion (2m + s mod 2) mod 8
# make every (shape, colour), (shape, motion) and (colour, motion) pair unique, so two
# classes never share more than one of the three attributes (tested).
for _s in range(len(SHAPES)):
    for _m in range(4):
        _color = list(COLORS)[(_s + 2 * _m) % len(COLORS)]
        _motion = MOTIONS[(2 * _m + _s % 2) % len(MOTIONS)]
        _spec = SpriteClass(f"{_color}-{SHAPES[_s]}-{_motion}", SHAPES[_s], COLORS[_color],
                            _motion)
        sprites.register(_spec.name)(_spec)


def make_background(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth random colour gradient plus fine texture (uint8 RGB)."""
    import cv2

    base = rng.uniform(30, 120, size=(3, 3, 3)).astype(np.float32)
    grad = cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC)
    texture = rng.normal(0, 6, size=(height, width, 1)).astype(np.float32)
    return np.clip(grad + texture, 0, 255).astype(np.uint8)


def sprite_pose(motion: str, t: float, phase: float, width: int, height: int, size: float
                ) -> tuple[float, float, float, float]:
    """(centre x, centre y, radius, rotation) of a sprite at time t for a motion pattern."""
    margin = size
    w, h = width - 2 * margin, height - 2 * margin
    u = t * 0.35 + phase
    if motion == "bounce":
        x, y = abs((u * 2) % 2 - 1), abs((u * 1.3 + 0.3) % 2 - 1)
    elif motion == "circle":
        x, y = 0.5 + 0.4 * np.cos(2 * np.pi * u), 0.5 + 0.4 * np.sin(2 * np.pi * u)
    elif motion == "zigzag":
        x, y = abs((u * 1.5) % 2 - 1), 0.5 + 0.3 * np.sign(np.sin(2 * np.pi * 3 * u))
    elif motion == "vertical":
        x, y = 0.3 + 0.4 * phase, 0.5 + 0.45 * np.sin(2 * np.pi * u * 1.5)
    elif motion == "diagonal":
        v = abs((u * 1.2) % 2 - 1)
        x, y = v, v
    elif motion == "spin":  # rotates while drifting on a small circle
        x = 0.3 + 0.4 * phase + 0.08 * np.cos(2 * np.pi * u)
        y = 0.35 + 0.3 * ((phase * 7) % 1) + 0.08 * np.sin(2 * np.pi * u)
    else:  # pulse and static stay at a fixed point
        x, y = 0.3 + 0.4 * phase, 0.35 + 0.3 * ((phase * 7) % 1)
    radius = size * (1 + 0.35 * np.sin(2 * np.pi * 1.5 * t)) if motion == "pulse" else size
    rotation = 2 * np.pi * 0.8 * t if motion == "spin" else 0.0
    return margin + x * w, margin + y * h, radius, rotation


def draw_sprite(frame: np.ndarray, sprite: SpriteClass, t: float, phase: float = 0.0,
                size: float | None = None) -> None:
    """Paint `sprite` onto `frame` (uint8 RGB, in place) at time t (seconds)."""
    import cv2

    height, width = frame.shape[:2]
    size = size or max(6.0, min(height, width) * 0.12)
    cx, cy, r, rot = sprite_pose(sprite.motion, t, phase, width, height, size)
    color = tuple(int(c) for c in sprite.color)
    centre = (int(round(cx)), int(round(cy)))
    if sprite.shape == "circle":
        cv2.circle(frame, centre, int(r), color, -1, cv2.LINE_AA)
    elif sprite.shape == "ring":
        cv2.circle(frame, centre, int(r), color, max(2, int(r / 3)), cv2.LINE_AA)
    elif sprite.shape == "cross":
        for angle in (rot, rot + np.pi / 2):
            dx, dy = r * np.cos(angle), r * np.sin(angle)
            cv2.line(frame, (int(cx - dx), int(cy - dy)), (int(cx + dx), int(cy + dy)), color,
                     max(2, int(r / 2.5)), cv2.LINE_AA)
    else:
        points = _polygon(sprite.shape, cx, cy, r, rot)
        cv2.fillPoly(frame, [points], color, cv2.LINE_AA)


def _polygon(shape: str, cx: float, cy: float, r: float, rot: float) -> np.ndarray:
    if shape == "star":
        angles = rot + np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
    else:
        corners = {"triangle": 3, "square": 4, "diamond": 4, "hexagon": 6}[shape]
        offset = np.pi / 4 if shape == "square" else np.pi / 2
        angles = rot + offset + np.arange(corners) * 2 * np.pi / corners
        radii = np.full(corners, r * (1.2 if shape in ("square", "diamond") else 1.0))
    pts = np.stack([cx + radii * np.cos(angles), cy - radii * np.sin(angles)], axis=1)
    return np.round(pts).astype(np.int32)


# --------------------------------------------------------------------------- faces


def group_photo_path() -> Path:
    """insightface's bundled group photo (six faces)."""
    import importlib.util

    spec = importlib.util.find_spec("insightface")
    if spec is None or not spec.submodule_search_locations:
        raise MediaError("the insightface package is not installed (it ships the face photo)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "images" / "t1.jpg"
    if not path.exists():
        raise MediaError(f"{path}: insightface's group photo is missing")
    return path


# (x, y, w, h) of the six faces in t1.jpg (1280 x 886), left to right, measured once by eye.
# OpenCV's frontal Haar cascade confirms the four frontal ones (tests/media/test_synth.py);
# the two tilted faces on the left are beyond it.
FACE_BOXES = ((45, 245, 135, 150), (268, 120, 125, 140), (445, 265, 145, 150),
              (725, 350, 125, 125), (865, 50, 155, 160), (1105, 270, 135, 135))


@functools.lru_cache(maxsize=1)
def face_crops() -> tuple[np.ndarray, ...]:
    """The six faces of the group photo as RGB crops, left to right."""
    import cv2

    image = cv2.imread(str(group_photo_path()))
    if image is None:
        raise MediaError(f"{group_photo_path()}: cannot decode the group photo")
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return tuple(image[y: y + h, x: x + w].copy() for x, y, w, h in FACE_BOXES)


def paste_face(frame: np.ndarray, face: np.ndarray, cx: float, cy: float, height: int) -> None:
    """Paste a face crop, scaled to `height` pixels, centred at (cx, cy), clipped to the frame."""
    import cv2

    scale = height / face.shape[0]
    resized = cv2.resize(face, (max(1, int(face.shape[1] * scale)), height),
                         interpolation=cv2.INTER_AREA)
    fh, fw = resized.shape[:2]
    x0, y0 = int(round(cx - fw / 2)), int(round(cy - fh / 2))
    H, W = frame.shape[:2]
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + fw), min(H, y0 + fh)
    if xa < xb and ya < yb:
        frame[ya:yb, xa:xb] = resized[ya - y0: yb - y0, xa - x0: xb - x0]
