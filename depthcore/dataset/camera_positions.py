"""BlenderProc's camera_positions file: one ``x y z rx ry rz`` per line (location, Euler XYZ radians)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError


@dataclass(frozen=True)
class CameraPose:
    """One camera pose: world location and Euler XYZ rotation in radians; ``line`` is its 1-based line."""

    location: tuple[float, float, float]
    rotation_euler: tuple[float, float, float]
    line: int = 0

    def to_json(self) -> dict:
        return {"location": list(self.location), "rotation_euler": list(self.rotation_euler)}


def read_camera_positions(path: str | Path) -> list[CameraPose]:
    """Parse a camera_positions file; blank lines and ``#`` comments are skipped.

    Raises UserError naming the file and line for anything that is not six finite numbers.
    """
    path = Path(path)
    if not path.exists():
        raise UserError("camera positions file not found", path)
    if not path.is_file():
        raise UserError("camera positions path is not a file", path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a BOM (Windows editors) is not part of line 1
    except UnicodeDecodeError as exc:
        raise UserError("camera positions file is not text (expected 'x y z rx ry rz' per line)", path) from exc
    except OSError as exc:
        raise UserError(f"cannot read camera positions file ({exc.strerror})", path) from exc
    poses: list[CameraPose] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 6:
            hint = " (separate them with spaces, not commas)" if "," in line else ""
            raise UserError(f"line {number}: expected 6 numbers 'x y z rx ry rz', got {len(fields)}{hint}", path)
        try:
            values = [float(f) for f in fields]
        except ValueError as exc:
            bad = next(f for f in fields if not _is_float(f))
            raise UserError(f"line {number}: {bad!r} is not a number", path) from exc
        if not all(math.isfinite(v) for v in values):
            raise UserError(f"line {number}: values must be finite numbers", path)
        poses.append(CameraPose(tuple(values[:3]), tuple(values[3:]), number))  # type: ignore[arg-type]
    if not poses:
        raise UserError("camera positions file has no camera poses", path)
    return poses


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
