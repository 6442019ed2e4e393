"""Depth from BlenderProc-layout HDF5 frames (what `blenderproc run` and both pipelines write)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError
from .depth_image import DepthImage

HDF5_SUFFIXES = (".hdf5", ".h5")
DISTANCE_BACKGROUND_AT = 9999.5  # BlenderProc writes 10000 where a distance ray hit nothing
DEPTH_BACKGROUND_AT = 1e9  # BlenderProc / Cycles write 1e10 where a depth ray hit nothing


def read_hdf5_depth(path: Path, key: str | None = None) -> DepthImage:
    """One 2-D array of a frame (``depth`` by default), background set to +inf.

    ``distance`` and ``antialiased_depth`` take their background from the frame's ``distance`` key.
    """
    import h5py

    key = key or "depth"
    try:
        with h5py.File(path, "r") as f:
            if key not in f:
                have = ", ".join(k for k in f if isinstance(f[k], h5py.Dataset) and f[k].ndim == 2) or "none"
                raise UserError(f"no array {key!r} (2-D arrays: {have})", path)
            values = np.asarray(f[key][()], dtype=np.float32)
            background = None
            if key in ("distance", "antialiased_depth") and "distance" in f:
                background = np.asarray(f["distance"][()]) >= DISTANCE_BACKGROUND_AT
    except OSError as exc:
        raise UserError(f"not a readable HDF5 file ({exc})", path) from exc
    if values.ndim != 2:
        raise UserError(f"array {key!r} is not a depth map (shape {values.shape})", path)
    values = np.where(values >= DEPTH_BACKGROUND_AT, np.inf, values).astype(np.float32)
    if background is not None:
        values[background] = np.inf
    kind = "distance" if key == "distance" else "depth"
    return DepthImage(values, path, key, kind, "m")
