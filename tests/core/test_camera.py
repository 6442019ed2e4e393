"""depthcore.camera without Blender: K for known cameras, exact depth <-> distance round trip, JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depthcore.camera import (
    PIXEL_CENTRE_CONVENTION,
    Intrinsics,
    blender_to_opencv_pose,
    depth_to_distance,
    distance_to_depth,
    field_of_view,
    points_from_depth,
    read_camera_json,
    write_camera_json,
)
from depthcore.errors import UserError


def test_k_default_blender_camera_full_hd():
    K = Intrinsics.from_blender(lens=50, sensor_width=36, resolution_x=1920, resolution_y=1080)
    np.testing.assert_allclose(K.K, [[50 * 1920 / 36, 0, 959.5], [0, 50 * 1920 / 36, 539.5], [0, 0, 1]])


def test_k_percentage_halves_resolution():
    K = Intrinsics.from_blender(lens=50, sensor_width=36, resolution_x=1920, resolution_y=1080, percentage=50)
    assert (K.width, K.height) == (960, 540)
    assert K.fx == pytest.approx(50 * 960 / 36) and K.cx == 479.5


def test_k_auto_fit_portrait_puts_sensor_width_on_the_height():
    K = Intrinsics.from_blender(
        lens=35, sensor_width=36, sensor_height=24, resolution_x=600, resolution_y=800
    )
    assert K.fx == pytest.approx(35 * 800 / 36) and K.fy == K.fx


def test_k_vertical_fit_uses_sensor_height():
    K = Intrinsics.from_blender(
        lens=50, sensor_height=24, sensor_fit="VERTICAL", resolution_x=1920, resolution_y=1080
    )
    assert K.fx == pytest.approx(50 * 1080 / 24)


def test_k_horizontal_fit_landscape_and_portrait():
    K = Intrinsics.from_blender(
        lens=50, sensor_width=36, sensor_fit="HORIZONTAL", resolution_x=100, resolution_y=300
    )
    assert K.fx == pytest.approx(50 * 100 / 36)


def test_k_shift_moves_principal_point_by_fraction_of_fitted_side():
    K = Intrinsics.from_blender(lens=50, resolution_x=1000, resolution_y=500, shift_x=0.1, shift_y=-0.2)
    assert K.cx == pytest.approx(499.5 - 100) and K.cy == pytest.approx(249.5 - 200)


def test_k_pixel_aspect():
    # Pixels twice as tall as wide: fy is half of fx; the horizontal fit uses the pixel widths.
    K = Intrinsics.from_blender(
        lens=50, sensor_width=36, resolution_x=400, resolution_y=100, pixel_aspect_x=1, pixel_aspect_y=2
    )
    assert K.fx == pytest.approx(50 * 400 / 36) and K.fy == pytest.approx(K.fx / 2)


def test_k_orthographic_is_pixels_per_unit():
    K = Intrinsics.from_blender(type="ORTHO", ortho_scale=6.0, resolution_x=600, resolution_y=300)
    assert K.fx == pytest.approx(100.0) and K.fy == pytest.approx(100.0) and K.projection == "ORTHO"


def test_field_of_view_of_90_degree_lens():
    K = Intrinsics.from_blender(lens=18, sensor_width=36, resolution_x=64, resolution_y=64)
    assert field_of_view(K)[0] == pytest.approx(math.pi / 2)


def test_bad_camera_numbers_are_user_errors():
    with pytest.raises(UserError, match="resolution"):
        Intrinsics.from_blender(resolution_x=0)
    with pytest.raises(UserError, match="PANO"):
        Intrinsics.from_blender(type="PANO")
    with pytest.raises(UserError, match="sensor fit"):
        Intrinsics.from_blender(sensor_fit="DIAGONAL")


def test_distance_of_known_pixels():
    K = Intrinsics(fx=10.0, fy=20.0, cx=1.0, cy=1.0, width=3, height=3)
    depth = np.full((3, 3), 2.0, dtype=np.float32)
    dist = depth_to_distance(depth, K)
    assert dist[1, 1] == 2.0  # the principal point
    assert dist[0, 2] == pytest.approx(2.0 * math.sqrt(1 + 0.1**2 + 0.05**2), rel=1e-7)


def test_orthographic_distance_equals_depth():
    K = Intrinsics.from_blender(type="ORTHO", resolution_x=8, resolution_y=4)
    depth = np.linspace(1, 2, 32, dtype=np.float32).reshape(4, 8)
    np.testing.assert_array_equal(depth_to_distance(depth, K), depth)


@settings(max_examples=40, deadline=None)
@given(
    lens=st.floats(8, 300),
    shift=st.floats(-1, 1),
    w=st.integers(1, 40),
    h=st.integers(1, 40),
    seed=st.integers(0, 2**31),
)
def test_round_trip_depth_distance_depth_is_exact_to_float32(lens, shift, w, h, seed):
    K = Intrinsics.from_blender(lens=lens, shift_x=shift, shift_y=-shift, resolution_x=w, resolution_y=h)
    depth = np.random.default_rng(seed).uniform(0.01, 1e4, (h, w)).astype(np.float32)
    back = distance_to_depth(depth_to_distance(depth, K), K)
    assert np.all(np.abs(back - depth) <= np.spacing(depth))  # at most one float32 ulp
    dist = depth_to_distance(depth, K)
    assert np.all(dist >= depth)


def test_non_finite_values_pass_through():
    K = Intrinsics.from_blender(resolution_x=2, resolution_y=2)
    depth = np.array([[np.inf, np.nan], [1.0, 2.0]], dtype=np.float32)
    dist = depth_to_distance(depth, K)
    assert np.isinf(dist[0, 0]) and np.isnan(dist[0, 1])
    assert np.isinf(distance_to_depth(dist, K)[0, 0])


def test_shape_mismatch_is_user_error():
    K = Intrinsics.from_blender(resolution_x=4, resolution_y=3)
    with pytest.raises(UserError, match="4x3"):
        depth_to_distance(np.ones((4, 3)), K)


def test_frustum_corners_project_to_the_outer_pixel_edges():
    K = Intrinsics.from_blender(
        lens=24, shift_x=0.2, shift_y=0.1, resolution_x=64, resolution_y=48, sensor_fit="VERTICAL"
    )
    corners = K.frustum_corners(7.0)
    assert np.all(corners[:, 2] == -7.0)
    # Blender camera axes -> pixels: u = fx*x/d + cx, v = -fy*y/d + cy.
    u = K.fx * corners[:, 0] / 7.0 + K.cx
    v = -K.fy * corners[:, 1] / 7.0 + K.cy
    np.testing.assert_allclose(u, [-0.5, 63.5, 63.5, -0.5], atol=1e-9)
    np.testing.assert_allclose(v, [-0.5, -0.5, 47.5, 47.5], atol=1e-9)
    grown = K.frustum_corners(7.0, margin=0.1)
    assert grown[1, 0] - grown[0, 0] == pytest.approx(1.2 * (corners[1, 0] - corners[0, 0]))


def test_orthographic_frustum_does_not_grow_with_depth():
    K = Intrinsics.from_blender(type="ORTHO", ortho_scale=4, resolution_x=40, resolution_y=20)
    np.testing.assert_allclose(K.frustum_corners(1.0)[:, :2], K.frustum_corners(50.0)[:, :2])
    assert K.frustum_corners(1.0)[1, 0] - K.frustum_corners(1.0)[0, 0] == pytest.approx(4.0)


def test_points_from_depth_reproject_to_their_pixels():
    K = Intrinsics.from_blender(lens=30, shift_x=0.05, resolution_x=6, resolution_y=4)
    depth = np.arange(1, 25, dtype=np.float32).reshape(4, 6)
    pts = points_from_depth(depth, K).astype(np.float64)
    u = K.fx * pts[..., 0] / pts[..., 2] + K.cx
    v = K.fy * pts[..., 1] / pts[..., 2] + K.cy
    uu, vv = K.pixel_grid()
    np.testing.assert_allclose(u, uu, atol=1e-4)
    np.testing.assert_allclose(v, vv, atol=1e-4)


def test_json_round_trip_and_convention_is_stated(tmp_path):
    K = Intrinsics.from_blender(lens=35, shift_x=0.1, resolution_x=64, resolution_y=32)
    assert Intrinsics.from_json(K.to_json()) == K
    pose = np.eye(4)
    pose[:3, 3] = (1, 2, 3)
    path = tmp_path / "camera.json"
    write_camera_json(path, K, pose)
    rec = json.loads(path.read_text())
    assert rec["intrinsics"]["convention"] == PIXEL_CENTRE_CONVENTION
    assert "cx = (W-1)/2" in rec["intrinsics"]["convention"]
    assert rec["units"] == "m"
    K2, pose2 = read_camera_json(path)
    assert K2 == K
    np.testing.assert_array_equal(pose2, pose)
    np.testing.assert_array_equal(rec["camera_to_world_opencv"], blender_to_opencv_pose(pose))


def test_bad_camera_json_names_the_file(tmp_path):
    bad = tmp_path / "cam.json"
    bad.write_text("{not json")
    with pytest.raises(UserError) as err:
        read_camera_json(bad)
    assert str(bad) in str(err.value)
    bad.write_text(json.dumps({"intrinsics": {"fx": 1}}))
    with pytest.raises(UserError, match=r"cam\.json"):
        read_camera_json(bad)


def test_opencv_pose_flips_y_and_z():
    c2w = blender_to_opencv_pose(np.eye(4))
    np.testing.assert_array_equal(np.diag(c2w), [1, -1, -1, 1])


@pytest.mark.parametrize("projection", ["PERSP", "ORTHO"])
def test_project_inverts_points_from_depth(projection):
    K = Intrinsics(40.0, 42.0, 9.5, 6.0, 20, 12, projection)
    depth = np.random.default_rng(1).uniform(1.0, 5.0, (12, 20))
    u, v = K.project(points_from_depth(depth, K))
    gu, gv = K.pixel_grid()
    np.testing.assert_allclose(u, gu, atol=1e-4)
    np.testing.assert_allclose(v, gv, atol=1e-4)


def test_resized_keeps_pixel_centres_and_field_of_view():
    K = Intrinsics(100.0, 100.0, 63.5, 47.5, 128, 96)
    half = K.resized(64, 48)
    assert (half.fx, half.cx, half.cy, half.width) == (50.0, 31.5, 23.5, 64)
    assert field_of_view(half) == pytest.approx(field_of_view(K))
