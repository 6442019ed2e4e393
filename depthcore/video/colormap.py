"""Inferno colour map without matplotlib (Matt Zucker's polynomial fit of matplotlib's inferno)."""

from __future__ import annotations

import numpy as np

_INFERNO = np.array(
    [
        [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
        [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
        [11.60249308247187, -3.972853965665698, -15.9423941062914],
        [-41.70399613139459, 17.43639888205313, 44.35414519872813],
        [77.162935699427, -33.40235894210092, -81.80730925738993],
        [-71.31942824499214, 32.62606426397723, 73.20951985803202],
        [25.13112622477341, -12.24266895238567, -23.07032500287172],
    ]
)
_LUT = None


def inferno_lut() -> np.ndarray:
    """256x3 uint8 lookup table."""
    global _LUT
    if _LUT is None:
        t = np.linspace(0.0, 1.0, 256)[:, None]
        rgb = np.zeros((256, 3))
        for c in _INFERNO[::-1]:
            rgb = rgb * t + c
        _LUT = (np.clip(rgb, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    return _LUT


def colourise(values: np.ndarray, vmin: float, vmax: float, invert: bool = False) -> np.ndarray:
    """HxW float -> HxWx3 uint8 inferno, large values bright (small ones with ``invert``: depth, near bright)."""
    span = vmax - vmin if vmax > vmin else 1e-6
    t = (np.nan_to_num(values.astype(np.float32), nan=vmin, posinf=vmax, neginf=vmin) - vmin) / span
    t = np.clip(t, 0.0, 1.0)
    if invert:
        t = 1.0 - t
    return inferno_lut()[(t * 255.0).round().astype(np.uint8)]
