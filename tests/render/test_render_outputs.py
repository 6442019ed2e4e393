"""The other outputs: normals, colour, object ids with instances, kept EXR, metadata, view layers."""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest
from mathutils import Matrix, Vector
from render_raycast import interior, raycast
from render_scenes import build_scene, exr_channel, exr_channel_names, scene_triangles

from blender_addon.render import RenderOptions, render_depth_frame
from depthcore.camera import Intrinsics
from depthcore.errors import UserError


def test_normals_are_world_space_face_normals():
    scene = build_scene("persp", samples=16)
    res = render_depth_frame(
        scene, options=RenderOptions(outputs=frozenset({"depth", "normal", "object_index"}))
    )
    backdrop = bpy.data.objects["Backdrop"]
    expected = np.array(backdrop.matrix_world.to_3x3() @ backdrop.data.polygons[0].normal)
    expected /= np.linalg.norm(expected)
    ids = {v: k for k, v in res.object_names.items()}
    on_plane = interior(np.where(res.object_index == ids["Backdrop"], 1, 0), 2) & (
        res.object_index == ids["Backdrop"]
    )
    assert on_plane.sum() > 100
    np.testing.assert_allclose(
        res.normal[on_plane], np.broadcast_to(expected, (on_plane.sum(), 3)), atol=1e-3
    )


def test_colour_is_srgb_uint8_with_alpha():
    scene = build_scene("persp", samples=4)
    bpy.ops.object.light_add(type="SUN")
    res = render_depth_frame(scene, options=RenderOptions(outputs=frozenset({"depth", "color"})))
    assert res.color.dtype == np.uint8 and res.color.shape == (48, 64, 3)
    assert res.alpha.shape == (48, 64) and res.alpha.max() == pytest.approx(1.0)
    assert res.color.max() > 50  # lit surfaces are visible
    assert res.distance is None and res.object_index is None and res.normal is None


def test_keep_exr_moves_the_raw_passes_where_asked(tmp_path):
    scene = build_scene("ortho", samples=2)
    dest = tmp_path / "raw.exr"
    res = render_depth_frame(scene, options=RenderOptions(keep_exr=str(dest)))
    assert res.exr_path == dest and dest.is_file()
    z = exr_channel(dest, "ViewLayer.Depth.Z")  # independent reader
    assert z.dtype == np.float32  # full float: depth is not rounded to half
    np.testing.assert_array_equal(np.where(z > 1e9, np.inf, z), res.depth)
    assert [p.name for p in tmp_path.iterdir()] == ["raw.exr"]


def test_meta_records_units_camera_and_conventions():
    scene = build_scene("wide_shift", samples=1)
    res = render_depth_frame(scene, frame=4, options=RenderOptions(backplane=50.0))
    meta = res.meta()
    json.dumps(meta)  # ready for JSON / EXR header metadata
    assert meta["units"] == "m" and meta["frame"] == 4 and meta["backplane_depth"] == 50.0
    rec = meta["camera_record"]
    assert "cx = (W-1)/2" in rec["intrinsics"]["convention"]
    assert Intrinsics.from_dict(rec["intrinsics"]) == res.intrinsics
    np.testing.assert_allclose(rec["camera_to_world"], res.pose)
    np.testing.assert_allclose(
        res.pose[:3, :3] @ res.pose[:3, :3].T, np.eye(3), atol=1e-6
    )  # camera scale removed


def test_scaled_scene_units_are_named():
    scene = build_scene("persp", samples=1)
    scene.unit_settings.scale_length = 0.01
    assert render_depth_frame(scene).units == "blender units (1 = 0.01 m)"


def test_collection_instances_get_ids_and_push_the_auto_backplane():
    scene = build_scene("persp", samples=2, objects=("Sphere",))
    coll = bpy.data.collections.new("Props")
    bpy.ops.mesh.primitive_cube_add(size=1.0)
    cube = bpy.context.active_object
    for c in cube.users_collection:
        c.objects.unlink(cube)
    coll.objects.link(cube)
    inst = bpy.data.objects.new("PropsInstance", None)
    inst.instance_type = "COLLECTION"
    inst.instance_collection = coll
    scene.collection.objects.link(inst)
    inst.matrix_world = scene.camera.matrix_world.normalized() @ Matrix.Translation((0.0, 0.5, -12.0))
    bpy.context.view_layer.update()
    res = render_depth_frame(
        scene, options=RenderOptions(outputs=frozenset({"depth", "object_index"}), backplane="auto")
    )
    assert res.backplane_depth > 12.0  # beyond the instanced cube, which is farther than the sphere
    assert "Cube" in res.object_names.values()
    ids = {v: k for k, v in res.object_names.items()}
    assert (res.object_index == ids["Cube"]).sum() > 4


def test_second_view_layer(tmp_path):
    scene = build_scene("persp", samples=1)
    layer = scene.view_layers.new("Depth Layer")
    res = render_depth_frame(
        scene, options=RenderOptions(view_layer=layer.name, keep_exr=str(tmp_path / "x.exr"))
    )
    names = exr_channel_names(tmp_path / "x.exr")
    assert "Depth Layer.Depth.Z" in names and not any(n.startswith("ViewLayer.") for n in names)
    tris, tri_ids, _ = scene_triangles(scene)
    depth, *_ = raycast(res.intrinsics, res.pose, tris, tri_ids)
    hit = np.isfinite(depth) & np.isfinite(res.depth)
    assert np.median(np.abs(res.depth[hit] / depth[hit] - 1)) < 1e-4


def test_missing_tmp_dir_is_a_user_error(tmp_path):
    scene = build_scene("persp", samples=1)
    with pytest.raises(UserError, match="temporary folder does not exist"):
        render_depth_frame(scene, options=RenderOptions(tmp_dir=str(tmp_path / "nope")))


def test_object_mask_and_depth_range_match_the_ray_cast():
    scene = build_scene("persp", samples=1)
    res = render_depth_frame(scene, options=RenderOptions(outputs=frozenset({"depth", "object_index"})))
    tris, tri_ids, names = scene_triangles(scene)
    depth, ids, *_ = raycast(res.intrinsics, res.pose, tris, tri_ids)
    sphere = ids == names.index("Sphere")
    mask = res.object_mask(["Sphere"])
    assert np.array_equal(mask[interior(ids)], sphere[interior(ids)])
    lo, hi = res.depth_range(["Sphere"])
    assert lo == pytest.approx(depth[sphere].min(), rel=1e-3) and hi == pytest.approx(
        depth[sphere].max(), rel=1e-3
    )
    assert res.depth_range(["Nothing"]) is None
    plain = render_depth_frame(scene, options=RenderOptions(outputs=frozenset({"depth"})))
    with pytest.raises(UserError, match="object index"):
        plain.object_mask(["Sphere"])


def test_animation_frames_come_one_by_one_and_the_frame_is_restored():
    from blender_addon.render import render_depth_frames

    scene = build_scene("persp", samples=1)
    sphere = scene.objects["Sphere"]
    sphere.keyframe_insert("location", frame=1)
    away = scene.camera.matrix_world.to_3x3().normalized() @ Vector((0.0, 0.0, -1.0))  # along the view
    sphere.location = sphere.location + away
    sphere.keyframe_insert("location", frame=3)
    scene.frame_set(2)
    got = [
        (r.frame, r.depth_range(["Sphere"]))
        for r in render_depth_frames(
            scene, [1, 3], RenderOptions(outputs=frozenset({"depth", "object_index"}))
        )
    ]
    assert [f for f, _ in got] == [1, 3]
    assert got[1][1][0] == pytest.approx(got[0][1][0] + 1.0, rel=1e-2)  # moved 1 unit away from the camera
    assert scene.frame_current == 2


def test_blender_5_refuses_non_square_pixels_with_a_clear_message():
    if bpy.app.version < (5, 0, 0):
        pytest.skip("only Blender 5.0 fails to save multilayer EXR with non-square pixels")
    scene = build_scene("pixel_aspect", samples=1)
    with pytest.raises(UserError, match="non-square pixels"):
        render_depth_frame(scene)
