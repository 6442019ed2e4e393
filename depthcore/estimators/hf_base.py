"""Shared code for backends that run a transformers ``*ForDepthEstimation`` model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..camera import Intrinsics
from ..errors import UserError
from ._deps import require
from .base import Estimator, Prepared


def read_preprocessor_config(folder: Path) -> dict[str, Any]:
    """The checkpoint's ``preprocessor_config.json`` (image sizes, mean/std), or {}."""
    f = folder / "preprocessor_config.json"
    if not f.is_file():
        return {}
    try:
        return json.loads(f.read_text())
    except json.JSONDecodeError as exc:
        raise UserError("preprocessor_config.json is not valid JSON", f) from exc


def load_hf_model(folder: Path, device: str, dtype: Any) -> Any:
    """``AutoModelForDepthEstimation`` from a local folder, safetensors only, offline."""
    require("torch")
    transformers = require("transformers")
    if not (folder / "config.json").is_file():
        raise UserError("not a transformers model folder (no config.json)", folder)
    if not any(folder.glob("*.safetensors")):
        raise UserError("no .safetensors weights (pickled .bin files are never loaded)", folder)
    transformers.utils.logging.disable_progress_bar()
    try:
        model = transformers.AutoModelForDepthEstimation.from_pretrained(
            str(folder), local_files_only=True, use_safetensors=True, dtype=dtype
        )
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"cannot load the model ({str(exc).splitlines()[0]})", folder) from exc
    return model.to(device).eval()


def interpolate(values: Any, height: int, width: int, mode: str = "bicubic") -> Any:
    """Resize a 2-D (or BxHxW) torch tensor with torch's interpolate (align_corners=False)."""
    torch = require("torch")
    t = values.float()
    squeeze = t.ndim == 2
    t = t[None, None] if squeeze else t[:, None]
    if tuple(t.shape[-2:]) != (height, width):
        kw = {} if mode in ("nearest", "area") else {"align_corners": False}
        t = torch.nn.functional.interpolate(t, size=(height, width), mode=mode, **kw)
    return t[0, 0] if squeeze else t[:, 0]


def intrinsics_for(prep: Prepared, given: Intrinsics | None) -> Intrinsics | None:
    """User intrinsics, checked against the image size."""
    if given is not None and (given.width, given.height) != (prep.width, prep.height):
        raise UserError(f"intrinsics are for {given.width}x{given.height} but the image is {prep.width}x{prep.height}")
    return given


class HFEstimator(Estimator):
    """A transformers depth model plus numpy pre-processing."""

    def __init__(
        self, name: str, kind: str, units: str, model: Any, device: str, dtype: Any, prep: dict[str, Any]
    ) -> None:
        super().__init__(name, kind, units, device, dtype)
        self.model = model
        self.prep_config = prep

    def tensor(self, array: np.ndarray) -> Any:
        torch = require("torch")
        return torch.from_numpy(array).to(self.device, dtype=self.dtype)

    def forward(self, inputs: Any) -> Any:
        torch = require("torch")
        with torch.inference_mode():
            return self.model(pixel_values=inputs)

    def to_float32(self) -> None:
        torch = require("torch")
        self.dtype = torch.float32
        self.model = self.model.float()

    def close(self) -> None:
        self.model = None

    def mean_std(self, mean: tuple[float, ...], std: tuple[float, ...]) -> tuple[tuple, tuple]:
        return tuple(self.prep_config.get("image_mean", mean)), tuple(self.prep_config.get("image_std", std))

    def size(self, default: tuple[int, int]) -> tuple[int, int]:
        s = self.prep_config.get("size")
        if isinstance(s, dict) and "height" in s:
            return int(s["height"]), int(s["width"])
        if isinstance(s, int):
            return s, s
        return default
