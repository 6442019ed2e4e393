"""Camera maths: intrinsics from Blender camera numbers, depth <-> distance, frustum corners, pose JSON.

Pure numpy (no bpy): ``blender_addon.render.camera_data`` reads a bpy camera into plain numbers and calls
:meth:`Intrinsics.from_blender`.

Conventions (stated in every JSON this module writes, see :data:`PIXEL_CENTRE_CONVENTION`):

- Image coordinates: pixel (u, v) has its centre at integer coordinates; u grows to the right, v grows
  downwards, row 0 is the image top. An unshifted camera has ``cx = (W-1)/2, cy = (H-1)/2`` (BlenderProc's
  ``dist2depth`` convention; kubric's +0.5 convention differs by half a pixel).
- ``K`` maps OpenCV camera coordinates (x right, y down, z forward) to pixels.
- Blender camera coordinates (used for the backplane and the pose) are x right, y up, looking along -z.
- ``depth`` is planar (distance to the camera plane), ``distance`` is radial (to the camera centre).
  For an orthographic camera both are the distance to the camera plane (as Cycles' Mist pass measures it).
- For an orthographic camera ``fx, fy`` are pixels per scene unit, not a focal length.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from .atomic import atomic_write_text
from .errors import UserError

Projection = Literal["PERSP", "ORTHO"]

PIXEL_CENTRE_CONVENTION = (
    "pixel (u, v) centre at integer coordinates, u right, v down, row 0 = image top; "
    "cx = (W-1)/2 for an unshifted camera; K maps OpenCV camera coordinates (x right, y down, z forward)"
)
BLENDER_CAMERA_AXES = "Blender camera axes: +X right, +Y up, the camera looks along -Z"

# Blender camera space (y up, looks along -z) -> OpenCV camera space (y down, looks along +z).
_BLENDER_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole (or orthographic) intrinsics of a rendered image, pixel-centre convention above."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    projection: Projection = "PERSP"

    # -- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_blender(
        cls,
        *,
        lens: float = 50.0,
        sensor_width: float = 36.0,
        sensor_height: float = 24.0,
        sensor_fit: str = "AUTO",
        shift_x: float = 0.0,
        shift_y: float = 0.0,
        resolution_x: int = 1920,
        resolution_y: int = 1080,
        percentage: int = 100,
        pixel_aspect_x: float = 1.0,
        pixel_aspect_y: float = 1.0,
        type: str = "PERSP",
        ortho_scale: float = 6.0,
    ) -> Intrinsics:
        """Intrinsics as Blender/Cycles build the view plane (``BKE_camera_params_compute_viewplane``).

        Sensor fit AUTO uses ``sensor_width`` for the larger image side; HORIZONTAL fits ``sensor_width`` to
        the width, VERTICAL fits ``sensor_height`` to the height. Shift is a fraction of the fitted side.
        """
        if type not in ("PERSP", "ORTHO"):
            raise UserError(f"camera type {type!r} is not supported (only PERSP and ORTHO)")
        if sensor_fit not in ("AUTO", "HORIZONTAL", "VERTICAL"):
            raise UserError(f"unknown sensor fit {sensor_fit!r}")
        width = int(resolution_x * percentage // 100)
        height = int(resolution_y * percentage // 100)
        if width < 1 or height < 1:
            raise UserError(f"render resolution {width}x{height} is empty")
        ycor = pixel_aspect_y / pixel_aspect_x  # height of a pixel in units of its width
        if sensor_fit == "AUTO":
            horizontal = pixel_aspect_x * width >= pixel_aspect_y * height
        else:
            horizontal = sensor_fit == "HORIZONTAL"
        viewfac = float(width) if horizontal else ycor * height  # fitted side, in pixel widths
        if type == "ORTHO":
            if ortho_scale <= 0:
                raise UserError("orthographic scale must be positive")
            fx = viewfac / ortho_scale
        else:
            sensor = sensor_height if sensor_fit == "VERTICAL" else sensor_width
            if lens <= 0 or sensor <= 0:
                raise UserError("camera lens and sensor size must be positive")
            fx = lens * viewfac / sensor
        fy = fx / ycor
        cx = (width - 1) / 2.0 - shift_x * viewfac
        cy = (height - 1) / 2.0 + shift_y * viewfac / ycor
        return cls(fx=fx, fy=fy, cx=cx, cy=cy, width=width, height=height, projection=type)  # type: ignore[arg-type]

    # -- matrices and rays ----------------------------------------------------------------------------------
    @property
    def K(self) -> np.ndarray:
        """3x3 camera matrix (OpenCV camera coordinates -> pixels)."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def pixel_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """(u, v) float64 HxW arrays of pixel-centre coordinates."""
        v, u = np.mgrid[0 : self.height, 0 : self.width].astype(np.float64)
        return u, v

    def normalised_coords(self) -> tuple[np.ndarray, np.ndarray]:
        """HxW (x/z, y/z) in OpenCV camera coordinates for perspective; (x, y) offsets in units for ortho."""
        u, v = self.pixel_grid()
        return (u - self.cx) / self.fx, (v - self.cy) / self.fy

    def radial_factor(self) -> np.ndarray:
        """HxW float64: distance / depth per pixel (all ones for orthographic cameras)."""
        if self.projection == "ORTHO":
            return np.ones((self.height, self.width))
        x, y = self.normalised_coords()
        return np.sqrt(1.0 + x * x + y * y)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (u, v) of points (..., 3) in OpenCV camera coordinates; the inverse of
        :func:`points_from_depth`. Perspective points at or behind the camera plane give NaN."""
        p = np.asarray(points, dtype=np.float64)
        x, y, z = p[..., 0], p[..., 1], p[..., 2]
        if self.projection == "ORTHO":
            return self.fx * x + self.cx, self.fy * y + self.cy
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(z > 1e-6, z, np.nan)
            return self.fx * x / z + self.cx, self.fy * y / z + self.cy

    def resized(self, width: int, height: int) -> Intrinsics:
        """The intrinsics after resizing the image to ``width`` x ``height`` (pixel centres on integers)."""
        sx, sy = width / self.width, height / self.height
        return Intrinsics(
            self.fx * sx,
            self.fy * sy,
            (self.cx + 0.5) * sx - 0.5,
            (self.cy + 0.5) * sy - 0.5,
            width,
            height,
            self.projection,
        )

    def frustum_corners(self, depth: float, margin: float = 0.0) -> np.ndarray:
        """4x3 corners of the image rectangle at planar ``depth``, in Blender camera coordinates.

        Order: top-left, top-right, bottom-right, bottom-left. The rectangle spans the outer pixel edges
        (u = -0.5 .. W-0.5); ``margin`` grows it by that fraction of its size on every side.
        """
        u0, u1 = -0.5 - margin * self.width, self.width - 0.5 + margin * self.width
        v0, v1 = -0.5 - margin * self.height, self.height - 0.5 + margin * self.height
        scale = depth if self.projection == "PERSP" else 1.0
        corners = []
        for u, v in ((u0, v0), (u1, v0), (u1, v1), (u0, v1)):
            corners.append(((u - self.cx) / self.fx * scale, -(v - self.cy) / self.fy * scale, -depth))
        return np.array(corners)

    # -- JSON ------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d["K"] = self.K.tolist()
        d["convention"] = PIXEL_CENTRE_CONVENTION
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Intrinsics:
        try:
            return cls(
                fx=float(d["fx"]),
                fy=float(d["fy"]),
                cx=float(d["cx"]),
                cy=float(d["cy"]),
                width=int(d["width"]),
                height=int(d["height"]),
                projection=d.get("projection", "PERSP"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"not an intrinsics record ({exc})") from exc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Intrinsics:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise UserError(f"intrinsics JSON is not valid JSON ({exc.msg})") from exc


# -- depth <-> distance ----------------------------------------------------------------------------
def _check_shape(values: np.ndarray, K: Intrinsics) -> None:
    if values.shape != (K.height, K.width):
        raise UserError(f"array is {values.shape[1]}x{values.shape[0]}, intrinsics are {K.width}x{K.height}")


def depth_to_distance(depth: np.ndarray, K: Intrinsics) -> np.ndarray:
    """Planar depth -> radial distance (float32; inf and NaN pass through)."""
    depth = np.asarray(depth)
    _check_shape(depth, K)
    return (depth.astype(np.float64) * K.radial_factor()).astype(np.float32)


def distance_to_depth(distance: np.ndarray, K: Intrinsics) -> np.ndarray:
    """Radial distance -> planar depth (float32; inf and NaN pass through)."""
    distance = np.asarray(distance)
    _check_shape(distance, K)
    return (distance.astype(np.float64) / K.radial_factor()).astype(np.float32)


def points_from_depth(depth: np.ndarray, K: Intrinsics) -> np.ndarray:
    """HxWx3 float32 points in OpenCV camera coordinates from planar depth."""
    depth = np.asarray(depth, dtype=np.float64)
    _check_shape(depth, K)
    x, y = K.normalised_coords()
    if K.projection == "ORTHO":
        return np.stack([x, y, depth], axis=-1).astype(np.float32)
    return np.stack([x * depth, y * depth, depth], axis=-1).astype(np.float32)


# -- pose ------------------------------------------------------------------------------------------
def blender_to_opencv_pose(camera_to_world: np.ndarray) -> np.ndarray:
    """Camera-to-world with Blender camera axes -> camera-to-world with OpenCV axes (y down, z forward)."""
    return np.asarray(camera_to_world, dtype=np.float64) @ _BLENDER_TO_OPENCV


def camera_record(K: Intrinsics, camera_to_world: np.ndarray | None = None, *, units: str = "m") -> dict:
    """JSON-ready record of intrinsics and pose, with the conventions written out."""
    rec: dict = {"intrinsics": K.to_dict(), "units": units}
    if camera_to_world is not None:
        c2w = np.asarray(camera_to_world, dtype=np.float64)
        if c2w.shape != (4, 4) or not np.all(np.isfinite(c2w)):
            raise UserError("camera pose must be a finite 4x4 matrix")
        rec["camera_to_world"] = c2w.tolist()
        rec["camera_to_world_axes"] = BLENDER_CAMERA_AXES
        rec["camera_to_world_opencv"] = blender_to_opencv_pose(c2w).tolist()
    return rec


def write_camera_json(
    path: str | os.PathLike[str],
    K: Intrinsics,
    camera_to_world: np.ndarray | None = None,
    *,
    units: str = "m",
) -> None:
    """Write :func:`camera_record` atomically."""
    atomic_write_text(path, json.dumps(camera_record(K, camera_to_world, units=units), indent=2) + "\n")


def read_camera_json(path: str | os.PathLike[str]) -> tuple[Intrinsics, np.ndarray | None]:
    """Read what :func:`write_camera_json` wrote: (intrinsics, camera-to-world in Blender axes or None)."""
    try:
        rec = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError("file does not exist", path) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError("not a valid camera JSON file", path) from exc
    if not isinstance(rec, dict) or "intrinsics" not in rec:
        raise UserError("camera JSON has no 'intrinsics'", path)
    try:
        K = Intrinsics.from_dict(rec["intrinsics"])
    except UserError as exc:
        raise UserError(exc.message, path) from exc
    pose = rec.get("camera_to_world")
    return K, (None if pose is None else np.array(pose, dtype=np.float64))


def field_of_view(K: Intrinsics) -> tuple[float, float]:
    """Horizontal and vertical field of view in radians of an unshifted perspective camera."""
    if K.projection != "PERSP":
        raise UserError("field of view is only defined for perspective cameras")
    return 2.0 * math.atan(K.width / (2.0 * K.fx)), 2.0 * math.atan(K.height / (2.0 * K.fy))
