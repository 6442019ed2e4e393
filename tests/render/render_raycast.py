"""Independent ground truth: numpy ray casting through pixel centres against the scene's own triangles."""

from __future__ import annotations

import numpy as np

from depthcore.camera import Intrinsics, blender_to_opencv_pose


def camera_rays(K: Intrinsics, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World-space ray origins and directions (P x 3) whose parameter t is the planar depth."""
    c2w = blender_to_opencv_pose(pose)
    R, C = c2w[:3, :3], c2w[:3, 3]
    u, v = np.meshgrid(np.arange(K.width, dtype=np.float64), np.arange(K.height, dtype=np.float64))
    x, y = ((u - K.cx) / K.fx).ravel(), ((v - K.cy) / K.fy).ravel()
    if K.projection == "ORTHO":
        origins = C + np.stack([x, y, np.zeros_like(x)], -1) @ R.T
        dirs = np.broadcast_to(R[:, 2], origins.shape).copy()
    else:
        dirs = np.stack([x, y, np.ones_like(x)], -1) @ R.T
        origins = np.broadcast_to(C, dirs.shape).copy()
    return origins, dirs


def raycast(K: Intrinsics, pose: np.ndarray, tris: np.ndarray, tri_ids: np.ndarray, chunk: int = 64):
    """Planar depth HxW (inf = miss), object id HxW (-1 = miss), radial distance HxW, and a bool HxW
    ``smooth``: hit, the ray meets the surface at more than ~17 degrees from grazing, and the 5x5
    neighbourhood is one object with normals within ~18 degrees (no creases, no silhouettes)."""
    o, d = camera_rays(K, pose)
    best = np.full(len(o), np.inf)
    ids = np.full(len(o), -1)
    tri_of = np.full(len(o), -1)
    for s in range(0, len(tris), chunk):
        v0, v1, v2 = tris[s : s + chunk, 0], tris[s : s + chunk, 1], tris[s : s + chunk, 2]
        e1, e2 = v1 - v0, v2 - v0
        p = np.cross(d[:, None], e2[None])
        det = np.einsum("tk,ptk->pt", e1, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / det
            tv = o[:, None] - v0[None]
            uu = np.einsum("ptk,ptk->pt", tv, p) * inv
            q = np.cross(tv, e1[None])
            vv = np.einsum("pk,ptk->pt", d, q) * inv
            t = np.einsum("tk,ptk->pt", e2, q) * inv
        ok = (np.abs(det) > 1e-14) & (uu >= 0) & (vv >= 0) & (uu + vv <= 1) & (t > 1e-6)
        t = np.where(ok, t, np.inf)
        j = t.argmin(1)
        tmin = t[np.arange(len(o)), j]
        closer = tmin < best
        best[closer] = tmin[closer]
        ids[closer] = tri_ids[s + j[closer]]
        tri_of[closer] = s + j[closer]
    radial = best * (np.linalg.norm(d, axis=1) if K.projection == "PERSP" else 1.0)
    shape = (K.height, K.width)
    n = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    normal = np.where((tri_of >= 0)[:, None], n[tri_of], np.nan)
    cos = np.abs(np.einsum("pk,pk->p", normal, d / np.linalg.norm(d, axis=1, keepdims=True)))
    ids, normal = ids.reshape(shape), normal.reshape((*shape, 3))
    smooth = (ids >= 0) & interior(ids, 2) & (cos.reshape(shape) > 0.3)
    pad = np.pad(normal, ((2, 2), (2, 2), (0, 0)), mode="edge")
    for dy in range(5):
        for dx in range(5):
            smooth &= np.einsum("hwk,hwk->hw", pad[dy : dy + shape[0], dx : dx + shape[1]], normal) > 0.95
    return best.reshape(shape), ids, radial.reshape(shape), smooth


def interior(ids: np.ndarray, radius: int = 1) -> np.ndarray:
    """True where the whole (2r+1)^2 neighbourhood is inside the frame with the same id."""
    h, w = ids.shape
    pad = np.pad(ids, radius, mode="constant", constant_values=-2)  # the frame edge counts as an edge
    same = np.ones_like(ids, dtype=bool)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            same &= pad[dy : dy + h, dx : dx + w] == ids
    return same
