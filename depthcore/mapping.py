"""The level engine: which grey level each depth gets under a span plan.

Two rules share one engine:

* ``modern`` (depthcore's own): a span with ``L`` levels uses exactly the levels ``o .. o+L-1`` where ``o`` is
  its offset; spans are half-open ``[start, end)`` except the last, which is closed, so the farthest value of
  a default plan gets the last level. Curves (linear, inverse depth, gamma) reshape the position inside each
  span. A plan's levels are scaled by ``out_levels / plan.budget`` (a 256-level plan on a 16-bit output).
* ``daz``: daz_depthmap_processor's exact rule: ``o + round_half_even((v - start) / (end - start) * L)`` in
  float64 on half-open spans, so a span's top value can reach ``o + L`` (the "level 256" quirk).

Level 0 is the nearest and brightest. ``-1`` marks pixels no span maps (outside the plan, in a 0-level span,
NaN): background.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .plan import PlanError, SpanPlan

Rule = Literal["modern", "daz"]
Curve = Literal["linear", "inverse", "gamma"]
CURVES: tuple[str, ...] = ("linear", "inverse", "gamma")
UNMAPPED = -1
_CHUNK = 1 << 20  # pixels per block: bounds temporaries on 4K images


def scaled_levels(plan: SpanPlan, out_levels: int | None) -> list[int]:
    """Each span's level count on an output with ``out_levels`` levels (floor, so totals never grow)."""
    if out_levels is None or out_levels == plan.budget:
        return [s.levels for s in plan.spans]
    return [int(s.levels * out_levels // plan.budget) for s in plan.spans]


def map_levels(
    values: np.ndarray,
    plan: SpanPlan,
    *,
    rule: Rule = "modern",
    compression: bool = False,
    curve: Curve = "linear",
    gamma: float = 1.0,
    out_levels: int | None = None,
) -> np.ndarray:
    """Level of every pixel (int32, same shape as ``values``); ``-1`` where unmapped."""
    if rule not in ("modern", "daz"):
        raise ValueError(f"unknown rule {rule!r}")
    if curve not in CURVES:
        raise ValueError(f"unknown curve {curve!r} (curves: {', '.join(CURVES)})")
    if rule == "daz" and curve != "linear":
        raise ValueError("the daz rule has no curves")
    if curve == "inverse" and plan.start <= 0:
        raise PlanError("the inverse-depth curve needs every span to start above 0")
    if curve == "gamma" and not gamma > 0:
        raise PlanError("gamma must be above 0")
    plan.validate()
    v = np.asarray(values)
    levels = scaled_levels(plan, out_levels) if rule == "modern" else [s.levels for s in plan.spans]
    offsets = np.concatenate([[0], np.cumsum(levels)[:-1]]).astype(np.int64)
    out = np.full(v.shape, UNMAPPED, dtype=np.int32)
    if compression:
        _map_compressed(v, plan, levels, offsets, rule, out)
        return out
    flat_v, flat_out = v.reshape(-1), out.reshape(-1)
    bounds = np.asarray(plan.boundaries(), dtype=np.float64)
    for lo in range(0, flat_v.size, _CHUNK):
        block = flat_v[lo : lo + _CHUNK].astype(np.float64)
        flat_out[lo : lo + _CHUNK] = _map_block(block, plan, bounds, levels, offsets, rule, curve, gamma)
    return out


def _span_index(block: np.ndarray, bounds: np.ndarray, rule: Rule) -> np.ndarray:
    """Index of the span holding each value (half-open), -1 outside; modern closes the last span."""
    idx = np.searchsorted(bounds, block, side="right") - 1
    n = len(bounds) - 1
    if rule == "modern":
        idx[block == bounds[-1]] = n - 1
    idx[(idx < 0) | (idx >= n) | np.isnan(block)] = -1
    return idx


def _map_block(block, plan, bounds, levels, offsets, rule, curve, gamma) -> np.ndarray:
    idx = _span_index(block, bounds, rule)
    ok = idx >= 0
    k = np.where(ok, idx, 0)
    start, end = bounds[k], bounds[k + 1]
    lv = np.asarray(levels, dtype=np.int64)[k]
    if rule == "daz":
        q = np.rint((block - start) / (end - start) * lv)
    else:
        t = _curve(block, start, end, curve, gamma)
        q = np.clip(np.rint(t * (lv - 1)), 0, np.maximum(lv - 1, 0))
    res = offsets[k] + np.nan_to_num(q).astype(np.int64)
    res[~ok | (lv == 0)] = UNMAPPED
    return res.astype(np.int32)


def _curve(v: np.ndarray, start: np.ndarray, end: np.ndarray, curve: str, gamma: float) -> np.ndarray:
    """Position in [0, 1] of each value inside its span, reshaped by the curve."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if curve == "inverse":
            t = (1.0 / start - 1.0 / v) / (1.0 / start - 1.0 / end)
        else:
            t = (v - start) / (end - start)
        t = np.clip(t, 0.0, 1.0)
        if curve == "gamma":
            t = t**gamma
    return t


def _map_compressed(v, plan, levels, offsets, rule, out) -> None:
    """Map compression: each span's distinct values spread evenly over its levels (order kept).

    Works span by span on copies of that span's values only, and ranks them with a chunked searchsorted, so
    memory stays near a few copies of the image even when every pixel is distinct.
    """
    flat_v, flat_out = v.reshape(-1), out.reshape(-1)
    bounds = np.asarray(plan.boundaries(), dtype=np.float64)
    idx = np.empty(flat_v.size, dtype=np.int32)
    for lo in range(0, flat_v.size, _CHUNK):
        idx[lo : lo + _CHUNK] = _span_index(flat_v[lo : lo + _CHUNK].astype(np.float64), bounds, rule)
    for k, lv in enumerate(levels):
        if lv == 0:
            continue
        sel = np.flatnonzero(idx == k)
        if sel.size == 0:
            continue
        vals = flat_v[sel]
        uniq = np.unique(vals)
        n = uniq.size
        top = lv if rule == "daz" else lv - 1
        for lo in range(0, sel.size, _CHUNK):
            rank = np.searchsorted(uniq, vals[lo : lo + _CHUNK])
            pos = np.zeros(rank.size) if n == 1 else rank / (n - 1) * top
            flat_out[sel[lo : lo + _CHUNK]] = offsets[k] + np.rint(pos).astype(np.int64)


def levels_to_grey(levels: np.ndarray, *, bits: int = 8, rule: Rule = "modern", invert: bool = False) -> np.ndarray:
    """Grey values from levels: near (level 0) white, far black; unmapped pixels are far (black).

    ``invert`` flips it (near black, background white). The daz rule clips like Pillow's putdata did:
    ``clip(255 - level, 0, 255)`` with unmapped pixels at level 255.
    """
    if bits not in (8, 16):
        raise ValueError("bits must be 8 or 16")
    maxval = (1 << bits) - 1
    dtype = np.uint8 if bits == 8 else np.uint16
    lv = np.asarray(levels)
    if rule == "daz":
        if bits != 8:
            raise ValueError("the daz rule writes 8-bit maps only")
        grey = np.clip(255 - np.where(lv < 0, 255, lv), 0, 255)
        return (255 - grey if invert else grey).astype(dtype)
    grey = np.where(lv < 0, 0, maxval - np.clip(lv, 0, maxval))
    if invert:
        grey = maxval - grey
    return grey.astype(dtype)
