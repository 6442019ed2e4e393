"""Where each frame's files go in an output folder; shared by both pipelines.

::

    OUT/<frame>.hdf5                 BlenderProc layout (colors, depth, distance, antialiased_depth, segmaps)
    OUT/grey/<frame>.png             ControlNet grey map (near = white), from the planar depth
    OUT/camera/<frame>.json          intrinsics (pixel centres on the integer grid) + cam2world pose
    OUT/exr/<frame>.exr              batch path: depth and distance channels (FLOAT)
    OUT/color/<frame>.png            batch path: colour
    OUT/seg/<frame>.png              batch path: instance ids (uint16); legend in OUT/seg/legend.json
    OUT/manifest/                    run settings and one record per complete frame (resume, shards)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FramePaths:
    hdf5: Path
    grey: Path
    camera: Path
    exr: Path
    color: Path
    seg: Path


def frame_paths(out_dir: str | Path, frame: int) -> FramePaths:
    out = Path(out_dir)
    return FramePaths(
        hdf5=out / f"{frame}.hdf5",
        grey=out / "grey" / f"{frame}.png",
        camera=out / "camera" / f"{frame}.json",
        exr=out / "exr" / f"{frame}.exr",
        color=out / "color" / f"{frame}.png",
        seg=out / "seg" / f"{frame}.png",
    )


def seg_legend_path(out_dir: str | Path) -> Path:
    return Path(out_dir) / "seg" / "legend.json"
