"""Checks of pipeline inputs that need no Blender: .blend header, output folder, resolution, intrinsics."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path

from ..camera import Intrinsics
from ..errors import UserError

_BLEND_MAGICS = (b"BLENDER", b"\x1f\x8b", b"\x28\xb5\x2f\xfd")  # plain, gzip, zstd compressed


def check_blend_file(path: str | Path) -> Path:
    """Raise UserError unless ``path`` is an existing file that starts like a .blend."""
    path = Path(path)
    if not path.exists():
        raise UserError("scene file not found", path)
    if not path.is_file():
        raise UserError("scene path is not a file", path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise UserError(f"cannot read scene file ({exc.strerror})", path) from exc
    if not head.startswith(_BLEND_MAGICS):
        raise UserError("not a .blend file (no BLENDER header)", path)
    return path


def prepare_output_dir(path: str | Path) -> Path:
    """Create the output folder if needed and check that files can be created in it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError("output path exists and is not a folder", path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=path)
    except OSError as exc:
        raise UserError(f"output folder is not writable ({exc.strerror})", path) from exc
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return path


def parse_resolution(text: str) -> tuple[int, int]:
    """``"640x480"`` -> (640, 480)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise UserError(f"bad resolution {text!r}: use WIDTHxHEIGHT, e.g. 512x512") from exc
    if w < 1 or h < 1:
        raise UserError(f"bad resolution {text!r}: must be positive")
    return w, h


def read_intrinsics_json(path: str | Path) -> Intrinsics:
    """Intrinsics from JSON: an intrinsics record or a camera JSON written by a pipeline."""
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise UserError("intrinsics file not found", path) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserError("intrinsics file is not JSON", path) from exc
    if isinstance(data, dict) and "intrinsics" in data:
        data = data["intrinsics"]
    if not isinstance(data, dict):
        raise UserError("intrinsics JSON must be an object with fx, fy, cx, cy, width, height", path)
    missing = [k for k in ("fx", "fy", "cx", "cy", "width", "height") if k not in data]
    if missing:
        raise UserError(f"intrinsics JSON lacks {', '.join(missing)} (needs fx, fy, cx, cy, width, height)", path)
    try:
        k = Intrinsics.from_dict(data)
    except UserError as exc:
        raise UserError(exc.message, path) from exc
    sizes = (data["width"], data["height"])
    if not all(isinstance(v, int | float) and v == int(v) and v >= 1 for v in sizes):
        raise UserError(f"intrinsics width and height must be whole numbers >= 1, not {sizes[0]} x {sizes[1]}", path)
    if not (math.isfinite(k.fx) and math.isfinite(k.fy) and k.fx > 0 and k.fy > 0):
        raise UserError(f"intrinsics fx and fy must be positive, not {k.fx:g} and {k.fy:g}", path)
    if not (math.isfinite(k.cx) and math.isfinite(k.cy)):
        raise UserError("intrinsics cx and cy must be finite numbers", path)
    return k
