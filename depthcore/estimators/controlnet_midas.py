"""The ControlNet MiDaS preprocessor's maps (controlnet_aux / ComfyUI), from a raw model output, in numpy.

Grey map: per-image min-max of the raw output (disparity: near is large) * 255, truncated to uint8.
Normal map: 3x3 Sobel x/y of the raw output (OpenCV ``Sobel``, border REFLECT_101), z = ``a``; x, y zeroed
where the min-max-normalised output < ``bg_threshold``; normalised to unit length; ``n*127.5+127.5`` to uint8;
channels reversed (controlnet_aux returns them in that order).
Sizing: ``round64`` scales the short side to ``resolution`` and rounds H and W to multiples of 64 (Hugging Face
controlnet_aux); ``pad64`` scales, edge-pads to a multiple of 64 and crops the padding off afterwards (ComfyUI).
"""

from __future__ import annotations

import math

import numpy as np

SIZINGS = ("round64", "pad64")


def round64_size(height: int, width: int, resolution: int) -> tuple[int, int]:
    """controlnet_aux ``resize_image``: short side -> resolution, H and W rounded to multiples of 64."""
    k = float(resolution) / min(height, width)
    return int(np.round(height * k / 64.0)) * 64, int(np.round(width * k / 64.0)) * 64


def pad64_size(height: int, width: int, resolution: int) -> tuple[int, int, int, int]:
    """ComfyUI ``resize_image_with_pad``: (target H, target W, pad H, pad W) with pads to a multiple of 64."""
    k = float(resolution) / min(height, width)
    ht, wt = int(np.round(height * k)), int(np.round(width * k))
    return ht, wt, int(math.ceil(ht / 64.0) * 64 - ht), int(math.ceil(wt / 64.0) * 64 - wt)


def minmax01(raw: np.ndarray) -> np.ndarray:
    """(raw - min) / max(raw - min), in float32 as controlnet_aux computes it."""
    d = raw.astype(np.float32) - np.float32(raw.min())
    top = np.float32(d.max())
    return d / top if top > 0 else d


def midas_grey(raw: np.ndarray) -> np.ndarray:
    """uint8 HxW grey map (near = white)."""
    return (minmax01(raw) * 255.0).clip(0, 255).astype(np.uint8)


def sobel(image: np.ndarray, axis: int) -> np.ndarray:
    """OpenCV ``Sobel(img, CV_32F, dx, dy, ksize=3)``: axis 1 = d/dx (columns), axis 0 = d/dy (rows)."""
    p = np.pad(image.astype(np.float32), 1, mode="reflect")  # numpy "reflect" == OpenCV BORDER_REFLECT_101
    if axis == 1:
        diff = p[:, 2:] - p[:, :-2]
        return (diff[:-2] + 2.0 * diff[1:-1] + diff[2:]).astype(np.float32)
    diff = p[2:, :] - p[:-2, :]
    return (diff[:, :-2] + 2.0 * diff[:, 1:-1] + diff[:, 2:]).astype(np.float32)


def midas_normal(raw: np.ndarray, a: float = 2.0 * math.pi, bg_threshold: float = 0.1) -> np.ndarray:
    """uint8 HxWx3 normal map exactly as controlnet_aux's MidasDetector computes it."""
    raw = raw.astype(np.float32)
    x = sobel(raw, 1)
    y = sobel(raw, 0)
    z = np.ones_like(x) * a
    bg = minmax01(raw) < bg_threshold
    x[bg] = 0
    y[bg] = 0
    normal = np.stack([x, y, z], axis=2)
    normal /= np.sum(normal**2.0, axis=2, keepdims=True) ** 0.5
    return (normal * 127.5 + 127.5).clip(0, 255).astype(np.uint8)[:, :, ::-1]
