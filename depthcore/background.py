"""Background detection: every way inputs mark "no surface here" becomes one boolean mask."""

from __future__ import annotations

import numpy as np

CYCLES_BACKGROUND = 1e10  # Cycles Z pass for rays that hit nothing
HALF_MAX = 65504.0  # largest float16; legacy EEVEE and half-float EXRs
FLT_MAX = float(np.finfo(np.float32).max)
BLENDERPROC_DISTANCE_BACKGROUND = 10000.0  # BlenderProc's distance output background
BACKPLANE_TOLERANCE = 1e-4  # relative: a backplane pixel is at >= depth * (1 - tol)


def background_mask(
    values: np.ndarray,
    *,
    backplane: float | None = None,
    threshold: float | None = None,
    sentinels: bool = True,
    blenderproc_distance: bool = False,
) -> np.ndarray:
    """True where a pixel is background.

    Always: NaN and +/-inf. With ``sentinels`` (default): values >= 1e10 (Cycles), exactly 65504 (half max,
    legacy EEVEE) and >= FLT_MAX. ``blenderproc_distance``: exactly 10000. ``backplane``: anything at or
    beyond the backplane depth. ``threshold``: anything at or beyond this value (the user's override).
    """
    v = np.asarray(values)
    mask = ~np.isfinite(v)
    if sentinels:
        with np.errstate(invalid="ignore"):
            mask |= (v >= CYCLES_BACKGROUND) | (v == HALF_MAX)
    if blenderproc_distance:
        mask |= v == BLENDERPROC_DISTANCE_BACKGROUND
    if backplane is not None:
        with np.errstate(invalid="ignore"):
            mask |= v >= backplane * (1.0 - BACKPLANE_TOLERANCE)
    if threshold is not None:
        with np.errstate(invalid="ignore"):
            mask |= v >= threshold
    return mask
