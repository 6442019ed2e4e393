"""Accuracy of a depth prediction against rendered ground truth: AbsRel, delta1, RMSE, and TAE.

Relative predictions are aligned to the truth first, by least squares over valid pixels: disparity predictions
in disparity space (``s * pred + t ~ 1 / gt``, then inverted), depth predictions in depth space. ``scale``
aligns without shift. TAE (temporal alignment error, Video Depth Anything's definition): one global
scale/shift for the whole clip, then for each adjacent pair, frame i's depth reprojected into frame i+1 with the
known poses and intrinsics, AbsRel against frame i+1's depth, and the reverse; mean over 2(N-1) pairs, x100.
Its covisible variant counts only pixels the truth shows in both frames and interpolates, so the truth scores ~0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .camera import Intrinsics, points_from_depth
from .errors import UserError

ALIGNMENTS = ("scale-shift", "scale", "none")
COVISIBLE_TOLERANCE = 0.01  # covisible TAE: the truth's own reprojection must agree within 1% (relative)


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


def _project(depth_i: np.ndarray, K_i: Intrinsics, K_j: Intrinsics, rel: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every pixel of frame i (flattened) moved into frame j: subpixel (u, v) and depth there (nan if invalid)."""
    d = np.where(np.isfinite(depth_i) & (depth_i > 0), depth_i, np.nan)
    pts = points_from_depth(d, K_i).reshape(-1, 3).astype(np.float64)
    cam = pts @ rel[:3, :3].T + rel[:3, 3]
    u, v = K_j.project(cam)
    z = cam[:, 2] if K_j.projection == "ORTHO" else np.where(cam[:, 2] > 1e-6, cam[:, 2], np.nan)
    return u, v, z


def _grid_index(x: np.ndarray, size: int, rounding) -> np.ndarray:
    """Integer pixel index of coordinates (nan and far outside -> -2 or size + 1, i.e. off the image)."""
    return rounding(np.clip(np.nan_to_num(x, nan=-2.0), -2.0, size + 1.0)).astype(np.int64)


def _nearest(depth_j: np.ndarray, valid_j: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """depth_j at the nearest pixel of (u, v), and where that is a valid pixel."""
    h, w = depth_j.shape
    ui, vi = _grid_index(u, w, np.rint), _grid_index(v, h, np.rint)
    ok = (ui >= 0) & (ui < w) & (vi >= 0) & (vi < h)
    ok[ok] = valid_j[vi[ok], ui[ok]]
    out = np.full(u.shape, np.nan)
    out[ok] = depth_j[vi[ok], ui[ok]]
    return out, ok


def _bilinear(
    depth_j: np.ndarray, valid_j: np.ndarray, u: np.ndarray, v: np.ndarray, ortho: bool
) -> tuple[np.ndarray, np.ndarray]:
    """depth_j interpolated at (u, v) where all four neighbours are valid (in disparity for perspective
    cameras: disparity is linear across a plane's image, so planes are interpolated exactly)."""
    h, w = depth_j.shape
    x0, y0 = _grid_index(u, w, np.floor), _grid_index(v, h, np.floor)
    ok = (x0 >= 0) & (x0 + 1 < w) & (y0 >= 0) & (y0 + 1 < h)
    x0, y0, ax, ay = x0[ok], y0[ok], (u[ok] - x0[ok]), (v[ok] - y0[ok])
    corners = [(y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)]
    weights = [(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay]
    good = np.all([valid_j[c] for c in corners], axis=0)
    vals = [depth_j[c].astype(np.float64) if ortho else 1.0 / depth_j[c].astype(np.float64) for c in corners]
    with np.errstate(divide="ignore", invalid="ignore"):
        mix = sum(wt * val for wt, val in zip(weights, vals))
        at = mix if ortho else 1.0 / mix
    out = np.full(u.shape, np.nan)
    idx = np.flatnonzero(ok)
    out[idx[good]] = at[good]
    ok[idx[~good]] = False
    return out, ok


@dataclass
class _Frame:
    depth: np.ndarray
    valid: np.ndarray
    K: Intrinsics
    c2w: np.ndarray


def _pair_abs_rel(a: _Frame, b: _Frame, covisible: np.ndarray | None) -> float:
    """AbsRel of frame a's depth moved into frame b against frame b's depth (nan when nothing lands).

    Without ``covisible``: nearest-pixel lookup, no occlusion test (Video Depth Anything's TAE), so even the truth
    scores above 0 where surfaces are steep, at depth edges and where a sees what b does not. With it (a flat
    mask over a's pixels, from :func:`_covisible`): only those pixels, looked up bilinearly.
    """
    rel = np.linalg.inv(b.c2w) @ a.c2w
    u, v, z = _project(np.where(a.valid, a.depth, np.nan), a.K, b.K, rel)
    if covisible is None:
        target, ok = _nearest(b.depth, b.valid, u, v)
    else:
        target, ok = _bilinear(b.depth, b.valid, u, v, b.K.projection == "ORTHO")
        ok &= covisible
    ok &= a.valid.ravel() & np.isfinite(z)
    if not np.any(ok):
        return float("nan")
    return float(np.mean(np.abs(z[ok] - target[ok]) / target[ok]))


def _covisible(a: _Frame, b: _Frame, tol: float) -> np.ndarray:
    """Pixels of truth frame a that truth frame b shows too: reprojected truth agrees within ``tol`` (relative)."""
    rel = np.linalg.inv(b.c2w) @ a.c2w
    u, v, z = _project(np.where(a.valid, a.depth, np.nan), a.K, b.K, rel)
    target, ok = _bilinear(b.depth, b.valid, u, v, b.K.projection == "ORTHO")
    ok &= a.valid.ravel() & np.isfinite(z)
    ok[ok] = np.abs(z[ok] - target[ok]) <= tol * target[ok]
    return ok


def _cameras(intrinsics: Intrinsics | Sequence[Intrinsics], n: int) -> list[Intrinsics]:
    Ks = [intrinsics] * n if isinstance(intrinsics, Intrinsics) else list(intrinsics)
    if len(Ks) != n:
        raise UserError(f"TAE needs one camera or one per frame, got {len(Ks)} for {n} frames")
    return Ks


def _truth_frames(
    gts: Sequence[np.ndarray], intrinsics: Intrinsics | Sequence[Intrinsics], camera_to_world: Sequence[np.ndarray]
) -> list[_Frame]:
    Ks = _cameras(intrinsics, len(gts))
    return [
        _Frame(np.asarray(g, np.float64), valid_mask(g), K, np.asarray(c, np.float64))
        for g, K, c in zip(gts, Ks, camera_to_world)
    ]


def covisible_fraction(
    gts: Sequence[np.ndarray],
    intrinsics: Intrinsics | Sequence[Intrinsics],
    camera_to_world: Sequence[np.ndarray],
    tolerance: float = COVISIBLE_TOLERANCE,
) -> float:
    """Share of valid truth pixels that the adjacent frame shows too (what covisible TAE counts), over all pairs.

    Low values mean little overlap between frames, or poses/intrinsics that do not fit the depth (wrong axes).
    """
    truths = _truth_frames(gts, intrinsics, camera_to_world)
    seen = total = 0
    for i in range(len(truths) - 1):
        for a, b in ((i, i + 1), (i + 1, i)):
            seen += int(_covisible(truths[a], truths[b], tolerance).sum())
            total += int(truths[a].valid.sum())
    return seen / total if total else 0.0


def tae(
    preds: Sequence[np.ndarray],
    gts: Sequence[np.ndarray],
    intrinsics: Intrinsics | Sequence[Intrinsics],
    camera_to_world: Sequence[np.ndarray],
    *,
    kind: str = "disparity",
    align: str = "scale-shift",
    covisible: bool = False,
    tolerance: float = COVISIBLE_TOLERANCE,
) -> float:
    """Temporal alignment error x100 over a clip; poses are camera-to-world in OpenCV axes.

    ``intrinsics`` is one camera for the whole clip or one per frame (a zooming camera). By default this is Video
    Depth Anything's TAE (nearest pixel, no occlusion test), which has a floor: the truth against itself
    (``tae(gts, gts, K, poses, kind="depth", align="none")``) scores 1.6 on a 64x48 render of the demo scene
    with 4.5 degree steps, 0.64 at 512x384. ``covisible=True`` counts only pixels that the truth shows in both
    frames (its own reprojection agrees within ``tolerance``) and looks depth up bilinearly: the truth then
    scores ~0 (0.03 at 64x48), so small flicker is not hidden under the floor. Report :func:`covisible_fraction`
    with it: wrong poses leave few covisible pixels rather than a high score.
    """
    n = len(preds)
    if n < 2 or len(gts) != n or len(camera_to_world) != n:
        raise UserError("TAE needs at least two frames and as many truths and poses as predictions")
    Ks = _cameras(intrinsics, n)
    for i, (p, g, K) in enumerate(zip(preds, gts, Ks)):
        if p.shape != g.shape or g.shape != (K.height, K.width):
            raise UserError(
                f"frame {i}: prediction is {p.shape[1]}x{p.shape[0]}, truth {g.shape[1]}x{g.shape[0]}, "
                f"camera {K.width}x{K.height}"
            )
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
    truths = _truth_frames(gts, Ks, camera_to_world)
    frames = [_Frame(d, m, t.K, t.c2w) for d, m, t in zip(depths, valid, truths)]
    errs = []
    for i in range(n - 1):
        for a, b in ((i, i + 1), (i + 1, i)):
            mask = _covisible(truths[a], truths[b], tolerance) if covisible else None
            errs.append(_pair_abs_rel(frames[a], frames[b], mask))
    if all(np.isnan(e) for e in errs):
        raise UserError("no pixel of one frame lands on a valid pixel of the next: check the cameras and poses")
    return float(np.nanmean(errs) * 100.0)
