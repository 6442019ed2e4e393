"""Numpy/Pillow image preparation shared by the backends (no torchvision needed)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import UserError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
HALF_MEAN = (0.5, 0.5, 0.5)
_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "area": Image.Resampling.BOX,
    0: Image.Resampling.NEAREST,
    1: Image.Resampling.LANCZOS,
    2: Image.Resampling.BILINEAR,
    3: Image.Resampling.BICUBIC,
}


def load_rgb(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as uint8 HxWx3 RGB; UserError when it is not an image."""
    path = Path(path)
    if not path.is_file():
        raise UserError("file does not exist", path)
    try:
        with Image.open(path) as img:
            return as_rgb_uint8(np.asarray(img.convert("RGB") if img.mode not in ("L", "RGB", "I;16") else img))
    except (UnidentifiedImageError, OSError) as exc:
        raise UserError(f"not a readable image ({exc})", path) from exc


def as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Any grey/RGB/RGBA array (uint8, uint16 or float 0..1) -> uint8 HxWx3."""
    a = np.asarray(image)
    if a.dtype == np.uint16:
        a = (a.astype(np.float32) / 257.0).round().astype(np.uint8)
    elif a.dtype.kind == "f":
        a = (np.clip(np.nan_to_num(a), 0.0, 1.0) * 255.0).round().astype(np.uint8)
    elif a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.ndim == 3 and a.shape[2] == 4:
        a = a[:, :, :3]
    elif a.ndim == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"not an image array: shape {a.shape}")
    return np.ascontiguousarray(a)


def resize_rgb(rgb: np.ndarray, height: int, width: int, resample: str | int = "bicubic") -> np.ndarray:
    """Resize uint8 RGB with Pillow."""
    if rgb.shape[:2] == (height, width):
        return rgb
    return np.asarray(Image.fromarray(rgb).resize((width, height), _RESAMPLE[resample]))


def resize_float(image: np.ndarray, height: int, width: int, resample: str | int = "bilinear") -> np.ndarray:
    """Resize float32 HxW or HxWxC per channel (Pillow mode F: no rounding)."""
    if image.shape[:2] == (height, width):
        return image.astype(np.float32, copy=False)
    if image.ndim == 2:
        img = Image.fromarray(image.astype(np.float32, copy=False), mode="F")
        return np.asarray(img.resize((width, height), _RESAMPLE[resample]), dtype=np.float32)
    return np.stack([resize_float(image[:, :, c], height, width, resample) for c in range(image.shape[2])], axis=2)


def normalise_rgb(rgb: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    """uint8 HxWx3 -> float32 1x3xHxW, ``(rgb/255 - mean) / std``."""
    x = rgb.astype(np.float32) / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def constrain_to_multiple(value: float, multiple: int, max_value: float | None = None) -> int:
    """Round to a multiple (transformers' DPT rule: floor if above max, ceil if below the multiple)."""
    x = round(value / multiple) * multiple
    if max_value is not None and x > max_value:
        x = math.floor(value / multiple) * multiple
    if x < multiple:
        x = math.ceil(value / multiple) * multiple
    return int(x)


def keep_aspect_size(height: int, width: int, target_h: int, target_w: int, multiple: int) -> tuple[int, int]:
    """transformers' keep-aspect resize: scale as little as possible, then round to ``multiple``."""
    sh, sw = target_h / height, target_w / width
    if abs(1 - sw) < abs(1 - sh):
        sh = sw
    else:
        sw = sh
    return constrain_to_multiple(sh * height, multiple), constrain_to_multiple(sw * width, multiple)
