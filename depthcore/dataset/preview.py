"""A PNG contact sheet of one dataset frame: colour | grey map | class segmentation | instance segmentation.

    python -m depthcore.dataset.preview OUT/0.hdf5 preview.png [--grey OUT/grey/0.png] [--height 256]

Reads the HDF5 with h5py (any frame either pipeline or BlenderProc wrote); the grey map comes from the
frame's PNG when there is one beside it (OUT/grey/<frame>.png), otherwise from its ``depth`` scaled over the
foreground (near = white).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from ..atomic import refuse_overwrite_input
from ..errors import UserError
from ..io import read_png, write_png


def _palette(ids: np.ndarray) -> np.ndarray:
    """Stable distinct colours per integer id (0 = black)."""
    ids = ids.astype(np.int64)
    rgb = np.stack([(ids * 97 + 31) % 200 + 55, (ids * 57 + 101) % 200 + 55, (ids * 29 + 173) % 200 + 55], -1)
    rgb[ids == 0] = 0
    return rgb.astype(np.uint8)


def _grey_from_depth(depth: np.ndarray) -> np.ndarray:
    fg = np.isfinite(depth) & (depth < 1e9)
    out = np.zeros(depth.shape, np.uint8)
    if fg.any():
        lo, hi = float(depth[fg].min()), float(depth[fg].max())
        out[fg] = np.round(255 * (hi - depth[fg]) / max(hi - lo, 1e-12)).astype(np.uint8)
    return out


def _to_rgb(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return img[..., :3].astype(np.uint8)


def contact_sheet(hdf5_path: str | Path, grey_path: str | Path | None = None, height: int = 256) -> np.ndarray:
    """HxWx3 uint8 sheet of the frame's panels, each scaled (nearest) to ``height`` pixels."""
    hdf5_path = Path(hdf5_path)
    try:
        with h5py.File(hdf5_path, "r") as f:
            data = {k: f[k][()] for k in ("colors", "depth", "category_id_segmaps", "instance_segmaps") if k in f}
    except OSError as exc:
        raise UserError("not a readable HDF5 file", hdf5_path) from exc
    if grey_path is None:
        candidate = hdf5_path.parent / "grey" / f"{hdf5_path.stem}.png"
        grey_path = candidate if candidate.exists() else None
    panels = []
    if "colors" in data:
        panels.append(_to_rgb(data["colors"]))
    if grey_path is not None:
        panels.append(_to_rgb(read_png(grey_path)))
    elif "depth" in data:
        panels.append(_to_rgb(_grey_from_depth(data["depth"])))
    for key in ("category_id_segmaps", "instance_segmaps"):
        if key in data:
            panels.append(_palette(data[key]))
    if not panels:
        raise UserError("frame has none of colors, depth, segmaps", hdf5_path)
    scaled = []
    for p in panels:
        w = max(1, round(p.shape[1] * height / p.shape[0]))
        scaled.append(np.asarray(Image.fromarray(p).resize((w, height), Image.Resampling.NEAREST)))
    gap = np.full((height, 4, 3), 255, np.uint8)
    parts = [scaled[0]]
    for s in scaled[1:]:
        parts += [gap, s]
    return np.concatenate(parts, axis=1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m depthcore.dataset.preview", description=__doc__.splitlines()[0])
    p.add_argument("hdf5")
    p.add_argument("out", help="PNG to write")
    p.add_argument("--grey", help="grey map PNG (default: grey/<frame>.png beside the HDF5 when present)")
    p.add_argument("--height", type=int, default=256)
    args = p.parse_args(argv)
    if args.height < 1:
        p.error(f"--height must be at least 1, not {args.height}")
    try:
        refuse_overwrite_input(args.out, [x for x in (args.hdf5, args.grey) if x])
        sheet = contact_sheet(args.hdf5, args.grey, args.height)
        write_png(args.out, sheet)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"preview: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
