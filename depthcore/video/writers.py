"""Annolid-compatible outputs of a video run, written while frames stream (bounded memory).

``depth.ndjson`` (Annolid's record, plus ``kind``, ``units``, ``intrinsics`` under ``depth_map``),
``depth_frames/depth_00000.png``, ``point_clouds/point_0000.csv`` + ``.ply`` (metric depth with intrinsics
only), ``<stem>_depths_exr/frame_00000.exr`` (float channel Z), and, after the last frame, from a float32
frame store on disk: ``<stem>_vis.mp4`` (inferno, clip-wide min/max) and ``<stem>_depths.npz`` (``depths``).
Every file appears atomically: it is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import tempfile
import zipfile
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image

from .. import __version__
from ..atomic import atomic_path
from ..camera import Intrinsics, points_from_depth
from ..io import write_exr, write_png
from .colormap import colourise

QMAX = 65535.0


# -- depth.ndjson ---------------------------------------------------------------------------------------------
def quantise(depth: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Annolid's uint16 quantisation: ``round((d-min)/(max-min)*65535)``; max = min+1e-6 when flat."""
    finite = depth[np.isfinite(depth)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 0.0
    if hi - lo <= 0:
        hi = lo + 1e-6
    q = np.round((np.nan_to_num(depth, nan=lo, posinf=hi, neginf=lo) - lo) / (hi - lo) * QMAX)
    return np.clip(q, 0, QMAX).astype(np.uint16), lo, hi


def png16_base64(q: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(q.astype("<u2")).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def ndjson_record(
    depth: np.ndarray, frame_index: int, video_name: str, image_path: str, describe: dict[str, object]
) -> dict[str, object]:
    """One Annolid depth record."""
    q, lo, hi = quantise(depth)
    depth_map: dict[str, object] = {"image_data": png16_base64(q), "scale": {"min": lo, "max": hi}, "dtype": "uint16"}
    depth_map.update({k: describe.get(k) for k in ("kind", "units", "intrinsics")})
    return {
        "version": f"depthcore {__version__}",
        "flags": {},
        "shapes": [],
        "imagePath": image_path,
        "imageHeight": int(depth.shape[0]),
        "imageWidth": int(depth.shape[1]),
        "otherData": {"depth_map": depth_map},
        "frame_index": int(frame_index),
        "video_name": video_name,
    }


class AtomicStream:
    """A text/binary file written under a temporary name in its folder, renamed on ``commit``."""

    def __init__(self, dest: Path, mode: str = "w") -> None:
        self.dest = dest
        fd, name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".tmp{dest.suffix}", dir=dest.parent)
        os.close(fd)
        self.tmp = Path(name)
        self.file: IO = open(self.tmp, mode, encoding="utf-8" if "b" not in mode else None)  # noqa: SIM115

    def commit(self) -> Path:
        self.file.close()
        os.replace(self.tmp, self.dest)
        return self.dest

    def abort(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


# -- point clouds ---------------------------------------------------------------------------------------------
def point_cloud(depth: np.ndarray, rgb: np.ndarray, K: Intrinsics, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(Nx3 float32 OpenCV-camera points, Nx3 uint8 colours) of finite positive depths."""
    pts = points_from_depth(np.where(np.isfinite(depth), depth, 0.0), K)[::stride, ::stride].reshape(-1, 3)
    cols = rgb[::stride, ::stride].reshape(-1, 3)
    ok = (pts[:, 2] > 0) & np.isfinite(depth[::stride, ::stride].ravel())
    return pts[ok], cols[ok]


def write_point_csv(path: Path, pts: np.ndarray, cols: np.ndarray) -> None:
    """Annolid's columns: x,y,z,intensity,red,green,blue (intensity = z)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write("x,y,z,intensity,red,green,blue\n")
        table = np.column_stack([pts, pts[:, 2]])
        for row, c in zip(table, cols):
            f.write(f"{row[0]:.6g},{row[1]:.6g},{row[2]:.6g},{row[3]:.6g},{c[0]},{c[1]},{c[2]}\n")


def write_point_ply(path: Path, pts: np.ndarray, cols: np.ndarray, units: str = "m") -> None:
    """Binary little-endian PLY: float x y z, uchar red green blue."""
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"comment depthcore {__version__}; OpenCV camera axes (x right, y down, z forward); units {units}\n"
        f"element vertex {len(pts)}\nproperty float x\nproperty float y\nproperty float z\n"
        "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n"
    )
    rec = np.empty(len(pts), dtype=[("p", "<f4", 3), ("c", "u1", 3)])
    rec["p"], rec["c"] = pts, cols
    with atomic_path(path) as tmp:
        tmp.write_bytes(header.encode("ascii") + rec.tobytes())


# -- frame store, npz, vis video ------------------------------------------------------------------------------
class FrameStore:
    """Float32 frames appended to a temporary file on disk, read back one at a time."""

    def __init__(self, folder: Path) -> None:
        fd, name = tempfile.mkstemp(prefix=".depthcore-frames.", suffix=".f32", dir=folder)
        self.path = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.shape: tuple[int, int] | None = None
        self.count = 0
        self.lo, self.hi = np.inf, -np.inf

    def append(self, frame: np.ndarray) -> None:
        f = np.ascontiguousarray(frame, dtype="<f4")
        if self.shape is None:
            self.shape = f.shape
        elif f.shape != self.shape:
            raise ValueError("all frames must have the same size")
        finite = f[np.isfinite(f)]
        if finite.size:
            self.lo, self.hi = min(self.lo, float(finite.min())), max(self.hi, float(finite.max()))
        self.file.write(f.tobytes())
        self.count += 1

    def frames(self):
        self.file.flush()
        assert self.shape is not None
        size = self.shape[0] * self.shape[1] * 4
        with open(self.path, "rb") as f:
            for _ in range(self.count):
                yield np.frombuffer(f.read(size), dtype="<f4").reshape(self.shape)

    def close(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def write_npz(path: Path, store: FrameStore, key: str = "depths") -> None:
    """``np.load(path)[key]`` is the (N, H, W) float32 stack, written frame by frame (zip64, deflate)."""
    assert store.shape is not None
    shape = (store.count, *store.shape)
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(header, {"descr": "<f4", "fortran_order": False, "shape": shape})
    with (
        atomic_path(path) as tmp,
        zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf,
        zf.open(f"{key}.npy", "w", force_zip64=True) as member,
    ):
        member.write(header.getvalue())
        for frame in store.frames():
            member.write(frame.tobytes())


def write_vis_video(path: Path, store: FrameStore, fps: float, invert: bool = False) -> None:
    """Inferno visualisation with one min/max for the whole clip (H.264, even-padded frames)."""
    import imageio_ffmpeg

    assert store.shape is not None
    h, w = store.shape
    ph, pw = h + h % 2, w + w % 2
    lo, hi = (store.lo, store.hi) if store.hi >= store.lo else (0.0, 1.0)
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (pw, ph), fps=fps, macro_block_size=1, quality=8, ffmpeg_log_level="error"
        )
        writer.send(None)
        try:
            for frame in store.frames():
                img = colourise(frame, lo, hi, invert)
                if (ph, pw) != (h, w):
                    img = np.pad(img, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
                writer.send(np.ascontiguousarray(img).tobytes())
        finally:
            writer.close()


def write_depth_frame(path: Path, values: np.ndarray, lo: float, hi: float, invert: bool, meta: dict) -> None:
    write_png(path, colourise(values, lo, hi, invert), meta)


def write_exr_frame(path: Path, values: np.ndarray, meta: dict) -> None:
    write_exr(path, {"Z": values.astype(np.float32)}, meta)


def ply_vertex_count(path: Path) -> int:
    """Vertex count from a PLY header (used by tests and tools)."""
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"element vertex"):
                return int(line.split()[2])
            if line.startswith(b"end_header"):
                break
    return 0
