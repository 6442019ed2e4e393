"""Metrics on cases with known answers, and TAE on a synthetic camera animation with exact poses."""

from __future__ import annotations

import numpy as np
import pytest

from depthcore.camera import Intrinsics
from depthcore.errors import UserError
from depthcore.eval import depth_metrics, evaluate, fit_scale_shift, tae

K = Intrinsics(60.0, 60.0, 31.5, 23.5, 64, 48)


def _gt() -> np.ndarray:
    y, x = np.mgrid[0:48, 0:64]
    gt = 2.0 + 0.05 * x + 0.03 * y
    gt[:5] = 1e10  # background rows
    return gt.astype(np.float32)


def test_perfect_prediction_scores_zero() -> None:
    gt = _gt()
    r = evaluate(gt.copy(), gt, kind="depth", align="none")
    assert r.abs_rel == 0 and r.rmse == 0 and r.delta1 == 1.0 and r.pixels == 43 * 64


def test_known_scale_and_shift_are_recovered_exactly() -> None:
    gt = _gt()
    r = evaluate(0.5 * gt - 0.25, gt, kind="depth", align="scale-shift")
    assert r.scale == pytest.approx(2.0, rel=1e-6) and r.shift == pytest.approx(0.5, rel=1e-5)
    assert r.abs_rel < 1e-6 and r.rmse < 1e-5
    r = evaluate(3.0 * gt, gt, kind="depth", align="scale")
    assert r.scale == pytest.approx(1 / 3, rel=1e-6) and r.shift == 0.0 and r.abs_rel < 1e-6
    disp = 4.0 / gt.astype(np.float64) + 0.3  # relative disparity, as MiDaS-like models give
    r = evaluate(disp.astype(np.float32), gt, kind="disparity", align="scale-shift")
    assert r.space == "disparity" and r.scale == pytest.approx(0.25, rel=1e-5)
    assert r.shift == pytest.approx(-0.075, rel=1e-4) and r.abs_rel < 1e-5


def test_metrics_on_a_known_error() -> None:
    gt = np.array([[1.0, 2.0], [4.0, 8.0]])
    pred = gt * np.array([[1.1, 1.3], [1.0, 0.5]])
    abs_rel, delta1, rmse = depth_metrics(pred, gt, np.ones_like(gt, bool))
    assert abs_rel == pytest.approx((0.1 + 0.3 + 0 + 0.5) / 4)
    assert delta1 == pytest.approx(0.5)  # 1.1 and 1.0 pass, 1.3 and 2.0 fail
    assert rmse == pytest.approx(np.sqrt((0.1**2 + 0.6**2 + 0 + 4**2) / 4))


def test_no_alignment_pixels_is_a_user_error() -> None:
    with pytest.raises(UserError):
        fit_scale_shift(np.array([]), np.array([]))
    with pytest.raises(UserError):
        evaluate(np.ones((2, 2)), np.full((2, 3), 1.0))


def _render_plane_sequence(n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Planar depth of a fronto-parallel wall at z=5 seen by a camera sliding along x (OpenCV poses)."""
    depths, poses = [], []
    for i in range(n):
        c2w = np.eye(4)
        c2w[0, 3] = 0.05 * i
        c2w[2, 3] = 0.02 * i  # moving towards the wall
        depths.append(np.full((48, 64), 5.0 - 0.02 * i, np.float32))
        poses.append(c2w)
    return depths, poses


def test_tae_is_zero_for_consistent_depth_and_grows_with_flicker() -> None:
    gt, poses = _render_plane_sequence(6)
    disp = [(2.0 / d + 0.1).astype(np.float32) for d in gt]  # one global scale/shift: consistent
    assert tae(disp, gt, K, poses, kind="disparity") == pytest.approx(0.0, abs=1e-4)
    rng = np.random.default_rng(0)
    flicker = [d * rng.uniform(0.8, 1.2) for d in disp]
    assert tae(flicker, gt, K, poses, kind="disparity") > 0.1


def test_tae_known_answer() -> None:
    gt, poses = _render_plane_sequence(2)  # wall at 5.0 then 4.98 (camera moved 0.02 towards it)
    pred = [gt[0].copy(), gt[1] * 1.1]  # second frame 10% too far
    forward = abs(5.0 - 0.02 - 1.1 * 4.98) / (1.1 * 4.98)
    backward = abs(1.1 * 4.98 + 0.02 - 5.0) / 5.0
    expect = (forward + backward) / 2 * 100
    assert tae(pred, gt, K, poses, kind="depth", align="none") == pytest.approx(expect, rel=1e-4)
    metric = [d.copy() for d in gt]
    assert tae(metric, gt, K, poses, kind="depth", align="none") == pytest.approx(0.0, abs=1e-4)


def test_eval_cli_single_and_tae(tmp_path, capsys) -> None:
    import json

    from depthcore.camera import write_camera_json
    from depthcore.cli.main import main
    from depthcore.io import write_exr

    gt, poses = _render_plane_sequence(3)
    for d in ("pred", "gt", "cams"):
        (tmp_path / d).mkdir()
    for i, (g, c2w_cv) in enumerate(zip(gt, poses)):
        write_exr(tmp_path / "gt" / f"{i:04d}.exr", {"Z": g})
        write_exr(tmp_path / "pred" / f"{i:04d}.exr", {"disparity": 2.0 / g + 0.1}, {"kind": "disparity"})
        write_camera_json(tmp_path / "cams" / f"{i:04d}.json", K, c2w_cv @ np.diag([1.0, -1.0, -1.0, 1.0]))
    assert main(["eval", str(tmp_path / "pred" / "0001.exr"), str(tmp_path / "gt" / "0001.exr"), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["align"] == "scale-shift" and r["space"] == "disparity" and r["abs_rel"] < 1e-5
    assert (
        main(
            [
                "eval",
                str(tmp_path / "pred"),
                str(tmp_path / "gt"),
                "--tae",
                "--cameras",
                str(tmp_path / "cams"),
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["tae"] == pytest.approx(0.0, abs=1e-3)
    assert main(["eval", str(tmp_path / "pred"), str(tmp_path / "gt"), "--tae"]) == 2
    assert "--cameras" in capsys.readouterr().err
