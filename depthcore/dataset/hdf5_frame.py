"""One frame per HDF5 file, in BlenderProc's layout, so ``blenderproc vis/extract hdf5`` read it.

Mirrors ``bproc.writer.write_hdf5``: arrays are gzip-compressed datasets, dicts and lists of dicts are
JSON stored as a bytes scalar, strings are bytes scalars. Written atomically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ..atomic import atomic_path

# Dtypes BlenderProc's writer produces for the keys this project writes.
KEY_DTYPES: dict[str, str] = {
    "colors": "uint8",
    "depth": "float32",
    "distance": "float32",
    "antialiased_depth": "float32",
    "normals": "float32",
    "category_id_segmaps": "uint8|uint16|uint32|int64",
    "instance_segmaps": "uint8|uint16|uint32|int64",
}


class _NumpyJSON(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
        return super().default(o)


def encode_value(value: Any) -> np.ndarray | np.bytes_:
    """Turn one frame value into what BlenderProc's writer stores."""
    if isinstance(value, np.bytes_ | np.ndarray):
        return value
    if isinstance(value, bytes):
        return np.bytes_(value)
    if isinstance(value, str):
        return np.bytes_(value.encode("utf-8"))
    if isinstance(value, dict) or (isinstance(value, list) and value and isinstance(value[0], dict)):
        return np.bytes_(json.dumps(value, cls=_NumpyJSON).encode("utf-8"))
    if isinstance(value, list | tuple):
        return np.array(value)
    raise TypeError(f"cannot store a {type(value).__name__} in an HDF5 frame")


def write_frame_hdf5(path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write one frame's ``data`` (key -> array/dict/str) atomically to ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as file:
        for key, value in data.items():
            stored = encode_value(value)
            if stored.dtype.char == "S":
                file.create_dataset(key, data=stored, dtype=stored.dtype)
            else:
                file.create_dataset(key, data=stored, compression="gzip")
    return path


def read_frame_hdf5(path: str | Path) -> dict[str, Any]:
    """Read every dataset of a frame file; bytes scalars come back as ``bytes``."""
    out: dict[str, Any] = {}
    with h5py.File(path, "r") as file:
        for key in file:
            value = file[key][()]
            out[key] = value if isinstance(value, np.ndarray) else bytes(value)
    return out


def dataset_digests(path: str | Path) -> dict[str, str]:
    """SHA-256 of each dataset's dtype, shape and raw bytes (independent of file timestamps/layout)."""
    digests: dict[str, str] = {}
    for key, value in sorted(read_frame_hdf5(path).items()):
        h = hashlib.sha256()
        if isinstance(value, np.ndarray):
            h.update(f"{value.dtype.str}{value.shape}".encode())
            h.update(np.ascontiguousarray(value).tobytes())
        else:
            h.update(value)
        digests[key] = h.hexdigest()
    return digests
