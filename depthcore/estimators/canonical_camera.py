"""Metric3D's canonical camera: resize keeping aspect into the model input, pad, and rescale the output.

The model predicts depth as if seen by a camera with focal length 1000 px. With the input resized by ``s``,
metric depth = prediction * (fx * s) / 1000 (Metric3D uses fx; fy is kept for the intrinsics), clamped to
0..300 m. Padding is the ImageNet mean colour, split as evenly as possible (extra pixel bottom/right).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CANONICAL_FOCAL = 1000.0
VIT_INPUT_SIZE = (616, 1064)
PAD_RGB = (123.675, 116.28, 103.53)
MAX_DEPTH = 300.0


@dataclass(frozen=True)
class CanonicalFit:
    """How an image of ``height`` x ``width`` was fitted into the model input."""

    height: int
    width: int
    scale: float
    resized: tuple[int, int]
    pad: tuple[int, int, int, int]  # top, bottom, left, right


def fit(height: int, width: int, input_size: tuple[int, int] = VIT_INPUT_SIZE) -> CanonicalFit:
    """Resize keeping aspect to fit ``input_size`` (H, W), then pad to it."""
    s = min(input_size[0] / height, input_size[1] / width)
    nh, nw = int(height * s), int(width * s)
    ph, pw = input_size[0] - nh, input_size[1] - nw
    return CanonicalFit(height, width, s, (nh, nw), (ph // 2, ph - ph // 2, pw // 2, pw - pw // 2))


def pad_image(resized: np.ndarray, f: CanonicalFit) -> np.ndarray:
    """Pad a resized float/uint8 HxWx3 image with the ImageNet mean colour."""
    top, bottom, left, right = f.pad
    out = np.empty((resized.shape[0] + top + bottom, resized.shape[1] + left + right, 3), np.float32)
    out[:] = np.asarray(PAD_RGB, np.float32)
    out[top : top + resized.shape[0], left : left + resized.shape[1]] = resized
    return out


def crop_pad(pred: np.ndarray, f: CanonicalFit) -> np.ndarray:
    """Remove the padding from a model-input-sized prediction (HxW or HxWxC)."""
    top, bottom, left, right = f.pad
    return pred[top : pred.shape[0] - bottom, left : pred.shape[1] - right]


def canonical_to_metric(pred: np.ndarray, fx: float, f: CanonicalFit) -> np.ndarray:
    """Canonical-camera depth (already at the original size) -> metric depth with the real ``fx``."""
    return np.clip(pred * (fx * f.scale / CANONICAL_FOCAL), 0.0, MAX_DEPTH).astype(np.float32)
