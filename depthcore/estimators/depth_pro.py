"""Apple DepthPro: canonical inverse depth + field of view -> metric depth (``f = 0.5 W / tan(fov/2)``).

A user focal length (``--fx``/``--fov``/camera JSON) overrides the FOV head; without either (a checkpoint
without the FOV head), the output stays relative inverse depth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..camera import Intrinsics
from ..errors import UserError
from .base import Prepared
from .fov import depth_pro_depth, focal_from_fov
from .hf_base import HFEstimator, interpolate, intrinsics_for, load_hf_model, read_preprocessor_config
from .imaging import HALF_MEAN, normalise_rgb, resize_float
from .result import DepthEstimate


class DepthProEstimator(HFEstimator):
    backend = "depth_pro"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        cfg = self.model.config
        side = round(cfg.patch_size / min(cfg.scaled_images_ratios))
        self.target = self.size((side, side))
        self.mean, self.std = self.mean_std(HALF_MEAN, HALF_MEAN)
        self.has_fov = getattr(self.model, "fov_model", None) is not None

    def prepare(self, rgb: np.ndarray) -> Prepared:
        h, w = rgb.shape[:2]
        x = normalise_rgb(rgb, self.mean, self.std)[0].transpose(1, 2, 0)  # normalise first, then resize
        x = resize_float(x, self.target[0], self.target[1], "bilinear").transpose(2, 0, 1)[None]
        return Prepared(self.tensor(np.ascontiguousarray(x)), h, w)

    def postprocess(self, outputs: Any, prep: Prepared, intrinsics: Intrinsics | None) -> DepthEstimate:
        inv = interpolate(outputs.predicted_depth[0], prep.height, prep.width, "bilinear").cpu().numpy()
        K = intrinsics_for(prep, intrinsics)
        fov = outputs.field_of_view
        meta: dict[str, object] = {}
        if K is not None:
            focal = K.fx
            meta["focal_source"] = "user"
        elif fov is not None and 1.0 < float(fov.reshape(-1)[0]) < 179.0:
            fov_deg = float(fov.reshape(-1)[0])
            focal = focal_from_fov(fov_deg, prep.width)
            meta.update(focal_source="fov head", fov_degrees=fov_deg)
            K = Intrinsics(focal, focal, (prep.width - 1) / 2.0, (prep.height - 1) / 2.0, prep.width, prep.height)
        else:
            meta["focal_source"] = "none (no usable FOV, no --fx): relative inverse depth"
            return DepthEstimate(inv.astype(np.float32), "disparity", "relative", None, meta=meta)
        meta["focal_px"] = focal
        return DepthEstimate(depth_pro_depth(inv, focal, prep.width), "depth", "m", K, meta=meta)


def load(folder: Path, name: str, device: str, dtype: Any, options: dict[str, Any]) -> DepthProEstimator:
    model = load_hf_model(folder, device, dtype)
    if model.config.model_type != "depth_pro":
        raise UserError(f"not a DepthPro model (model_type {model.config.model_type!r})", folder)
    return DepthProEstimator(name, "depth", "m", model, device, dtype, read_preprocessor_config(folder))
