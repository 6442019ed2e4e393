"""Video depth: streaming frame reading, temporal stabilisation, Annolid-compatible writers."""

from .reader import VideoInfo, iter_frames, probe
from .stabilise import Stabiliser

__all__ = ["Stabiliser", "VideoInfo", "iter_frames", "probe"]
