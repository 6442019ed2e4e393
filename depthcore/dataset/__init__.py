"""Dataset writing for the pipelines: camera files, frame selection, sharding, HDF5 frames, resume.

Pure numpy/h5py; shared by ``pipelines/render_depth.py`` (BlenderProc) and ``pipelines/batch_render.py``
(plain ``blender -b``) so both produce the same layout.
"""

from .camera_positions import CameraPose, read_camera_positions
from .frames import Shard, parse_frame_range, parse_shard, resolve_shard, shard_frames

__all__ = [
    "CameraPose",
    "Shard",
    "parse_frame_range",
    "parse_shard",
    "read_camera_positions",
    "resolve_shard",
    "shard_frames",
]
