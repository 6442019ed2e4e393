"""MiDaS (DPT hybrid / large) with the ControlNet preprocessor's sizing and maps.

transformers' DPT reshapes its tokens as a square grid; two forward pre-hooks pass the real grid (and let the
hybrid embeddings interpolate their position table), so non-square inputs work as in the original MiDaS.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..camera import Intrinsics
from ..errors import UserError
from .controlnet_midas import SIZINGS, pad64_size, round64_size
from .hf_base import HFEstimator, interpolate, intrinsics_for, load_hf_model, read_preprocessor_config
from .imaging import resize_rgb
from .result import DepthEstimate


class MidasEstimator(HFEstimator):
    backend = "midas"

    def __init__(self, *args: Any, resolution: int = 512, sizing: str = "pad64", **kw: Any) -> None:
        super().__init__(*args, **kw)
        if sizing not in SIZINGS:
            raise UserError(f"unknown MiDaS sizing {sizing!r} (use {' or '.join(SIZINGS)})")
        if resolution < 64:
            raise UserError("MiDaS resolution must be at least 64")
        self.resolution, self.sizing = int(resolution), sizing
        self.meta.update(resolution=self.resolution, sizing=sizing)
        cfg = self.model.config
        self.patch = int(cfg.patch_size)
        self._grid = (0, 0)
        self.model.neck.register_forward_pre_hook(self._neck_hook, with_kwargs=True)
        if getattr(cfg, "is_hybrid", False):
            self.model.dpt.embeddings.register_forward_pre_hook(self._embed_hook, with_kwargs=True)

    def _neck_hook(self, module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        hidden = args[0] if args else kwargs["hidden_states"]
        return (hidden, self._grid[0], self._grid[1]), {}

    @staticmethod
    def _embed_hook(module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return args, {**kwargs, "interpolate_pos_encoding": True}

    def prepare(self, rgb: np.ndarray) -> Any:
        from .base import Prepared

        h, w = rgb.shape[:2]
        up = self.resolution / min(h, w) > 1
        method = "lanczos" if up else "area"  # controlnet_aux: INTER_LANCZOS4 up, INTER_AREA down
        if self.sizing == "round64":
            th, tw = round64_size(h, w, self.resolution)
            img = resize_rgb(rgb, th, tw, method)
        else:
            th, tw, ph, pw = pad64_size(h, w, self.resolution)
            img = np.pad(resize_rgb(rgb, th, tw, method), ((0, ph), (0, pw), (0, 0)), mode="edge")
        x = img.astype(np.float32) / 127.5 - 1.0
        self._grid = (img.shape[0] // self.patch, img.shape[1] // self.patch)
        return Prepared(self.tensor(np.ascontiguousarray(x.transpose(2, 0, 1)[None])), h, w, {"crop": (th, tw)})

    def postprocess(self, outputs: Any, prep: Any, intrinsics: Intrinsics | None) -> DepthEstimate:
        pred = outputs.predicted_depth[0]
        ph, pw = prep.inputs.shape[-2:]
        th, tw = prep.ctx["crop"]
        raw = interpolate(pred, ph, pw, "bicubic")[:th, :tw]
        values = interpolate(raw, prep.height, prep.width, "bicubic")
        return DepthEstimate(
            values.cpu().numpy().astype(np.float32),
            "disparity",
            "relative",
            intrinsics_for(prep, intrinsics),
            raw=raw.cpu().numpy().astype(np.float32),
        )


def load(folder: Path, name: str, device: str, dtype: Any, options: dict[str, Any]) -> MidasEstimator:
    model = load_hf_model(folder, device, dtype)
    if model.config.model_type != "dpt":
        raise UserError(f"not a DPT/MiDaS model (model_type {model.config.model_type!r})", folder)
    return MidasEstimator(
        name,
        "disparity",
        "relative",
        model,
        device,
        dtype,
        read_preprocessor_config(folder),
        resolution=int(options.get("resolution") or 512),
        sizing=str(options.get("sizing") or "pad64"),
    )


DEFAULT_A = 2.0 * math.pi
