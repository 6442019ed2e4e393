"""Depth file I/O: OpenEXR, PNG (8/16-bit), NumPy."""

from .depth_image import DepthImage, read_depth
from .exr import AUTO_CHANNELS, exr_channels, exr_header, pick_channel, read_exr_channels, write_exr
from .png import png_text, read_png, write_png

__all__ = [
    "AUTO_CHANNELS",
    "DepthImage",
    "exr_channels",
    "exr_header",
    "pick_channel",
    "png_text",
    "read_depth",
    "read_exr_channels",
    "read_png",
    "write_exr",
    "write_png",
]
