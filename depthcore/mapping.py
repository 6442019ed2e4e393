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

The engine works span by span with scalar bounds on float64 blocks of rows (:func:`block_levels`), and map
compression ranks the distinct values from one argsort (:func:`compressed_levels`), so a 4K frame needs only a
few image-sized buffers. :func:`map_levels` is the plain entry point; the normaliser drives the same functions
block by block with its own background mask and clamping.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

from .plan import PlanError, SpanPlan

Rule = Literal["modern", "daz"]
Curve = Literal["linear", "inverse", "gamma"]
CURVES: tuple[str, ...] = ("linear", "inverse", "gamma")
UNMAPPED = -1
BLOCK_PIXELS = 1 << 16  # ~512 KiB of float64 per block: temporaries stay cache-sized


class SpanRow(NamedTuple):
    """One span as the engine sees it: bounds, output levels, first level, whether the end is included."""

    start: float
    end: float
    levels: int
    offset: int
    closed: bool


def scaled_levels(plan: SpanPlan, out_levels: int | None) -> list[int]:
    """Each span's level count on an output with ``out_levels`` levels (floor, so totals never grow)."""
    if out_levels is None or out_levels == plan.budget:
        return [s.levels for s in plan.spans]
    return [int(s.levels * out_levels // plan.budget) for s in plan.spans]


def span_table(plan: SpanPlan, *, rule: Rule = "modern", out_levels: int | None = None) -> list[SpanRow]:
    """The plan's spans with their output levels and offsets under ``rule``."""
    levels = scaled_levels(plan, out_levels) if rule == "modern" else [s.levels for s in plan.spans]
    rows, offset, n = [], 0, len(plan.spans)
    for k, (span, lv) in enumerate(zip(plan.spans, levels)):
        rows.append(SpanRow(float(span.start), float(span.end), int(lv), offset, rule == "modern" and k == n - 1))
        offset += int(lv)
    return rows


def block_rows(shape: tuple[int, ...]) -> int:
    """Rows per block for an image of ``shape``."""
    return max(1, BLOCK_PIXELS // max(1, int(np.prod(shape[1:]))))


def block_levels(
    f: np.ndarray,
    spans: list[SpanRow],
    *,
    rule: Rule = "modern",
    curve: str = "linear",
    gamma: float = 1.0,
    inside: bool = False,
) -> np.ndarray:
    """Levels (int32, -1 = unmapped) of a float64 block.

    ``inside``: the caller guarantees every value lies in ``[first start, last end]`` (clamped, no NaN), which
    lets a one-span plan skip the span test. The daz rule computes ``((v - start) / width) * L`` and the modern
    rule ``t * (L - 1)`` with ``t`` the curve's position in the span: the same float64 operations in the same
    order as the original tool, so daz levels are bit-exact.
    """
    single = inside and len(spans) == 1
    out = np.empty(f.shape, dtype=np.int32) if single else np.full(f.shape, UNMAPPED, dtype=np.int32)
    with np.errstate(invalid="ignore", divide="ignore"):
        for start, end, lv, offset, closed in spans:
            if lv <= 0:
                if single:
                    out.fill(UNMAPPED)
                continue
            sel = None
            if not single:
                sel = (f >= start) & ((f <= end) if closed else (f < end))
                if not sel.any():
                    continue
            if curve == "inverse":
                t = (1.0 / start - 1.0 / f) / (1.0 / start - 1.0 / end)
            else:
                t = f - start
                t /= end - start
            if rule == "daz":
                t *= lv
            else:
                # Selected values lie in [start, end] and IEEE rounding is monotonic, so t is already in [0, 1].
                if curve == "gamma":
                    t = t**gamma
                t *= lv - 1
            np.rint(t, out=t)
            if sel is None:
                out[...] = t
                if offset:
                    out += offset
            else:
                q = t.astype(np.int32)
                q += offset
                np.copyto(out, q, where=sel)
    return out


def compressed_levels(
    values: np.ndarray,
    background: np.ndarray,
    spans: list[SpanRow],
    *,
    rule: Rule = "modern",
    clamp: tuple[float, float] | None = None,
) -> np.ndarray:
    """Map compression: in each span its ``n`` distinct values ``u_i`` get ``offset + rint(i / (n-1) * top)``.

    ``top`` is ``L`` under the daz rule and ``L - 1`` under the modern rule; ``n == 1`` gives the span's first
    level. Pixels in ``background`` are unmapped. ``clamp``: values are first clamped onto ``(lo, hi)``, which can
    merge neighbouring distinct values at the ends. One argsort of the foreground and int32 ranks keep memory near
    three image-sized buffers.
    """
    fg = values[~background]
    order = np.argsort(fg, kind="stable")
    sorted_fg = fg[order]
    distinct = np.empty(fg.size, dtype=bool)
    distinct[:1] = True
    np.not_equal(sorted_fg[1:], sorted_fg[:-1], out=distinct[1:])
    ranks_sorted = np.cumsum(distinct, dtype=np.int32)
    ranks_sorted -= 1
    uniq = sorted_fg[distinct].astype(np.float64)
    del sorted_fg, distinct
    rank_of_uniq = np.arange(uniq.size)
    if clamp is not None:
        np.copyto(uniq, clamp[0], where=uniq < clamp[0])
        np.copyto(uniq, clamp[1], where=uniq > clamp[1])
        merged = np.empty(uniq.size, dtype=bool)
        merged[:1] = True
        np.not_equal(uniq[1:], uniq[:-1], out=merged[1:])
        rank_of_uniq = np.cumsum(merged, dtype=np.int64) - 1
        uniq = uniq[merged]
    table = np.full(uniq.size, UNMAPPED, dtype=np.int32)
    for start, end, lv, offset, closed in spans:
        a = int(np.searchsorted(uniq, start, side="left"))
        b = int(np.searchsorted(uniq, end, side="right" if closed else "left"))
        n = b - a
        if n <= 0 or lv <= 0:
            continue
        top = lv if rule == "daz" else lv - 1
        pos = np.zeros(n) if n == 1 else np.arange(n) / (n - 1) * top
        table[a:b] = offset + np.rint(pos).astype(np.int64)
    fg_levels = np.empty(fg.size, dtype=np.int32)
    fg_levels[order] = table[rank_of_uniq][ranks_sorted]
    del order, ranks_sorted
    levels = np.full(values.shape, UNMAPPED, dtype=np.int32)
    levels[~background] = fg_levels
    return levels


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
    spans = span_table(plan, rule=rule, out_levels=out_levels)
    if compression:
        return compressed_levels(v, np.isnan(v), spans, rule=rule)
    flat_v = v.reshape(-1)
    out = np.empty(flat_v.size, dtype=np.int32)
    for lo in range(0, flat_v.size, BLOCK_PIXELS):
        block = flat_v[lo : lo + BLOCK_PIXELS].astype(np.float64)
        out[lo : lo + BLOCK_PIXELS] = block_levels(block, spans, rule=rule, curve=curve, gamma=gamma)
    return out.reshape(v.shape)


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
