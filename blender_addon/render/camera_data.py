"""Read a bpy camera into plain numbers and hand them to :mod:`depthcore.camera`."""

from __future__ import annotations

import bpy
import numpy as np

from depthcore.camera import Intrinsics
from depthcore.errors import UserError


def active_camera(scene: bpy.types.Scene) -> bpy.types.Object:
    """The scene's camera object, or UserError."""
    cam = scene.camera
    if cam is None or cam.type != "CAMERA":
        raise UserError(f"scene {scene.name!r} has no active camera")
    if cam.data.type not in ("PERSP", "ORTHO"):
        raise UserError(
            f"camera {cam.name!r} is {cam.data.type}; only perspective and orthographic are supported"
        )
    return cam


def camera_numbers(scene: bpy.types.Scene, camera: bpy.types.Object) -> dict:
    """Keyword arguments for :meth:`Intrinsics.from_blender` from the scene's render and camera settings."""
    r, c = scene.render, camera.data
    return {
        "lens": c.lens,
        "sensor_width": c.sensor_width,
        "sensor_height": c.sensor_height,
        "sensor_fit": c.sensor_fit,
        "shift_x": c.shift_x,
        "shift_y": c.shift_y,
        "resolution_x": r.resolution_x,
        "resolution_y": r.resolution_y,
        "percentage": r.resolution_percentage,
        "pixel_aspect_x": r.pixel_aspect_x,
        "pixel_aspect_y": r.pixel_aspect_y,
        "type": c.type,
        "ortho_scale": c.ortho_scale,
    }


def scene_intrinsics(scene: bpy.types.Scene, camera: bpy.types.Object | None = None) -> Intrinsics:
    """Intrinsics of what ``scene`` renders now through ``camera`` (default: the active camera)."""
    camera = camera or active_camera(scene)
    return Intrinsics.from_blender(**camera_numbers(scene, camera))


def camera_pose(camera: bpy.types.Object) -> np.ndarray:
    """4x4 float64 camera-to-world in Blender camera axes (+X right, +Y up, looks along -Z), scale removed.

    Cycles ignores the camera object's scale, so the pose has none either.
    """
    m = camera.matrix_world.normalized()
    return np.array([list(row) for row in m], dtype=np.float64)


def unit_label(scene: bpy.types.Scene) -> str:
    """Units of rendered depth: "m" when one Blender unit is one metre."""
    scale = scene.unit_settings.scale_length
    return "m" if abs(scale - 1.0) < 1e-9 else f"blender units (1 = {scale:g} m)"
