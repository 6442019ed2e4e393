"""numpy <-> Blender image helpers (row 0 = image top in numpy; Blender stores rows bottom-up)."""

from __future__ import annotations

import bpy
import numpy as np

MARKER = "depthcore_result"  # custom property naming the result an image holds: never touch other images


def find(name: str) -> bpy.types.Image | None:
    """The add-on's result image ``name`` (found by its marker, so a user's image of that name is left alone)."""
    for img in bpy.data.images:
        if img.get(MARKER) == name:
            return img
    return None


def _ensure_image(name: str, width: int, height: int, float_buffer: bool) -> bpy.types.Image:
    """The result image ``name`` at the given size, created or reused (so open editors keep showing it)."""
    img = find(name)
    if img is not None and img.is_float != float_buffer:
        bpy.data.images.remove(img)
        img = None
    if img is None:
        img = bpy.data.images.new(name, width, height, alpha=True, float_buffer=float_buffer, is_data=True)
        img[MARKER] = name
    elif tuple(img.size) != (width, height):
        img.scale(width, height)
    img.colorspace_settings.is_data = True
    return img


def put_rgba(name: str, rgba: np.ndarray, float_buffer: bool = True) -> bpy.types.Image:
    """Show an HxWx4 float array (0..1 for byte images) as the Blender image ``name``."""
    h, w = rgba.shape[:2]
    img = _ensure_image(name, w, h, float_buffer)
    img.pixels.foreach_set(np.ascontiguousarray(rgba[::-1], dtype=np.float32).ravel())
    img.update()
    return img


def put_grey(name: str, grey: np.ndarray) -> bpy.types.Image:
    """Show a uint8/uint16 grey map exactly (16-bit goes to a float image, 8-bit to a byte image)."""
    grey = np.asarray(grey)
    scale = 65535.0 if grey.dtype == np.uint16 else 255.0
    rgba = np.empty((*grey.shape, 4), np.float32)
    rgba[..., :3] = (grey.astype(np.float32) / scale)[..., None]
    rgba[..., 3] = 1.0
    return put_rgba(name, rgba, float_buffer=grey.dtype == np.uint16)


def put_values(name: str, values: np.ndarray) -> bpy.types.Image:
    """Show raw float values (depth, distance) in a float image; the Image Editor shows the numbers."""
    v = np.asarray(values, dtype=np.float32)
    rgba = np.empty((*v.shape, 4), np.float32)
    rgba[..., :3] = v[..., None]
    rgba[..., 3] = 1.0
    return put_rgba(name, rgba, float_buffer=True)


def read_rgba(img: bpy.types.Image) -> np.ndarray:
    """An image's pixels as HxWx4 float32, row 0 = top."""
    w, h = img.size
    buf = np.empty(w * h * 4, np.float32)
    img.pixels.foreach_get(buf)
    return buf.reshape(h, w, 4)[::-1].copy()


def read_grey(img: bpy.types.Image, bits: int) -> np.ndarray:
    """The grey map shown by :func:`put_grey`, back as uint8/uint16."""
    scale = 65535.0 if bits == 16 else 255.0
    grey = np.rint(read_rgba(img)[..., 0] * scale)
    return grey.astype(np.uint16 if bits == 16 else np.uint8)
