"""The depth image model and reading depth from any supported file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError
from .exr import exr_header, pick_channel, read_exr_channels

KINDS = ("depth", "distance", "disparity", "unknown")


@dataclass
class DepthImage:
    """Raw per-pixel values as read (float32 HxW) and what they are."""

    values: np.ndarray
    source: Path | None = None
    channel: str | None = None
    kind: str = "unknown"
    units: str = "unknown"
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    @property
    def name(self) -> str:
        return self.source.name if self.source else "<array>"


def read_depth(path: str | os.PathLike[str], channel: str | None = None, *, window: str = "display") -> DepthImage:
    """Read depth from .exr (any channel), .png (8/16-bit grey), .npy, .npz or a BlenderProc .hdf5 frame."""
    path = Path(path)
    if not path.exists():
        raise UserError("file does not exist", path)
    if path.is_dir():
        raise UserError("is a folder, not a depth file", path)
    suffix = path.suffix.lower()
    if suffix == ".exr":
        return _read_exr(path, channel, window)
    if suffix == ".png":
        return _read_png(path, channel)
    if suffix in (".npy", ".npz"):
        return _read_numpy(path, channel)
    if suffix in (".hdf5", ".h5"):
        from .hdf5 import read_hdf5_depth

        return read_hdf5_depth(path, channel)
    raise UserError("unsupported file type (expected .exr, .png, .npy, .npz or .hdf5)", path)


def _read_exr(path: Path, channel: str | None, window: str) -> DepthImage:
    from .exr import exr_channels

    name = pick_channel(exr_channels(path), channel, path)
    values = read_exr_channels(path, [name], window=window)[name]
    header = exr_header(path)
    kind = _text(header.get("depthcore:kind")) or _kind_from_channel(name)
    # Blender's passes are in scene units (metres by default); a bare Y/Z channel (Daz: centimetres) says nothing.
    blender_pass = name.endswith(("Depth.Z", "Mist.Z"))
    units = _text(header.get("depthcore:units")) or ("m" if blender_pass else "unknown")
    meta = {k: v for k, v in header.items() if isinstance(k, str) and k.startswith("depthcore:")}
    return DepthImage(values, path, name, kind, units, meta)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text.strip('"') or None


def _kind_from_channel(name: str) -> str:
    if name.endswith("Depth.Z") or name in ("Z", "Y", "depth"):
        return "depth"
    if name.endswith("Mist.Z") or name == "distance":
        return "distance"
    return "unknown"


def _read_png(path: Path, channel: str | None) -> DepthImage:
    from .png import read_png

    arr = read_png(path)
    if arr.ndim == 3:
        if channel not in (None, "R", "G", "B"):
            raise UserError(f"no channel {channel!r} (channels: R, G, B)", path)
        arr = arr[..., "RGB".index(channel or "R")]
    return DepthImage(arr.astype(np.float32), path, channel or "L", "unknown", "grey levels")


def _read_numpy(path: Path, channel: str | None) -> DepthImage:
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise UserError(f"not a readable numpy file ({exc})", path) from exc
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            keys = list(loaded.keys())
            key = channel or next((k for k in ("depth", "distance", "disparity") if k in keys), None)
            if key is None:
                key = keys[0] if len(keys) == 1 else None
            if key is None or key not in keys:
                raise UserError(f"no array {channel or 'depth'!r} (arrays: {', '.join(keys) or 'none'})", path)
            arr = loaded[key]
        name = key
    else:
        arr, name = loaded, None
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
        raise UserError(f"expected a 2-D numeric array, got shape {arr.shape} dtype {arr.dtype}", path)
    kind = name if name in ("depth", "distance", "disparity") else "unknown"
    return DepthImage(arr.astype(np.float32, copy=False), path, name, kind, "unknown")
