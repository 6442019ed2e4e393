"""Per-frame extras both pipelines write beside the HDF5: grey map, camera JSON, metadata, category maps."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write_text
from ..camera import Intrinsics, camera_record
from ..plan import SpanPlan

UNITS = "m"


def frame_camera(frame: int, K: Intrinsics, cam2world: np.ndarray) -> dict[str, Any]:
    """Camera JSON record of one frame (depthcore.camera's record plus the frame number)."""
    return {"frame": frame, **camera_record(K, cam2world, units=UNITS)}


def blenderproc_normals(normal_world: np.ndarray, cam2world: np.ndarray) -> np.ndarray:
    """World-space normals (Cycles' Normal pass, HxWx3) in BlenderProc's HDF5 encoding.

    ``bproc.renderer.enable_normals_output`` stores ``0.5 + 0.5 * n`` with ``n`` in Blender's camera axes
    (x right, y up, z towards the viewer); background (a zero normal) becomes 0.5.
    """
    rotation = np.asarray(cam2world, dtype=np.float64)[:3, :3]
    return (0.5 + 0.5 * (np.asarray(normal_world, dtype=np.float64) @ rotation)).astype(np.float32)


def write_camera_json(path: Path, record: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, json.dumps(record, indent=2) + "\n")


def frame_meta(frame: int, camera: Mapping[str, Any], pipeline: str, **extra: Any) -> dict[str, Any]:
    """The ``depthcore`` metadata dict stored in every HDF5 frame (JSON bytes, like BlenderProc's dicts)."""
    from .. import __version__

    return {
        "depthcore_version": __version__,
        "pipeline": pipeline,
        "frame": frame,
        "units": UNITS,
        "depth": "planar (distance to the camera plane), background 1e10",
        "distance": "radial, antialiased, background 10000",
        "camera": dict(camera),
        **extra,
    }


def check_plan_file(plan: SpanPlan, path: str | Path) -> None:
    """Check a span plan before any rendering (over-allocation etc.), naming its file."""
    from ..errors import UserError
    from ..normalise import check_plan

    try:
        check_plan(plan)
    except UserError as exc:
        raise UserError(exc.message, path) from exc


def grey_map(depth: np.ndarray, bits: int = 16, plan: SpanPlan | None = None,
             backplane: float | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """ControlNet grey map (near = white) of planar ``depth`` through the depthcore normaliser."""
    from ..normalise import NormaliseOptions, normalise

    options = NormaliseOptions(bits=bits, backplane=backplane)
    result = normalise(np.asarray(depth, dtype=np.float32), options, plan=plan)
    near, far = (None, None) if result.range is None else (float(v) for v in result.range)
    return result.grey, {"units": UNITS, "near": near, "far": far, "near_is": "white", "source": "depth"}


def category_maps_from_instances(instance_map: np.ndarray, attribute_map: Sequence[Mapping[str, Any]],
                                 default: int) -> np.ndarray:
    """Class map from an instance map and BlenderProc's ``instance_attribute_maps`` (missing -> default)."""
    lut = {int(entry["idx"]): int(entry.get("category_id", default)) for entry in attribute_map}
    top = int(instance_map.max(initial=0))
    table = np.full(top + 1, default, dtype=np.int64)
    for idx, cat in lut.items():
        if idx <= top:
            table[idx] = cat
    out = table[instance_map]
    return out.astype(instance_map.dtype) if out.max(initial=0) <= np.iinfo(instance_map.dtype).max else out
