"""Reading an EXR the way format_depthmap.py does: one channel ('Y'), the data window, float64 maths."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io import exr_channels, read_exr_channels

DAZ_CHANNEL = "Y"  # the only channel the original reads (Daz/iRay writes depth there)


@dataclass
class DazInput:
    """One input image: the raw values (float32 HxW, data window) and where they came from."""

    path: Path
    values: np.ndarray
    channel: str

    @property
    def width(self) -> int:
        return int(self.values.shape[1])

    @property
    def height(self) -> int:
        return int(self.values.shape[0])

    @property
    def stub(self) -> str:
        """The input path without its extension: outputs are ``<stub>.depth.png`` and friends."""
        return os.path.splitext(str(self.path))[0]


def check_input_path(path: str) -> None:
    """The original's argument check, minus its case sensitivity: the file exists and ends with .exr."""
    if not os.path.exists(path):
        raise UserError("file does not exist", path)
    if os.path.isdir(path):
        raise UserError("is a folder, not an EXR file", path)
    if not path.lower().endswith(".exr"):
        raise UserError("must end with .exr", path)


def read_daz_input(path: str | os.PathLike[str], channel: str = DAZ_CHANNEL) -> DazInput:
    """Read ``channel`` of the data window as float32; a missing channel is an error listing the channels."""
    path = Path(path)
    available = exr_channels(path)
    if channel not in available:
        have = ", ".join(available) or "none"
        hint = "; the original reads only 'Y': pick one with --channel" if channel == DAZ_CHANNEL else ""
        raise UserError(f"no channel {channel!r} (channels: {have}){hint}", path)
    values = read_exr_channels(path, [channel], window="data")[channel]
    if values.size == 0:
        raise UserError("the image has no pixels", path)
    return DazInput(path, values, channel)
