"""Post-processing against the published formulas: MiDaS (controlnet_aux) maps, Metric3D rescale, DepthPro focal."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthcore.estimators.canonical_camera import VIT_INPUT_SIZE, canonical_to_metric, crop_pad, fit, pad_image
from depthcore.estimators.controlnet_midas import midas_grey, midas_normal, pad64_size, round64_size, sobel
from depthcore.estimators.fov import depth_pro_depth, focal_from_fov, fov_from_focal
from depthcore.estimators.imaging import keep_aspect_size


def _reflect101(i: int, n: int) -> int:
    """OpenCV BORDER_REFLECT_101 index (gfedcb|abcdefgh|gfedcba)."""
    if i < 0:
        return -i
    if i >= n:
        return 2 * n - 2 - i
    return i


def _sobel_loop(img: np.ndarray, dx: int) -> np.ndarray:
    """cv2.Sobel(img, CV_32F, dx, 1-dx, ksize=3) written out pixel by pixel (correlation, REFLECT_101)."""
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
    k = kx if dx else kx.T
    h, w = img.shape
    out = np.zeros((h, w), np.float64)
    for r in range(h):
        for c in range(w):
            s = 0.0
            for i in range(3):
                for j in range(3):
                    s += k[i, j] * img[_reflect101(r + i - 1, h), _reflect101(c + j - 1, w)]
            out[r, c] = s
    return out


def _controlnet_aux_normal(depth: np.ndarray, a: float, bg_th: float) -> np.ndarray:
    """controlnet_aux MidasDetector's normal-map lines, with the Sobel written out by hand."""
    depth_pt = depth.copy()
    depth_pt -= np.min(depth_pt)
    depth_pt /= np.max(depth_pt)
    x = _sobel_loop(depth, 1).astype(np.float32)
    y = _sobel_loop(depth, 0).astype(np.float32)
    z = np.ones_like(x) * a
    x[depth_pt < bg_th] = 0
    y[depth_pt < bg_th] = 0
    normal = np.stack([x, y, z], axis=2)
    normal /= np.sum(normal**2.0, axis=2, keepdims=True) ** 0.5
    return (normal * 127.5 + 127.5).clip(0, 255).astype(np.uint8)[:, :, ::-1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_midas_normal_matches_controlnet_aux_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    raw = (rng.random((13, 17)) * rng.uniform(0.5, 30)).astype(np.float32)
    for a, bg in ((2 * math.pi, 0.1), (0.5, 0.4), (5 * math.pi, 0.0)):
        ours = midas_normal(raw, a, bg)
        ref = _controlnet_aux_normal(raw, a, bg)
        assert ours.dtype == np.uint8 and ours.shape == (13, 17, 3)
        # float32 summation order may flip a value sitting exactly on a .5 boundary: at most 1 level
        assert np.abs(ours.astype(int) - ref.astype(int)).max() <= 1
        assert np.mean(ours == ref) > 0.99


def test_sobel_on_a_ramp_is_eight_times_the_slope_inside_and_zero_at_reflected_edges() -> None:
    v, u = np.mgrid[0:6, 0:7].astype(np.float32)
    ramp = 2.0 * u + 3.0 * v
    gx, gy = sobel(ramp, 1), sobel(ramp, 0)
    assert np.allclose(gx[:, 1:-1], 16.0) and np.allclose(gx[:, [0, -1]], 0.0)
    assert np.allclose(gy[1:-1, :], 24.0) and np.allclose(gy[[0, -1], :], 0.0)


def test_midas_normal_of_a_ramp_is_the_analytic_unit_vector() -> None:
    _v, u = np.mgrid[0:6, 0:7].astype(np.float32)
    raw = 1.0 + 0.5 * u  # slope 0.5/px -> Sobel x = 4
    n = midas_normal(raw, a=3.0, bg_threshold=0.0)
    ref = np.array([4.0, 0.0, 3.0]) / 5.0  # (x, y, z), then channels reversed
    expect = (ref * 127.5 + 127.5).clip(0, 255).astype(np.uint8)[::-1]
    assert (n[2, 3] == expect).all()
    bg = midas_normal(raw, a=3.0, bg_threshold=0.5)  # left half is background: x, y zeroed -> (0, 0, 1)
    assert (bg[2, 0] == np.array([255, 127, 127], np.uint8)).all()


def test_midas_grey_is_truncated_min_max() -> None:
    raw = np.array([[2.0, 3.0], [4.0, 6.0]], np.float32)
    assert midas_grey(raw).tolist() == [[0, 63], [127, 255]]


def test_controlnet_sizing_modes() -> None:
    assert round64_size(480, 640, 512) == (512, 704)  # 682.67 -> 11*64
    assert round64_size(1080, 1920, 512) == (512, 896)  # 910.2 -> 14*64
    ht, wt, ph, pw = pad64_size(480, 640, 512)
    assert (ht, wt) == (512, 683) and (ht + ph) % 64 == 0 and (wt + pw) % 64 == 0 and (ph, pw) == (0, 21)


def test_depth_anything_keep_aspect_sizing() -> None:
    # transformers' DPT rule: scale as little as possible, round to multiples of 14
    assert keep_aspect_size(480, 640, 518, 518, 14) == (518, 686)
    assert keep_aspect_size(1080, 1920, 518, 518, 14) == (518, 924)


def test_metric3d_canonical_rescale() -> None:
    f = fit(480, 640, VIT_INPUT_SIZE)
    s = min(616 / 480, 1064 / 640)
    assert f.scale == pytest.approx(s) and f.resized == (int(480 * s), int(640 * s))
    top, bottom, left, right = f.pad
    assert top + bottom + f.resized[0] == 616 and left + right + f.resized[1] == 1064
    assert 0 <= bottom - top <= 1 and 0 <= right - left <= 1
    padded = pad_image(np.zeros((*f.resized, 3), np.float32), f)
    assert padded.shape == (616, 1064, 3) and np.allclose(padded[0, 0], (123.675, 116.28, 103.53))
    assert crop_pad(np.zeros((616, 1064)), f).shape == f.resized
    canon = np.full((480, 640), 10.0, np.float32)
    fx = 720.0
    assert np.allclose(canonical_to_metric(canon, fx, f), 10.0 * fx * s / 1000.0)
    assert canonical_to_metric(np.full((2, 2), 1e6, np.float32), fx, f).max() == 300.0


def test_depth_pro_focal_and_depth() -> None:
    w = 640
    f = focal_from_fov(60.0, w)
    assert f == pytest.approx(0.5 * w / math.tan(math.radians(30.0)))
    assert fov_from_focal(f, w) == pytest.approx(60.0)
    inv = np.array([[0.5, 2.0], [1e-9, 1e9]], np.float32)
    d = depth_pro_depth(inv, f, w)
    assert d[0, 0] == pytest.approx(1.0 / (0.5 * w / f), rel=1e-6)
    assert d[0, 1] == pytest.approx(1.0 / (2.0 * w / f), rel=1e-6)
    assert d[1, 0] == pytest.approx(1e4) and d[1, 1] == pytest.approx(1e-4)
