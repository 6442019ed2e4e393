"""Field of view and focal length (DepthPro's conversion from its FOV head to metric depth)."""

from __future__ import annotations

import math

import numpy as np


def focal_from_fov(fov_degrees: float, width: int) -> float:
    """Focal length in pixels: ``f = 0.5 * W / tan(fov / 2)`` (horizontal FOV)."""
    return 0.5 * width / math.tan(0.5 * math.radians(fov_degrees))


def fov_from_focal(focal: float, width: int) -> float:
    """Horizontal field of view in degrees."""
    return math.degrees(2.0 * math.atan(0.5 * width / focal))


def depth_pro_depth(inverse_depth: np.ndarray, focal: float, width: int) -> np.ndarray:
    """DepthPro: canonical inverse depth (at the output size) -> metric depth ``1 / clamp(inv * W / f)``."""
    inv = inverse_depth.astype(np.float64) * (width / focal)
    return (1.0 / np.clip(inv, 1e-4, 1e4)).astype(np.float32)
