"""ZoeDepth (metric): transformers' pre/post-processing redone in numpy (reflect padding, keep-aspect resize)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..camera import Intrinsics
from ..errors import UserError
from .base import Prepared
from .hf_base import HFEstimator, interpolate, intrinsics_for, load_hf_model, read_preprocessor_config
from .imaging import HALF_MEAN, keep_aspect_size, normalise_rgb, resize_rgb
from .result import DepthEstimate


def zoe_padding(height: int, width: int) -> tuple[int, int]:
    """ZoeDepth's border padding: ``int(sqrt(side / 2) * 3)``."""
    return int(np.sqrt(height / 2) * 3), int(np.sqrt(width / 2) * 3)


class ZoeDepthEstimator(HFEstimator):
    backend = "zoedepth"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.target = self.size((384, 512))
        multiple = self.prep_config.get("ensure_multiple_of", 32)
        self.multiple = int(multiple) if multiple >= 1 else 32
        self.keep_aspect = bool(self.prep_config.get("keep_aspect_ratio", True))
        self.do_pad = bool(self.prep_config.get("do_pad", True))
        self.mean, self.std = self.mean_std(HALF_MEAN, HALF_MEAN)

    def prepare(self, rgb: np.ndarray) -> Prepared:
        h, w = rgb.shape[:2]
        ph, pw = zoe_padding(h, w) if self.do_pad else (0, 0)
        img = np.pad(rgb, ((ph, ph), (pw, pw), (0, 0)), mode="reflect") if self.do_pad else rgb
        if self.keep_aspect:
            nh, nw = keep_aspect_size(img.shape[0], img.shape[1], self.target[0], self.target[1], self.multiple)
        else:
            nh, nw = self.target
        x = normalise_rgb(resize_rgb(img, nh, nw, "bilinear"), self.mean, self.std)
        return Prepared(self.tensor(x), h, w, {"pad": (ph, pw)})

    def postprocess(self, outputs: Any, prep: Prepared, intrinsics: Intrinsics | None) -> DepthEstimate:
        ph, pw = prep.ctx["pad"]
        d = interpolate(outputs.predicted_depth[0], prep.height + 2 * ph, prep.width + 2 * pw, "bicubic")
        d = d[ph : d.shape[0] - ph, pw : d.shape[1] - pw]
        v = np.maximum(d.cpu().numpy().astype(np.float32), 0.0)
        return DepthEstimate(v, "depth", "m", intrinsics_for(prep, intrinsics))


def load(folder: Path, name: str, device: str, dtype: Any, options: dict[str, Any]) -> ZoeDepthEstimator:
    model = load_hf_model(folder, device, dtype)
    if model.config.model_type != "zoedepth":
        raise UserError(f"not a ZoeDepth model (model_type {model.config.model_type!r})", folder)
    return ZoeDepthEstimator(name, "depth", "m", model, device, dtype, read_preprocessor_config(folder))
