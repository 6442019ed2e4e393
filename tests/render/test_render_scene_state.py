"""The user's scene is exactly as before after a render: on success, error, KeyboardInterrupt and cancel."""

from __future__ import annotations

import bpy
import pytest
from render_scenes import build_scene
from render_snapshot import diff, snapshot

from blender_addon.render import RenderCancelled, RenderOptions, preserved_scene, render_depth_frame
from blender_addon.render import frame as frame_mod
from blender_addon.render import passes as passes_mod
from depthcore.errors import UserError

ALL = frozenset({"depth", "distance", "object_index", "color", "normal"})


def busy_scene() -> bpy.types.Scene:
    """A scene whose settings all differ from what the depth render needs."""
    scene = build_scene("persp", samples=3)
    r = scene.render
    r.engine = "BLENDER_EEVEE" if bpy.app.version >= (5, 0, 0) else "BLENDER_EEVEE_NEXT"
    r.resolution_percentage = 50
    r.filepath = "//renders/shot_"
    r.use_file_extension = True
    r.image_settings.file_format = "PNG"
    r.image_settings.color_depth = "8"
    r.image_settings.color_mode = "RGB"
    r.use_border = True
    r.border_max_x = 0.5
    r.use_motion_blur = True
    r.use_multiview = True  # stereo 3D
    scene.cycles.samples = 7
    scene.cycles.use_denoising = True
    world = bpy.data.worlds.new("UserWorld")
    world.mist_settings.start = 2.0
    world.mist_settings.depth = 7.0
    world.mist_settings.falloff = "QUADRATIC"
    scene.world = world
    scene.use_nodes = True  # default compositor: Render Layers -> Composite
    scene.view_layers.new("Second").use_pass_normal = True  # switched off while the first one renders
    layer = scene.view_layers[0]
    layer.use_pass_z = False
    layer.use_pass_mist = False
    scene.camera.data.dof.use_dof = True
    scene.camera.data.dof.focus_distance = 3.0
    for i, ob in enumerate(scene.objects):
        ob.pass_index = 40 + i
    cube = scene.objects["Cube"]
    cube.keyframe_insert("location", frame=1)
    cube.location.x += 1.0
    cube.keyframe_insert("location", frame=10)
    scene.frame_set(3)
    return scene


def test_success_leaves_the_scene_unchanged(tmp_path):
    scene = busy_scene()
    before = snapshot(scene)
    res = render_depth_frame(
        scene,
        frame=7,
        options=RenderOptions(
            outputs=ALL, backplane="auto", samples=2, resolution=(32, 24), tmp_dir=str(tmp_path)
        ),
    )
    assert res.frame == 7 and res.depth.shape == (24, 32)
    assert diff(before, snapshot(scene)) == []
    assert list(tmp_path.iterdir()) == []  # the temporary EXR is gone


def test_success_uses_the_scene_settings_it_restores():
    scene = busy_scene()
    res = render_depth_frame(scene, options=RenderOptions(outputs=frozenset({"depth"})))
    assert res.depth.shape == (24, 32)  # 64x48 at the scene's 50 %
    assert res.frame == 3


@pytest.mark.parametrize("exc", [RuntimeError("EXR read failed"), KeyboardInterrupt()])
def test_failure_mid_render_restores_everything(monkeypatch, tmp_path, exc):
    scene = busy_scene()
    before = snapshot(scene)
    seen = {}

    def failing_read(path, layer, outputs):
        seen["backplane"] = "depthcore_backplane" in bpy.data.objects  # really mid-render
        seen["file"] = path.is_file()
        raise exc

    monkeypatch.setattr(passes_mod, "read_passes", failing_read)
    with pytest.raises(type(exc)):
        render_depth_frame(
            scene, frame=9, options=RenderOptions(outputs=ALL, backplane="auto", tmp_dir=str(tmp_path))
        )
    assert seen == {"backplane": True, "file": True}
    assert diff(before, snapshot(scene)) == []
    assert list(tmp_path.iterdir()) == []


def test_cancelled_render_restores_everything(monkeypatch):
    scene = busy_scene()
    before = snapshot(scene)
    real = frame_mod._run_render

    def cancelled(scene, layer):
        real(scene, layer)  # Blender rendered part of it, then the user pressed ESC
        return {"CANCELLED"}

    monkeypatch.setattr(frame_mod, "_run_render", cancelled)
    with pytest.raises(RenderCancelled):
        render_depth_frame(scene, options=RenderOptions(outputs=ALL, backplane=20.0))
    assert diff(before, snapshot(scene)) == []


def test_user_errors_leave_the_scene_unchanged():
    scene = busy_scene()
    before = snapshot(scene)
    with pytest.raises(UserError, match="no view layer 'Nope'"):
        render_depth_frame(scene, options=RenderOptions(view_layer="Nope"))
    with pytest.raises(UserError, match="clip range"):
        render_depth_frame(scene, options=RenderOptions(backplane=0.0))
    with pytest.raises(UserError, match="unknown output"):
        render_depth_frame(scene, options=RenderOptions(outputs=frozenset({"depth", "zdepth"})))
    assert diff(before, snapshot(scene)) == []


def test_no_camera_is_a_user_error():
    scene = build_scene("persp", samples=1)
    scene.camera = None
    with pytest.raises(UserError, match="no active camera"):
        render_depth_frame(scene)


def test_render_result_image_does_not_leak():
    scene = build_scene("persp", samples=1)
    assert "Render Result" not in bpy.data.images
    render_depth_frame(scene)
    assert "Render Result" not in bpy.data.images


def test_preserved_scene_keeps_what_it_is_told_to_keep():
    scene = build_scene("persp", samples=1)
    with preserved_scene(scene) as state:
        state.set(scene.render, "resolution_x", 11)
        temp = bpy.data.images.new("temp", 4, 4)
        result = bpy.data.images.new("depth result", 4, 4)
        state.keep(result)
        del temp
    assert scene.render.resolution_x == 64
    assert "temp" not in bpy.data.images and "depth result" in bpy.data.images


def test_scene_without_world_gets_none_back():
    scene = build_scene("ortho", samples=1)
    assert scene.world is None
    before = snapshot(scene)
    render_depth_frame(scene, options=RenderOptions(outputs=ALL))
    assert scene.world is None and not bpy.data.worlds
    assert diff(before, snapshot(scene)) == []


def test_snapshot_sees_what_a_render_changes():
    """The comparison above can fail: changes like the render core's show up in the snapshot."""
    scene = busy_scene()
    before = snapshot(scene)
    scene.view_layers[0].use_pass_mist = True
    scene.world.mist_settings.falloff = "LINEAR"
    scene.render.image_settings.file_format = "OPEN_EXR"
    scene.objects["Cube"].pass_index = 1
    bpy.data.objects.new("depthcore_backplane", None)
    changed = "\n".join(diff(before, snapshot(scene)))
    for what in ("use_pass_mist", "falloff", "file_format", "Cube.pass_index", "depthcore_backplane"):
        assert what in changed


def test_undo_and_redo_work_across_a_render():
    scene = build_scene("persp", samples=1)
    x0 = scene.objects["Cube"].location.x
    bpy.ops.ed.undo_push(message="scene built")
    scene.objects["Cube"].location.x = x0 + 5.0
    bpy.ops.ed.undo_push(message="move cube")
    before = snapshot(scene)
    render_depth_frame(scene, options=RenderOptions(outputs=ALL, backplane="auto"))
    assert diff(before, snapshot(bpy.context.scene)) == []
    bpy.ops.ed.undo()  # the render added no undo step: one undo reverts the move
    scene = bpy.context.scene
    assert scene.objects["Cube"].location.x == pytest.approx(x0)
    assert "depthcore_backplane" not in bpy.data.objects
    bpy.ops.ed.redo()
    scene = bpy.context.scene
    assert scene.objects["Cube"].location.x == pytest.approx(x0 + 5.0)
    assert diff(before, snapshot(scene)) == []


def test_a_chosen_output_colour_space_survives():
    scene = busy_scene()
    linear = getattr(scene.render.image_settings, "linear_colorspace_settings", None)
    if linear is None:
        pytest.skip("this Blender has no per-format colour space (before 4.5)")
    linear.name = "Non-Color"
    render_depth_frame(scene, options=RenderOptions(samples=1))
    assert linear.name == "Non-Color"
