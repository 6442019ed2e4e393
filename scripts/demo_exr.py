"""Write a demo depth EXR like a Daz/iRay depth canvas: a head with a hand in front of it, before a backplane.

Depths are planar, in centimetres, in channel ``Y`` (as Daz writes them). The backplane sits at 400 cm, the
head (a sphere) around 300 cm, a raised hand at about 250 cm. Usage::

    python scripts/demo_exr.py [OUT.exr] [--size 512]
    depthcore normalise OUT.exr --far-clip 399 --mask --histogram-png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def demo_depth(size: int = 512) -> np.ndarray:
    """float32 size x size planar depth in cm: backplane 400, head sphere ~290-310, hand ~245-255."""
    h = w = int(size)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = (x - (w - 1) / 2) / (w / 2), (y - (h - 1) / 2) / (h / 2)  # -1..1, row 0 = top
    depth = np.full((h, w), 400.0)
    # shoulders / torso: a wide ellipsoid cut by the bottom edge
    torso = 1 - ((u / 0.8) ** 2 + ((v - 1.05) / 0.45) ** 2)
    depth = np.where(torso > 0, np.minimum(depth, 320.0 - 25.0 * np.sqrt(np.clip(torso, 0, 1))), depth)
    # head: a sphere of radius 0.35 (image units) ~ 30 cm
    head = 1 - ((u / 0.33) ** 2 + ((v + 0.05) / 0.42) ** 2)
    depth = np.where(head > 0, np.minimum(depth, 312.0 - 22.0 * np.sqrt(np.clip(head, 0, 1))), depth)
    # nose: a small bump on the head
    nose = 1 - ((u / 0.05) ** 2 + ((v + 0.02) / 0.08) ** 2)
    depth = np.where(nose > 0, np.minimum(depth, 289.0 - 4.0 * np.sqrt(np.clip(nose, 0, 1))), depth)
    # raised hand in front, lower right: palm and four fingers
    palm = 1 - (((u - 0.5) / 0.16) ** 2 + ((v - 0.25) / 0.18) ** 2)
    depth = np.where(palm > 0, np.minimum(depth, 255.0 - 5.0 * np.sqrt(np.clip(palm, 0, 1))), depth)
    for i in range(4):
        cx = 0.39 + i * 0.07
        finger = 1 - (((u - cx) / 0.028) ** 2 + ((v - 0.0) / 0.14) ** 2)
        depth = np.where(finger > 0, np.minimum(depth, 252.0 - 2.0 * np.sqrt(np.clip(finger, 0, 1))), depth)
    return depth.astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("demo/daz_demo.exr"), help="EXR to write")
    parser.add_argument("--size", type=int, default=512, help="width and height in pixels (default 512)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from depthcore.io import write_exr

    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_exr(args.out, {"Y": demo_depth(args.size)}, {"kind": "depth", "units": "cm"})
    print(f"wrote {args.out} ({args.size}x{args.size}, channel Y, planar depth in cm, backplane at 400 cm)")
    print(f"next: depthcore normalise {args.out} --far-clip 399 --mask --histogram-png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
