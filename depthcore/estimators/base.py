"""The one estimator interface every backend implements."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..camera import Intrinsics
from .result import DepthEstimate


@dataclass
class Prepared:
    """A model input plus what post-processing needs to map the output back to the image."""

    inputs: Any
    height: int
    width: int
    ctx: dict[str, Any] = field(default_factory=dict)


class Estimator:
    """Load once, then ``predict(rgb)`` per image or frame.

    Subclasses implement ``prepare`` (numpy image -> model input), ``forward`` (the bare model call) and
    ``postprocess`` (model output -> :class:`DepthEstimate` at the image's size).
    """

    backend = ""
    per_frame = True  # False for video models that see several frames at once

    def __init__(self, name: str, kind: str, units: str, device: str = "cpu", dtype: Any = None) -> None:
        self.name, self.kind, self.units, self.device, self.dtype = name, kind, units, device, dtype
        self.meta: dict[str, object] = {"backend": self.backend, "model": name}

    @property
    def metric(self) -> bool:
        return self.kind == "depth" and self.units != "relative"

    def prepare(self, rgb: np.ndarray) -> Prepared:
        raise NotImplementedError

    def forward(self, inputs: Any) -> Any:
        raise NotImplementedError

    def postprocess(self, outputs: Any, prep: Prepared, intrinsics: Intrinsics | None) -> DepthEstimate:
        raise NotImplementedError

    def to_float32(self) -> None:
        """Switch the model to float32 (used when half precision gives non-finite output)."""

    def predict(self, rgb: np.ndarray, intrinsics: Intrinsics | None = None) -> DepthEstimate:
        """Depth for one uint8 HxWx3 RGB image."""
        prep = self.prepare(rgb)
        est = self.postprocess(self.forward(prep.inputs), prep, intrinsics)
        if not np.all(np.isfinite(est.values)) and self._half():
            print(f"depthcore: {self.name} gave non-finite values in float16; using float32", file=sys.stderr)
            self.to_float32()
            prep = self.prepare(rgb)
            est = self.postprocess(self.forward(prep.inputs), prep, intrinsics)
        est.meta = {**self.meta, **est.meta}
        return est

    def _half(self) -> bool:
        return self.dtype is not None and "float16" in str(self.dtype)

    def close(self) -> None:
        """Free the model."""
