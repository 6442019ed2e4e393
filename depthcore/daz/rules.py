"""format_depthmap.py's rules as numpy: cutoff, background, the default plan, levels, mask, noise, colours.

Levels follow the original: level 0 is the nearest (white); pixels no span maps count as level 255 (black).
All maths is float64 on the float32 values, exactly as the original widened them into Python floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import ImageColor

from ..errors import UserError
from ..mapping import levels_to_grey, map_levels
from ..plan import Span, SpanPlan

MAX_LEVELS = 256  # the original's MAX_SPLIT_LEVELS
EPSILON = 0.01  # added to the maximum so the farthest depth falls inside the half-open default span
UNMAPPED_LEVEL = MAX_LEVELS - 1  # what the original gives pixels outside every mapped span
FLT_MAX = float(np.finfo(np.float32).max)
HISTO = "histo"


@dataclass
class DazOptions:
    """format_depthmap.py's flags plus depthcore's additions (channel, seed)."""

    cutoff: float | None = None
    histo: bool = False
    compress: bool = False
    mask: bool = False
    noise: bool = False
    regions: bool = False
    interactive: bool = False
    channel: str = "Y"
    seed: int | None = None


def parse_cutoff(text: str | None) -> float | str | None:
    """``--depth_cutoff``: None, 'histo' or a finite number (checked before any file is read)."""
    if text is None or text == HISTO:
        return text
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"--depth_cutoff must be a number or 'histo', not {text!r}") from None
    if not math.isfinite(value):
        raise UserError(f"--depth_cutoff must be a finite number, not {text!r}")
    return value


def foreground(values: np.ndarray, cutoff: float | None = None) -> np.ndarray:
    """float64 copy with the cutoff applied (``min(v, cutoff)``) and background set to NaN.

    Background: NaN, +/-inf and FLT_MAX that survive the cutoff. A cutoff clamps +inf and FLT_MAX to itself,
    exactly as the original did; NaN stays background.
    """
    v = values.astype(np.float64)
    if cutoff is not None:
        np.minimum(v, cutoff, out=v)  # NaN propagates, as min(nan, c) returned nan in the original
    with np.errstate(invalid="ignore"):
        v[~np.isfinite(v) | (v >= FLT_MAX)] = np.nan
    return v


def depth_range(v: np.ndarray, path: object = None) -> tuple[float, float]:
    """Nearest and farthest non-background depth (Python floats)."""
    if np.isnan(v).all():
        raise UserError("every pixel is background (NaN, infinite or FLT_MAX); nothing to map", path)
    return float(np.nanmin(v)), float(np.nanmax(v))


def check_cutoff(cutoff: float | None, values: np.ndarray, path: object = None) -> None:
    """Refuse a cutoff at or below the nearest depth: the original made such maps all white."""
    if cutoff is None:
        return
    v = values.astype(np.float64)
    with np.errstate(invalid="ignore"):
        finite = v[np.isfinite(v) & (v < FLT_MAX)]
    if finite.size and cutoff <= float(finite.min()):
        raise UserError(
            f"--depth_cutoff {cutoff:g} is at or below the nearest depth {float(finite.min()):g}: "
            "every pixel would get the same level",
            path,
        )


def default_plan(v: np.ndarray, path: object = None) -> SpanPlan:
    """One span [min, max + 0.01) with all 256 levels, named 'Default' (the original's SplitManager)."""
    lo, hi = depth_range(v, path)
    return SpanPlan([Span(lo, hi + EPSILON, MAX_LEVELS, "Default")], MAX_LEVELS)


def mapped_levels(v: np.ndarray, plan: SpanPlan, compress: bool) -> np.ndarray:
    """Each pixel's level under the daz rule, with unmapped pixels (background, 0-level spans) at 255."""
    levels = map_levels(v, plan, rule="daz", compression=compress)
    levels[levels < 0] = UNMAPPED_LEVEL
    return levels


def grey(mapped: np.ndarray) -> np.ndarray:
    """The depth map: 255 - level, clipped to 0..255 as Pillow's putdata did (level 256 -> black)."""
    return levels_to_grey(mapped, rule="daz")


def mask(mapped: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
    """Black where the level equals the highest level present, white elsewhere (computed before noise).

    ``background`` (NaN, inf, FLT_MAX pixels) is black too: those pixels are black in the depth map, and the
    original, which had no notion of background, never produced a white-background mask for them.
    """
    out = np.where(mapped == mapped.max(), 0, 255).astype(np.uint8)
    if background is not None:
        out[background] = 0
    return out


def add_noise(grey_map: np.ndarray, mapped: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pixels at level 255 or beyond get a uniform random grey 0..255 (one draw each, row-major)."""
    out = grey_map.copy()
    far = mapped >= UNMAPPED_LEVEL
    out[far] = rng.integers(0, 256, size=int(far.sum()), dtype=np.int64).astype(np.uint8)
    return out


def span_index(v: np.ndarray, plan: SpanPlan, *, closed_last: bool = False) -> np.ndarray:
    """Index of the (half-open) span holding each value; -1 for background and values outside the plan.

    ``closed_last``: the last span also holds its end value (the modern rule).
    """
    bounds = np.asarray(plan.boundaries(), dtype=np.float64)
    idx = np.searchsorted(bounds, v, side="right") - 1
    if closed_last:
        idx[v == bounds[-1]] = len(plan) - 1
    idx[(idx < 0) | (idx >= len(plan)) | np.isnan(v)] = -1
    return idx


def hue_sequence(count: int) -> list[float]:
    """Region hues: 0, 180, 90, 270, 45, 135, 225, 315, 22.5, ... (each new hue halves the gaps)."""
    hues, k = [0.0], 1
    while len(hues) < count:
        step = 360.0 / 2**k
        hues.extend(j * step for j in range(1, 2**k, 2))
        k += 1
    return hues[:count]


def region_colours(count: int) -> list[tuple[int, int, int]]:
    """RGB of regions 0..count-1: ``hsv(h,50%,50%)`` as Pillow resolves it."""
    return [ImageColor.getrgb(f"hsv({h},50%,50%)")[:3] for h in hue_sequence(count)]


def span_regions(plan: SpanPlan) -> list[int]:
    """Each span's REGION flag as an integer, -1 when unset; a non-integer flag is an error."""
    out = []
    for i, span in enumerate(plan):
        value = span.flags.get("region", -1)
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise UserError(f"split {i}: REGION must be an integer, not {value!r}") from None
    return out


def rgb(grey_map: np.ndarray) -> np.ndarray:
    return np.repeat(grey_map[..., None], 3, axis=2)


def regions_image(v: np.ndarray, plan: SpanPlan, grey_map: np.ndarray, *, closed_last: bool = False) -> np.ndarray:
    """RGB copy of the grey map with every pixel of a span with REGION r >= 0 painted in region r's colour.

    Negative regions other than -1 are left unpainted (the original indexed its colour list from the end).
    """
    out = rgb(grey_map)
    table = np.asarray([*span_regions(plan), -1], dtype=np.int64)
    region = table[span_index(v, plan, closed_last=closed_last)]  # index -1 picks the trailing -1
    top = int(region.max())
    if top >= 0:
        colours = np.asarray(region_colours(top + 1), dtype=np.uint8)
        painted = region >= 0
        out[painted] = colours[region[painted]]
    return out


def test_image(v: np.ndarray, plan: SpanPlan, grey_map: np.ndarray, *, closed_last: bool = False) -> np.ndarray:
    """RGB copy of the grey map with every pixel of a span flagged ``test=<colour>`` painted that colour."""
    out = rgb(grey_map)
    idx = span_index(v, plan, closed_last=closed_last)
    for i, span in enumerate(plan):
        colour = span.flags.get("test")
        if not colour:
            continue
        try:
            value = ImageColor.getrgb(str(colour))
        except ValueError:
            raise UserError(f"split {i}: TEST is not a colour Pillow knows: {colour!r}") from None
        out[idx == i] = value[:3]
    return out
