"""Intrinsics.from_blender against Blender's own projection, over random camera and render settings."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector

pytest.importorskip("hypothesis")  # absent from some second-version venvs
from hypothesis import given, settings
from hypothesis import strategies as st

from blender_addon.render import scene_intrinsics

cameras = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["PERSP", "ORTHO"]),
        "lens": st.floats(10, 200),
        "ortho_scale": st.floats(0.5, 20),
        "sensor_fit": st.sampled_from(["AUTO", "HORIZONTAL", "VERTICAL"]),
        "sensor_width": st.floats(5, 60),
        "sensor_height": st.floats(5, 60),
        "shift_x": st.floats(-0.8, 0.8),
        "shift_y": st.floats(-0.8, 0.8),
        # Multiples of 4 at 25/50/100/200 %: world_to_camera_view uses the unscaled size's aspect, Cycles
        # (and Intrinsics) the integer scaled size; they only agree when scaling keeps the aspect.
        "res": st.tuples(st.integers(2, 100).map(lambda n: 4 * n), st.integers(2, 100).map(lambda n: 4 * n)),
        "percentage": st.sampled_from([25, 50, 100, 200]),
        "aspect": st.tuples(st.floats(0.5, 3), st.floats(0.5, 3)),
    }
)


@settings(max_examples=60, deadline=None)
@given(spec=cameras, seed=st.integers(0, 2**31))
def test_intrinsics_project_like_blender(spec, seed):
    scene = bpy.context.scene
    if "HypoCam" not in bpy.data.objects:  # one camera, re-set per example (factory resets are slow)
        bpy.ops.wm.read_factory_settings(use_empty=True)
        scene = bpy.context.scene
        cam = bpy.data.objects.new("HypoCam", bpy.data.cameras.new("HypoCam"))
        scene.collection.objects.link(cam)
    cam = bpy.data.objects["HypoCam"]
    scene.camera = cam
    data = cam.data
    for key in ("type", "lens", "ortho_scale", "sensor_fit", "sensor_width", "sensor_height", "shift_x"):
        setattr(data, key, spec[key])
    data.shift_y = spec["shift_y"]
    cam.rotation_euler = (0.3, -0.2, 0.7)
    r = scene.render
    r.resolution_x, r.resolution_y = spec["res"]
    r.resolution_percentage = spec["percentage"]
    r.pixel_aspect_x, r.pixel_aspect_y = spec["aspect"]
    bpy.context.view_layer.update()
    K = scene_intrinsics(scene)
    assert (K.width, K.height) == (
        r.resolution_x * r.resolution_percentage // 100,
        r.resolution_y * r.resolution_percentage // 100,
    )
    w2c = np.linalg.inv(np.array(cam.matrix_world.normalized()))
    for p in np.random.default_rng(seed).uniform(-5, 5, (10, 3)):
        pc = w2c @ np.append(p, 1.0)
        if -pc[2] < 0.5:
            continue
        ndc = world_to_camera_view(scene, cam, Vector(p))
        u_ref, v_ref = ndc.x * K.width - 0.5, (1.0 - ndc.y) * K.height - 0.5
        u, v = K.project(np.array([pc[0], -pc[1], -pc[2]]))  # Blender camera axes -> OpenCV
        tol = 1e-4 * max(1.0, abs(u_ref), abs(v_ref))
        assert abs(u - u_ref) < tol and abs(v - v_ref) < tol, (spec, u, u_ref, v, v_ref)
