"""Depth Anything V2 (small/base/large): relative disparity, or metric depth (indoor/outdoor, max_depth)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..camera import Intrinsics
from ..errors import UserError
from .base import Prepared
from .hf_base import HFEstimator, interpolate, intrinsics_for, load_hf_model, read_preprocessor_config
from .imaging import IMAGENET_MEAN, IMAGENET_STD, keep_aspect_size, normalise_rgb, resize_rgb
from .result import DepthEstimate


class DepthAnythingEstimator(HFEstimator):
    backend = "depth_anything_v2"

    def __init__(self, *args: Any, input_size: int | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        th, tw = self.size((518, 518))
        self.target = (input_size, input_size) if input_size else (th, tw)
        self.multiple = int(self.prep_config.get("ensure_multiple_of", 14))
        self.keep_aspect = bool(self.prep_config.get("keep_aspect_ratio", True))
        self.resample = self.prep_config.get("resample", 3)
        self.mean, self.std = self.mean_std(IMAGENET_MEAN, IMAGENET_STD)
        self.meta.update(input_size=self.target[0])
        if self.metric:
            self.meta["max_depth"] = float(self.model.config.max_depth)

    def prepare(self, rgb: np.ndarray) -> Prepared:
        h, w = rgb.shape[:2]
        if self.keep_aspect:
            nh, nw = keep_aspect_size(h, w, self.target[0], self.target[1], self.multiple)
        else:
            nh, nw = self.target
        x = normalise_rgb(resize_rgb(rgb, nh, nw, self.resample), self.mean, self.std)
        return Prepared(self.tensor(x), h, w)

    def postprocess(self, outputs: Any, prep: Prepared, intrinsics: Intrinsics | None) -> DepthEstimate:
        values = interpolate(outputs.predicted_depth[0], prep.height, prep.width, "bicubic")
        v = values.cpu().numpy().astype(np.float32)
        if self.metric:
            v = np.clip(v, 0.0, float(self.model.config.max_depth))  # bicubic overshoot outside sigmoid * max_depth
        return DepthEstimate(v, self.kind, self.units, intrinsics_for(prep, intrinsics))


def load(folder: Path, name: str, device: str, dtype: Any, options: dict[str, Any]) -> DepthAnythingEstimator:
    model = load_hf_model(folder, device, dtype)
    if model.config.model_type != "depth_anything":
        raise UserError(f"not a Depth Anything model (model_type {model.config.model_type!r})", folder)
    metric = getattr(model.config, "depth_estimation_type", "relative") == "metric"
    kind, units = ("depth", "m") if metric else ("disparity", "relative")
    return DepthAnythingEstimator(
        name,
        kind,
        units,
        model,
        device,
        dtype,
        read_preprocessor_config(folder),
        input_size=options.get("input_size"),
    )
