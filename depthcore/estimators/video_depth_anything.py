"""Adapter for a user-provided Video Depth Anything checkout (no transformers class exists).

The checkout (``--vda-repo DIR``, with ``video_depth_anything/`` inside) supplies the model code; weights are
``.pth`` state dicts loaded with ``torch.load(weights_only=True)``. Streaming (one frame at a time, bounded
memory) is used when the checkout has ``video_depth_anything/video_depth_stream.py``.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..camera import Intrinsics
from ..errors import UserError
from ._deps import require
from .base import Estimator, Prepared
from .catalogue import NON_COMMERCIAL
from .result import DepthEstimate

MODEL_CONFIGS = {
    "vits": {"encoder": "vits", "features": 64, "out_channels": [48, 96, 192, 384]},
    "vitb": {"encoder": "vitb", "features": 128, "out_channels": [96, 192, 384, 768]},
    "vitl": {"encoder": "vitl", "features": 256, "out_channels": [256, 512, 1024, 1024]},
}
LICENCES = {"vits": "Apache-2.0", "vitb": NON_COMMERCIAL, "vitl": NON_COMMERCIAL}


def licence_notice(encoder: str) -> str | None:
    """The notice to show before Base/Large are used (None for Small)."""
    if LICENCES.get(encoder) != NON_COMMERCIAL:
        return None
    return (
        f"Video Depth Anything {encoder} weights are licensed {NON_COMMERCIAL}: "
        "you may not use them or their outputs commercially."
    )


def import_checkout(repo: str | Path | None) -> Any:
    """Import ``video_depth_anything`` from the user's checkout; a clear error when it is missing."""
    if not repo:
        raise UserError(
            "Video Depth Anything needs its code: clone https://github.com/DepthAnything/Video-Depth-Anything "
            "and pass --vda-repo DIR"
        )
    root = Path(repo).expanduser()
    if not (root / "video_depth_anything" / "video_depth.py").is_file():
        raise UserError("not a Video-Depth-Anything checkout (no video_depth_anything/video_depth.py)", root)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        return importlib.import_module("video_depth_anything.video_depth")
    except ImportError as exc:
        raise UserError(f"cannot import the checkout ({exc})", root) from exc


class VideoDepthAnythingEstimator(Estimator):
    """Frame-by-frame through the checkout's streaming model (temporal context kept inside the model)."""

    backend = "video_depth_anything"
    per_frame = False

    def __init__(self, name: str, model: Any, metric: bool, device: str, fp32: bool, input_size: int) -> None:
        super().__init__(name, "depth" if metric else "disparity", "m" if metric else "relative", device, None)
        self.model, self.fp32, self.input_size = model, fp32, input_size

    def prepare(self, rgb: np.ndarray) -> Prepared:
        return Prepared(rgb, rgb.shape[0], rgb.shape[1])

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        torch = require("torch")
        with torch.inference_mode():
            return np.asarray(
                self.model.infer_video_depth_one(
                    inputs, input_size=self.input_size, device=self.device, fp32=self.fp32
                ),
                dtype=np.float32,
            )

    def postprocess(self, outputs: Any, prep: Prepared, intrinsics: Intrinsics | None) -> DepthEstimate:
        return DepthEstimate(outputs.reshape(prep.height, prep.width), self.kind, self.units, intrinsics)


def load(folder: Path, name: str, device: str, dtype: Any, options: dict[str, Any]) -> VideoDepthAnythingEstimator:
    encoder = str(options.get("encoder") or "vits")
    if encoder not in MODEL_CONFIGS:
        raise UserError(f"unknown Video Depth Anything encoder {encoder!r} (vits, vitb, vitl)")
    notice = licence_notice(encoder)
    if notice and not options.get("accept_licence"):
        raise UserError(notice + " Pass --accept-licence to go on.")
    import_checkout(options.get("vda_repo"))
    try:
        stream = importlib.import_module("video_depth_anything.video_depth_stream")
    except ImportError as exc:
        raise UserError("the checkout has no video_depth_anything/video_depth_stream.py (streaming model)") from exc
    torch = require("torch")
    weights = folder if folder.is_file() else next(iter(sorted(folder.glob("*.pth"))), None)
    if weights is None:
        raise UserError("no .pth weights in the folder", folder)
    metric = bool(options.get("metric")) or weights.name.startswith("metric_")
    cls = stream.VideoDepthAnything
    kwargs = dict(MODEL_CONFIGS[encoder])
    if "metric" in inspect.signature(cls.__init__).parameters:
        kwargs["metric"] = metric
    model = cls(**kwargs)
    try:
        state = torch.load(str(weights), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, OSError) as exc:
        raise UserError(f"cannot load the weights ({str(exc).splitlines()[0]})", weights) from exc
    fp32 = bool(options.get("fp32")) or device == "cpu"
    est = VideoDepthAnythingEstimator(
        name, model.to(device).eval(), metric, device, fp32, int(options.get("input_size") or 518)
    )
    if notice:
        est.meta["licence"] = NON_COMMERCIAL
    return est
