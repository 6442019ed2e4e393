"""What an estimator returns: values plus what they are (kind, units, intrinsics)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..camera import Intrinsics

# kind: "disparity" (relative inverse depth, near = large), "depth" (planar).
# units: "relative" (affine-invariant, no scale) or a length unit ("m").
KINDS = ("disparity", "depth")


@dataclass
class DepthEstimate:
    """One frame's prediction at the input image's size (float32 HxW)."""

    values: np.ndarray
    kind: str
    units: str
    intrinsics: Intrinsics | None = None
    normal: np.ndarray | None = None  # float32 HxWx3 unit vectors, OpenCV camera axes, when the model gives them
    raw: np.ndarray | None = None  # model output at model resolution (ControlNet MiDaS maps are made from it)
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def metric(self) -> bool:
        """True when values are depths in a length unit (not relative)."""
        return self.kind == "depth" and self.units != "relative"

    def describe(self) -> dict[str, object]:
        """JSON-ready description (kind, units, intrinsics and model facts)."""
        d: dict[str, object] = {"kind": self.kind, "units": self.units}
        d["intrinsics"] = None if self.intrinsics is None else self.intrinsics.to_dict()
        d.update(self.meta)
        return d

    def metric_depth(self) -> np.ndarray:
        """Metric planar depth; only for metric estimates."""
        if not self.metric:
            raise ValueError("not a metric estimate")
        return self.values


def scaled_to_metric(est: DepthEstimate, scale: float, shift: float = 0.0, units: str = "m") -> DepthEstimate:
    """Turn a relative estimate into metric depth with a user-given scale and shift.

    Disparity: ``depth = 1 / (scale * d + shift)``; relative depth: ``depth = scale * d + shift``.
    """
    v = est.values.astype(np.float64)
    if est.kind == "disparity":
        disp = scale * v + shift
        with np.errstate(divide="ignore", invalid="ignore"):
            depth = np.where(disp > 0, 1.0 / disp, np.inf)
    else:
        depth = scale * v + shift
    meta = dict(est.meta, user_scale=scale, user_shift=shift, scaled_from=est.kind)
    return DepthEstimate(depth.astype(np.float32), "depth", units, est.intrinsics, est.normal, est.raw, meta)
