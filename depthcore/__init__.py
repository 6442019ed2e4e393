"""Depthcore: depth maps that matter.

Pure Python + numpy. Never imports bpy; torch only inside ``depthcore.estimators``.
"""

from .background import background_mask
from .errors import UserError
from .io import DepthImage, read_depth, write_exr, write_png
from .plan import Span, SpanPlan

__version__ = "0.1.0"

__all__ = [
    "DepthImage",
    "Span",
    "SpanPlan",
    "UserError",
    "__version__",
    "background_mask",
    "read_depth",
    "write_exr",
    "write_png",
]
