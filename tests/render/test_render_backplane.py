"""The backplane covers every corner of the frame at its depth, for every camera setup."""

from __future__ import annotations

import numpy as np
import pytest
from render_scenes import CAMERAS, build_scene, skip_unsupported

from blender_addon.render import RenderOptions, render_depth_frame
from depthcore.errors import UserError

CORNERS = ((0, 0), (0, -1), (-1, 0), (-1, -1))


@pytest.mark.parametrize("camera", sorted(CAMERAS))
@pytest.mark.parametrize("margin", [0.0, 0.05])
def test_explicit_backplane_covers_the_whole_frame(camera, margin):
    skip_unsupported(camera)
    scene = build_scene(camera, samples=2, objects=("Cube",))
    res = render_depth_frame(
        scene,
        options=RenderOptions(
            outputs=frozenset({"depth", "distance"}), backplane=30.0, backplane_margin=margin
        ),
    )
    assert res.backplane_depth == 30.0
    for y, x in CORNERS:
        assert res.depth[y, x] == pytest.approx(30.0, rel=1e-5), (camera, y, x)
        assert res.background[y, x]
    # With the plane behind everything no ray escapes: no infinite depth or distance anywhere.
    assert np.isfinite(res.depth).all() and np.isfinite(res.distance).all()
    assert res.depth.max() == pytest.approx(30.0, rel=1e-5)
    # Objects in front stay foreground.
    assert 0.02 < (~res.background).mean() < 0.9


@pytest.mark.parametrize("camera", ["persp", "ortho", "wide_shift", "portrait_vertical"])
def test_auto_backplane_sits_just_beyond_the_farthest_visible_object(camera):
    scene = build_scene(camera, samples=2, objects=("Cube", "Sphere"))
    plain = render_depth_frame(scene, options=RenderOptions(outputs=frozenset({"depth"})))
    res = render_depth_frame(scene, options=RenderOptions(outputs=frozenset({"depth"}), backplane="auto"))
    farthest = plain.depth[np.isfinite(plain.depth)].max()
    assert farthest < res.backplane_depth < 2.0 * farthest + 1.0
    assert np.isfinite(res.depth).all()
    # Every pixel that saw an object still sees it; the rest see the backplane and are background.
    hit = np.isfinite(plain.depth)
    np.testing.assert_array_equal(res.depth[hit], plain.depth[hit])
    assert np.all(res.background == ~hit)
    for y, x in CORNERS:
        assert res.depth[y, x] == pytest.approx(res.backplane_depth, rel=1e-5) or hit[y, x]


def test_backplane_does_not_change_the_lighting_of_objects():
    scene = build_scene("persp", samples=4, objects=("Cube", "Sphere"))
    import bpy

    bpy.ops.object.light_add(type="SUN", rotation=(0.5, 0.2, 0.0))
    plain = render_depth_frame(scene, options=RenderOptions(outputs=frozenset({"depth", "color"})))
    res = render_depth_frame(
        scene, options=RenderOptions(outputs=frozenset({"depth", "color"}), backplane=40.0)
    )
    assert np.isinf(plain.depth).mean() > 0.3 and np.isfinite(res.depth).all()
    # No shadows or bounce light from the plane, and it is as black as the empty world: same pixels.
    np.testing.assert_array_equal(res.color, plain.color)


def test_backplane_outside_the_clip_range_is_a_user_error():
    scene = build_scene("persp", samples=1)
    with pytest.raises(UserError, match="clip range"):
        render_depth_frame(scene, options=RenderOptions(backplane=1000.0))
    with pytest.raises(UserError, match="'auto'"):
        render_depth_frame(scene, options=RenderOptions(backplane="far"))


def test_auto_backplane_ignores_objects_outside_the_frame():
    import bpy
    from mathutils import Matrix

    scene = build_scene("persp", samples=1, objects=("Cube",))
    base = render_depth_frame(scene, options=RenderOptions(backplane="auto")).backplane_depth
    cam = scene.camera.matrix_world.normalized()
    for name, at in (("Behind", (0, 0, 40.0)), ("Aside", (60.0, 0, -30.0)), ("Beyond", (0, 0, -150.0))):
        bpy.ops.mesh.primitive_cube_add(size=2.0)
        ob = bpy.context.active_object
        ob.name = name
        ob.matrix_world = cam @ Matrix.Translation(at)
    res = render_depth_frame(scene, options=RenderOptions(backplane="auto"))
    assert res.backplane_depth == pytest.approx(base)  # behind, beside, beyond clip_end: none count
    bpy.ops.mesh.primitive_cube_add(size=2.0)
    bpy.context.active_object.matrix_world = cam @ Matrix.Translation((0.5, 0, -30.0))
    pushed = render_depth_frame(scene, options=RenderOptions(backplane="auto")).backplane_depth
    assert pushed == pytest.approx(31.0 * 1.01)  # a visible one does
