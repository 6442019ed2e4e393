"""Accuracy of a depth prediction against rendered ground truth: AbsRel, delta1, RMSE, and TAE.

Relative predictions are aligned to the truth first, by least squares over valid pixels: disparity predictions
in disparity space (``s * pred + t ~ 1 / gt``, then inverted), depth predictions in depth space. ``scale``
aligns without shift. TAE (temporal alignment error, Video Depth Anything's definition): one global
scale/shift for the whole clip, then for each adjacent pair, frame i's depth reprojected into frame i+1 with the
known poses and intrinsics, AbsRel against frame i+1's depth, and the reverse; mean over 2(N-1) pairs, x100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .camera import Intrinsics, points_from_depth
from .errors import UserError

ALIGNMENTS = ("scale-shift", "scale", "none")


@dataclass
class EvalResult:
    abs_rel: float
    delta1: float
    rmse: float
    align: str
    space: str
    scale: float
    shift: float
    pixels: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def valid_mask(gt: np.ndarray, min_depth: float = 1e-3, max_depth: float | None = None) -> np.ndarray:
    """Pixels with usable truth: finite, > min_depth, below max_depth and below background markers (1e9)."""
    m = np.isfinite(gt) & (gt > min_depth) & (gt < 1e9)
    if max_depth is not None:
        m &= gt <= max_depth
    return m


def fit_scale_shift(x: np.ndarray, y: np.ndarray, with_shift: bool = True) -> tuple[float, float]:
    """Least-squares ``s, t`` minimising ``sum((s*x + t - y)^2)`` (t = 0 without shift)."""
    x = x.astype(np.float64).ravel()
    y = y.astype(np.float64).ravel()
    if x.size == 0:
        raise UserError("no valid pixels to align")
    if not with_shift:
        den = float(x @ x)
        return (float(x @ y) / den if den > 0 else 1.0), 0.0
    A = np.stack([x, np.ones_like(x)], axis=1)
    (s, t), *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(s), float(t)


def align_prediction(
    pred: np.ndarray, gt: np.ndarray, mask: np.ndarray, kind: str, align: str
) -> tuple[np.ndarray, float, float, str]:
    """Aligned depth prediction (float64), scale, shift and the space it was aligned in."""
    if align not in ALIGNMENTS:
        raise UserError(f"unknown alignment {align!r} (use {', '.join(ALIGNMENTS)})")
    pred = pred.astype(np.float64)
    if kind == "disparity":
        target = 1.0 / gt[mask]
        s, t = (1.0, 0.0) if align == "none" else fit_scale_shift(pred[mask], target, align == "scale-shift")
        disp = s * pred + t
        with np.errstate(divide="ignore", invalid="ignore"):
            depth = np.where(disp > 0, 1.0 / disp, np.inf)
        return depth, s, t, "disparity"
    s, t = (1.0, 0.0) if align == "none" else fit_scale_shift(pred[mask], gt[mask], align == "scale-shift")
    return s * pred + t, s, t, "depth"


def depth_metrics(pred_depth: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> tuple[float, float, float]:
    """AbsRel, delta1 (max ratio < 1.25) and RMSE over ``mask``."""
    p = pred_depth[mask].astype(np.float64)
    g = gt[mask].astype(np.float64)
    if p.size == 0:
        raise UserError("no valid pixels to evaluate")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.maximum(p / g, g / np.where(p > 0, p, np.nan))
    abs_rel = float(np.mean(np.abs(p - g) / g))
    delta1 = float(np.mean(np.nan_to_num(ratio, nan=np.inf) < 1.25))
    rmse = float(np.sqrt(np.mean((p - g) ** 2)))
    return abs_rel, delta1, rmse


def evaluate(
    pred: np.ndarray,
    gt: np.ndarray,
    *,
    kind: str = "depth",
    align: str = "scale-shift",
    min_depth: float = 1e-3,
    max_depth: float | None = None,
) -> EvalResult:
    """Compare one prediction (``kind`` "depth" or "disparity") with planar ground-truth depth."""
    if pred.shape != gt.shape:
        raise UserError(f"prediction is {pred.shape[1]}x{pred.shape[0]}, truth is {gt.shape[1]}x{gt.shape[0]}")
    mask = valid_mask(gt, min_depth, max_depth) & np.isfinite(pred)
    depth, s, t, space = align_prediction(pred, gt, mask, kind, align)
    abs_rel, delta1, rmse = depth_metrics(depth, gt, mask & np.isfinite(depth))
    return EvalResult(abs_rel, delta1, rmse, align, space, s, t, int(mask.sum()))


def _reproject_abs_rel(
    depth_i: np.ndarray,
    depth_j: np.ndarray,
    K: Intrinsics,
    c2w_i: np.ndarray,
    c2w_j: np.ndarray,
    valid_i: np.ndarray,
    valid_j: np.ndarray,
) -> float:
    """AbsRel of frame i's depth moved into frame j (OpenCV camera poses) against frame j's depth."""
    pts = points_from_depth(np.where(valid_i, depth_i, 0.0), K).reshape(-1, 3).astype(np.float64)
    keep = valid_i.ravel()
    pts = pts[keep]
    rel = np.linalg.inv(c2w_j) @ c2w_i
    cam = pts @ rel[:3, :3].T + rel[:3, 3]
    z = cam[:, 2]
    front = z > 1e-6
    u = np.rint(K.fx * cam[front, 0] / z[front] + K.cx).astype(np.int64)
    v = np.rint(K.fy * cam[front, 1] / z[front] + K.cy).astype(np.int64)
    zf = z[front]
    inside = (u >= 0) & (u < K.width) & (v >= 0) & (v < K.height)
    u, v, zf = u[inside], v[inside], zf[inside]
    ok = valid_j[v, u]
    if not np.any(ok):
        return float("nan")
    target = depth_j[v[ok], u[ok]].astype(np.float64)
    return float(np.mean(np.abs(zf[ok] - target) / target))


def tae(
    preds: Sequence[np.ndarray],
    gts: Sequence[np.ndarray],
    intrinsics: Intrinsics,
    camera_to_world: Sequence[np.ndarray],
    *,
    kind: str = "disparity",
    align: str = "scale-shift",
) -> float:
    """Temporal alignment error x100 over a clip; poses are camera-to-world in OpenCV axes."""
    n = len(preds)
    if n < 2 or len(gts) != n or len(camera_to_world) != n:
        raise UserError("TAE needs at least two frames and as many truths and poses as predictions")
    masks = [valid_mask(g) & np.isfinite(p) for p, g in zip(preds, gts)]
    if align == "none":
        s, t = 1.0, 0.0
    else:
        x = np.concatenate([p[m] for p, m in zip(preds, masks)])
        y = np.concatenate([(1.0 / g[m]) if kind == "disparity" else g[m] for g, m in zip(gts, masks)])
        s, t = fit_scale_shift(x, y, align == "scale-shift")
    depths = []
    for p in preds:
        a = s * p.astype(np.float64) + t
        if kind == "disparity":
            with np.errstate(divide="ignore", invalid="ignore"):
                a = np.where(a > 0, 1.0 / a, np.inf)
        depths.append(a)
    valid = [m & np.isfinite(d) & (d > 0) for m, d in zip(masks, depths)]
    errs = []
    for i in range(n - 1):
        c_i, c_j = np.asarray(camera_to_world[i], np.float64), np.asarray(camera_to_world[i + 1], np.float64)
        errs.append(_reproject_abs_rel(depths[i], depths[i + 1], intrinsics, c_i, c_j, valid[i], valid[i + 1]))
        errs.append(_reproject_abs_rel(depths[i + 1], depths[i], intrinsics, c_j, c_i, valid[i + 1], valid[i]))
    return float(np.nanmean(errs) * 100.0)
