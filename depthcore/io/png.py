"""PNG reading and writing: 8-bit and 16-bit grey, 8-bit RGB(A), with text metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from ..atomic import atomic_path
from ..errors import UserError


def write_png(path: str | os.PathLike[str], array: np.ndarray, meta: dict[str, object] | None = None) -> Path:
    """Write uint8/uint16 grey (HxW) or uint8 RGB/RGBA (HxWx3/4) as PNG, atomically, with tEXt metadata."""
    arr = np.asarray(array)
    if arr.ndim == 2 and arr.dtype == np.uint8:
        img = Image.fromarray(arr)
    elif arr.ndim == 2 and arr.dtype == np.uint16:
        # Pillow's "I;16" is little-endian 16-bit grey; PNG stores it big-endian, Pillow converts on save.
        img = Image.fromarray(arr.astype("<u2", copy=False))
    elif arr.ndim == 3 and arr.dtype == np.uint8 and arr.shape[2] in (3, 4):
        img = Image.fromarray(np.ascontiguousarray(arr))
    else:
        raise ValueError(f"unsupported PNG array: dtype {arr.dtype}, shape {arr.shape}")
    info = PngImagePlugin.PngInfo()
    for key, value in (meta or {}).items():
        info.add_text(f"depthcore:{key}", value if isinstance(value, str) else json.dumps(value))
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG", pnginfo=info, compress_level=1)
    return Path(path)


def read_png(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a PNG as a numpy array (uint8 or uint16 for grey, uint8 HxWxC for colour)."""
    path = Path(path)
    if not path.is_file():
        raise UserError("file does not exist", path)
    try:
        with Image.open(path) as img:
            if img.mode in ("I;16", "I;16B", "I;16L"):
                return np.asarray(img, dtype=np.uint16).copy()
            if img.mode == "I":
                return np.asarray(img).astype(np.uint16)
            if img.mode in ("L", "RGB", "RGBA"):
                return np.asarray(img).copy()
            return np.asarray(img.convert("RGB")).copy()
    except (OSError, SyntaxError) as exc:
        raise UserError(f"not a readable PNG ({exc})", path) from exc


def png_text(path: str | os.PathLike[str]) -> dict[str, str]:
    """The PNG's text chunks."""
    with Image.open(path) as img:
        return dict(getattr(img, "text", {}) or {})
