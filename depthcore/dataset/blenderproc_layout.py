"""One rendered frame as BlenderProc's HDF5 dict: the same keys, dtypes and background values its writer stores."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..camera import Intrinsics, distance_to_depth
from .frame_extras import blenderproc_normals

DEPTH_BACKGROUND = np.float32(1e10)  # what Cycles and BlenderProc write for "nothing hit"
DISTANCE_BACKGROUND = np.float32(10000)  # BlenderProc's enable_distance_output background


def smallest_uint(top: int) -> type:
    """The narrowest unsigned type holding ``top`` (BlenderProc stores segmaps that way)."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def segmaps(
    object_index: np.ndarray, object_names: Mapping[int, str], categories: Mapping[int, int], default: int
) -> dict:
    """``instance_segmaps``, ``category_id_segmaps`` and ``instance_attribute_maps`` from an object-index pass.

    Id 0 is the background ("World"); ``categories`` maps ids to ``category_id`` (``default`` where missing).
    """
    top = int(object_index.max(initial=0))
    lut = np.array([categories.get(i, default) for i in range(top + 1)], dtype=np.int64)
    category = lut[object_index]
    names = {0: "World", **object_names}
    return {
        "instance_segmaps": object_index.astype(smallest_uint(max(object_names, default=0))),
        "category_id_segmaps": category.astype(smallest_uint(int(category.max(initial=0)))),
        "instance_attribute_maps": [
            {"idx": int(i), "category_id": categories.get(int(i), default), "name": names.get(int(i), "")}
            for i in np.unique(object_index)
        ],
    }


def blenderproc_frame(
    *,
    depth: np.ndarray,
    intrinsics: Intrinsics,
    with_depth: bool = True,
    distance: np.ndarray | None = None,
    color: np.ndarray | None = None,
    normal: np.ndarray | None = None,
    pose: np.ndarray | None = None,
    object_index: np.ndarray | None = None,
    object_names: Mapping[int, str] | None = None,
    categories: Mapping[int, int] | None = None,
    default_category: int = 0,
) -> dict:
    """The frame's arrays in BlenderProc's layout; non-finite depth/distance become its background values."""
    data: dict = {}
    if color is not None:
        data["colors"] = color
    if with_depth:
        data["depth"] = np.where(np.isfinite(depth), depth, DEPTH_BACKGROUND).astype(np.float32)
    if distance is not None:
        dist = np.where(np.isfinite(distance), distance, DISTANCE_BACKGROUND).astype(np.float32)
        data["distance"] = dist
        data["antialiased_depth"] = distance_to_depth(dist, intrinsics).astype(np.float64)
    if normal is not None:
        data["normals"] = blenderproc_normals(normal, pose)  # BlenderProc's camera-axes encoding
    if object_index is not None:
        data.update(segmaps(object_index, object_names or {}, categories or {}, default_category))
    return data
