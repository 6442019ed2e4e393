"""Shared bpy render core: depth, distance, object index, colour, normals for one frame, scene left untouched.

Used by the Blender extension's operators and by ``pipelines/``::

    from blender_addon.render import RenderOptions, render_depth_frame

    res = render_depth_frame(scene, frame=1, options=RenderOptions(
        samples=16, outputs=frozenset({"depth", "distance", "object_index"}), backplane="auto"))
    res.depth          # float32 HxW planar depth (Z pass), +inf = background, row 0 = image top
    res.background     # bool HxW: nothing hit, or the backplane hit
    res.distance       # float32 HxW radial distance (Mist pass x mist depth; or converted from depth)
    res.object_index   # int32 HxW, ids in res.object_names (0 = background/backplane)
    res.intrinsics     # depthcore.camera.Intrinsics (pixel centres at integer coordinates)
    res.pose           # 4x4 camera-to-world, Blender camera axes (+X right, +Y up, looks along -Z)
    res.depth_range(["Face"])   # nearest/farthest depth of named objects (object-aware grey levels)
    for res in render_depth_frames(scene, range(1, 11), options): ...   # animation, one frame at a time

Modules: ``frame`` (the entry point), ``scene_state`` (journal that restores the scene on any exit),
``passes`` (view-layer passes, EXR output, reading the passes back), ``backplane`` (black plane sized from
the frustum, ``auto`` depth), ``camera_data`` (bpy camera -> :mod:`depthcore.camera`). Blender-version
differences live in ``blender_addon.compat`` only.
"""

from .camera_data import active_camera, camera_pose, scene_intrinsics
from .frame import (
    OUTPUTS,
    FrameResult,
    RenderCancelled,
    RenderOptions,
    render_depth_frame,
    render_depth_frames,
)
from .scene_state import RestoreError, SceneState, preserved_scene

__all__ = [
    "OUTPUTS",
    "FrameResult",
    "RenderCancelled",
    "RenderOptions",
    "RestoreError",
    "SceneState",
    "active_camera",
    "camera_pose",
    "preserved_scene",
    "render_depth_frame",
    "render_depth_frames",
    "scene_intrinsics",
]
