"""OpenEXR reading and writing (single-part and Blender multilayer, HALF/FLOAT)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import OpenEXR

from ..atomic import atomic_path
from ..errors import UserError

# Channels tried in order when the caller names none: Daz/iRay, plain Z, Blender multilayer, colour.
AUTO_CHANNELS = ("Y", "Z", "Depth.Z", "ViewLayer.Depth.Z", "depth", "R", "V")


def _open(path: Path, header_only: bool = False) -> OpenEXR.File:
    if not path.is_file():
        raise UserError("file does not exist", path)
    try:
        if header_only:  # headers only: no pixel data is read or decompressed
            return OpenEXR.File(str(path), header_only=True)
        return OpenEXR.File(str(path), separate_channels=True)
    except Exception as exc:  # OpenEXR raises plain RuntimeError/ValueError for bad files
        raise UserError(f"not a readable OpenEXR file ({str(exc).splitlines()[0][:120]})", path) from exc


def _window(header: dict, key: str) -> tuple[int, int, int, int]:
    lo, hi = header[key]
    return int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])


def exr_channels(path: str | os.PathLike[str]) -> list[str]:
    """Names of all channels of all parts of an EXR file."""
    exr = _open(Path(path), header_only=True)
    names: list[str] = []
    for part in exr.parts:
        names.extend(chan.name for chan in part.header.get("channels", []))
    return names


def exr_header(path: str | os.PathLike[str]) -> dict:
    """Header of the first part (attributes such as depthcore metadata)."""
    return dict(_open(Path(path), header_only=True).header())


def read_exr_channels(
    path: str | os.PathLike[str],
    names: list[str] | None = None,
    *,
    window: str = "display",
) -> dict[str, np.ndarray]:
    """Read channels as float32 arrays (HALF/UINT widened).

    ``window="display"`` places the data window inside the display window, filling pixels outside it with
    NaN (no data = background); ``window="data"`` returns the data window as stored.
    """
    path = Path(path)
    exr = _open(path)
    found: dict[str, np.ndarray] = {}
    header: dict = {}
    for part in exr.parts:
        for name, chan in part.channels.items():
            if names is None or name in names:
                found.setdefault(name, chan.pixels)
                header.setdefault(name, part.header)
    if names is not None:
        missing = [n for n in names if n not in found]
        if missing:
            have = ", ".join(exr_channels(path)) or "none"
            raise UserError(f"no channel {missing[0]!r} (channels: {have})", path)
    out: dict[str, np.ndarray] = {}
    for name, pixels in found.items():
        arr = np.asarray(pixels)
        if arr.ndim != 2:
            raise UserError(f"channel {name!r} is not a flat image channel", path)
        arr = arr.astype(np.float32, copy=False)
        if window == "display":
            arr = _embed_in_display_window(arr, header[name])
        out[name] = arr
    return out


def _embed_in_display_window(arr: np.ndarray, header: dict) -> np.ndarray:
    dx0, dy0, dx1, dy1 = _window(header, "dataWindow")
    wx0, wy0, wx1, wy1 = _window(header, "displayWindow")
    if (dx0, dy0, dx1, dy1) == (wx0, wy0, wx1, wy1):
        return arr
    full = np.full((wy1 - wy0 + 1, wx1 - wx0 + 1), np.nan, dtype=np.float32)
    # Intersect the data window with the display window.
    x0, y0 = max(dx0, wx0), max(dy0, wy0)
    x1, y1 = min(dx1, wx1), min(dy1, wy1)
    if x0 <= x1 and y0 <= y1:
        full[y0 - wy0 : y1 - wy0 + 1, x0 - wx0 : x1 - wx0 + 1] = arr[y0 - dy0 : y1 - dy0 + 1, x0 - dx0 : x1 - dx0 + 1]
    return full


def pick_channel(available: list[str], wanted: str | None, path: str | os.PathLike[str]) -> str:
    """The depth channel: the one asked for, else Y, Z, Depth.Z, ViewLayer.Depth.Z, depth, any *.Depth.Z, R, V."""
    if wanted is not None:
        if wanted in available:
            return wanted
        raise UserError(f"no channel {wanted!r} (channels: {', '.join(available) or 'none'})", path)
    plain = [n for n in AUTO_CHANNELS if n not in ("R", "V")]
    for name in plain:
        if name in available:
            return name
    for name in available:  # any view layer's depth pass beats a colour channel
        if name.endswith(".Depth.Z"):
            return name
    for name in AUTO_CHANNELS:
        if name in available:
            return name
    for suffix in (".Z", ".Mist.Z", ".Y", ".R"):
        for name in available:
            if name.endswith(suffix):
                return name
    if len(available) == 1:
        return available[0]
    raise UserError(f"cannot tell which channel holds depth; pick one with --channel ({', '.join(available)})", path)


def write_exr(
    path: str | os.PathLike[str],
    channels: dict[str, np.ndarray],
    meta: dict[str, object] | None = None,
    *,
    half: bool = False,
) -> Path:
    """Write channels as a single-part scanline EXR (FLOAT, or HALF), ZIP compressed, atomically.

    ``meta`` values are stored as string header attributes (prefixed ``depthcore:`` unless already namespaced).
    """
    dtype = np.float16 if half else np.float32
    data = {name: np.ascontiguousarray(arr, dtype=dtype) for name, arr in channels.items()}
    header: dict[str, object] = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    for key, value in (meta or {}).items():
        name = key if ":" in key else f"depthcore:{key}"
        header[name] = value if isinstance(value, str) else _to_text(value)
    with atomic_path(path) as tmp:
        OpenEXR.File(header, data).write(str(tmp))
    return Path(path)


def _to_text(value: object) -> str:
    import json

    try:
        return json.dumps(value)
    except TypeError:
        return str(value)
