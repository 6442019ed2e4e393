"""The backplane: a black plane parented to the camera at a chosen depth, present only during the render.

It is sized from :meth:`depthcore.camera.Intrinsics.frustum_corners` (perspective and orthographic, sensor
fit, shift, any aspect), so every pixel of the frame hits it or something nearer. Its surface is a black,
zero-strength emission (a holdout would drop the data passes), invisible to all but camera rays: lighting
is unchanged, the colour pass shows it as opaque black. ``auto`` puts it just beyond the farthest object
the camera sees (from bounding boxes in camera space).
"""

from __future__ import annotations

import bpy
import numpy as np
from mathutils import Matrix

from depthcore.camera import Intrinsics
from depthcore.errors import UserError

from .scene_state import SceneState

NAME = "depthcore_backplane"
AUTO_BEYOND = 1.01  # auto depth = farthest visible bounding-box depth * this
# Object types Cycles renders into the data passes (grease pencil is drawn on top, without depth).
GEOMETRY_TYPES = {"MESH", "CURVE", "CURVES", "SURFACE", "META", "FONT", "VOLUME", "POINTCLOUD"}


def _box_corners_camera(matrix: np.ndarray, bound_box) -> np.ndarray:
    """8x3 bounding-box corners in camera coordinates (``matrix`` = world-to-camera @ object-to-world)."""
    local = np.array([list(c) for c in bound_box], dtype=np.float64)
    return local @ matrix[:3, :3].T + matrix[:3, 3]


def _box_in_frame(pts: np.ndarray, K: Intrinsics, near: float, far: float) -> bool:
    depth = -pts[:, 2]
    if depth.max() <= near or depth.min() >= far:
        return False
    if K.projection == "PERSP":
        if depth.min() <= near:
            return True  # straddles the camera plane: keep it (conservative)
        x, y = pts[:, 0] / depth, pts[:, 1] / depth
    else:
        x, y = pts[:, 0], pts[:, 1]
    c = K.frustum_corners(1.0)  # image rectangle at depth 1 (or in units for ortho)
    return bool(
        x.max() >= c[:, 0].min()
        and x.min() <= c[:, 0].max()
        and y.max() >= c[:, 1].min()
        and y.min() <= c[:, 1].max()
    )


def farthest_visible_depth(
    scene: bpy.types.Scene,
    view_layer: bpy.types.ViewLayer,
    camera: bpy.types.Object,
    pose: np.ndarray,
    K: Intrinsics,
) -> float | None:
    """Largest planar depth of any rendered object's bounding box that overlaps the frame (None: nothing)."""
    world_to_cam = np.linalg.inv(pose)
    near, far = camera.data.clip_start, camera.data.clip_end
    best: float | None = None
    depsgraph = view_layer.depsgraph
    depsgraph.update()  # edits made since the last evaluation
    for inst in depsgraph.object_instances:
        ob = inst.object
        if ob.type not in GEOMETRY_TYPES or ob.original.hide_render or not ob.visible_camera:
            continue
        m = world_to_cam @ np.array([list(r) for r in inst.matrix_world], dtype=np.float64)
        pts = _box_corners_camera(m, ob.bound_box)
        if _box_in_frame(pts, K, near, far):
            d = float(min((-pts[:, 2]).max(), far))
            best = d if best is None else max(best, d)
    return best


def resolve_depth(
    scene: bpy.types.Scene,
    view_layer: bpy.types.ViewLayer,
    camera: bpy.types.Object,
    pose: np.ndarray,
    K: Intrinsics,
    backplane: float | str,
) -> float:
    """The backplane depth for a float (checked against the clip range) or ``"auto"``."""
    near, far = camera.data.clip_start, camera.data.clip_end
    if backplane == "auto":
        farthest = farthest_visible_depth(scene, view_layer, camera, pose, K)
        depth = far * 0.5 if farthest is None else farthest * AUTO_BEYOND
        return float(min(max(depth, near * 2.0), far * 0.999))
    depth = float(backplane)
    if not near < depth < far:
        raise UserError(f"backplane depth {depth:g} is outside the camera's clip range {near:g}..{far:g}")
    return depth


def add_backplane(
    state: SceneState,
    scene: bpy.types.Scene,
    camera: bpy.types.Object,
    pose: np.ndarray,
    K: Intrinsics,
    depth: float,
    margin: float,
) -> bpy.types.Object:
    """Create the backplane (object, mesh, black material); :class:`SceneState` removes them on exit."""
    corners = K.frustum_corners(depth, margin)
    mesh = bpy.data.meshes.new(NAME)
    mesh.from_pydata([tuple(c) for c in corners], [], [(3, 2, 1, 0)])  # normal faces the camera (+Z)
    mesh.update()
    mat = bpy.data.materials.new(NAME)
    mat.use_nodes = True
    nodes = mat.node_tree.nodes
    nodes.clear()
    black = nodes.new("ShaderNodeEmission")  # a holdout would drop the Z/Mist/index data passes
    black.inputs["Strength"].default_value = 0.0
    out = nodes.new("ShaderNodeOutputMaterial")
    mat.node_tree.links.new(black.outputs[0], out.inputs["Surface"])
    mesh.materials.append(mat)
    ob = bpy.data.objects.new(NAME, mesh)
    for attr in (
        "visible_shadow",
        "visible_diffuse",
        "visible_glossy",
        "visible_transmission",
        "visible_volume_scatter",
    ):
        setattr(ob, attr, False)
    ob.pass_index = 0
    scene.collection.objects.link(ob)
    ob.parent = camera
    # Camera scale does not reach the rays (Cycles drops it): undo it for the plane too.
    ob.matrix_parent_inverse = camera.matrix_world.inverted() @ Matrix(pose.tolist())
    return ob
