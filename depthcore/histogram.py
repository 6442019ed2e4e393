"""Depth histograms: daz_depthmap_processor's 20-bucket text histogram and a PNG plot with the span plan drawn on it."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .plan import SpanPlan

_CHUNK = 1 << 20


def _python_min_max(flat: np.ndarray) -> tuple[float, float]:
    """``min(list)`` / ``max(list)`` as Python computes them: NaN only when the first element is NaN."""
    if math.isnan(flat[0]):
        return float("nan"), float("nan")
    with np.errstate(invalid="ignore"):
        return float(np.nanmin(flat)), float(np.nanmax(flat))


def text_histogram(values: np.ndarray, buckets: int = 20) -> list[str]:
    """daz_depthmap_processor's histogram lines, character for character.

    ``buckets`` equal slices from min to max; bucket i is ``[from, to)``, the last one closed; the share is of
    *all* values (NaN included, as the original counts them in its total); bounds printed with ``round(x, 2)``.
    Line format: ``** - 07 - 00.82% - 269.33 to 280.69``. Empty input gives no lines.
    """
    flat = np.asarray(values).reshape(-1)
    if flat.size == 0:
        return []
    lo, hi = _python_min_max(flat)
    step = (hi - lo) / buckets
    edges = [(lo + i * step, lo + (i + 1) * step) for i in range(buckets)]
    counts = [0] * buckets
    with np.errstate(invalid="ignore"):
        for start in range(0, flat.size, _CHUNK):
            block = flat[start : start + _CHUNK].astype(np.float64)
            for i, (a, b) in enumerate(edges):
                upper = block <= b if i == buckets - 1 else block < b
                counts[i] += int(np.count_nonzero((block >= a) & upper))
    lines = []
    for i, ((a, b), n) in enumerate(zip(edges, counts)):
        share = n / flat.size * 100.0
        lines.append(f"** - {i:02} - {share:05.2f}% - {round(a, 2)} to {round(b, 2)}")
    return lines


def histogram_png(
    values: np.ndarray,
    plan: SpanPlan,
    path: str | os.PathLike[str],
    *,
    background: np.ndarray | None = None,
    bins: int = 200,
    size: tuple[int, int] = (900, 420),
    units: str = "",
) -> Path:
    """Plot the histogram of the foreground values over the plan's range, with span boundaries and levels drawn.

    Bars are log-scaled counts; each span is labelled with its index, name and number of levels; 0-level spans
    are shaded (they render as background). Written atomically with Pillow (no matplotlib).
    """
    from PIL import Image, ImageDraw, ImageFont

    v = np.asarray(values)
    keep = np.isfinite(v) if background is None else ~np.asarray(background) & np.isfinite(v)
    fg = v[keep]
    lo, hi = float(plan.start), float(plan.end)
    counts, _ = np.histogram(np.clip(fg, lo, hi), bins=bins, range=(lo, hi)) if fg.size else (np.zeros(bins), None)

    width, height = size
    left, right, bottom = 60, 20, 60
    pw = width - left - right
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()

    def x_of(depth: float) -> float:
        return left + (depth - lo) / (hi - lo) * pw if hi > lo else left

    # Span labels: each goes on the first row where it does not run into the previous label (narrow spans stack).
    offsets = plan.offsets()
    labels, row_ends = [], []
    for i, span in enumerate(plan.spans):
        text = f"{i}{' ' + span.name if span.name else ''}: {span.levels} lv"
        if span.levels:
            text += f" ({offsets[i]}-{offsets[i] + span.levels - 1})"
        w = draw.textlength(text, font=font)
        x = min(x_of(span.start) + 3, width - w - 2)
        row = next((r for r, end in enumerate(row_ends) if end + 6 <= x), len(row_ends))
        row_ends[row : row + 1] = [x + w]
        labels.append((x, row, text))
    top = 16 + 12 * max(2, len(row_ends))
    ph = height - top - bottom

    for i, span in enumerate(plan.spans):  # shade spans: 0-level spans grey, others alternating tint
        x0, x1 = x_of(span.start), x_of(span.end)
        fill = (225, 225, 225) if span.levels == 0 else ((235, 244, 255) if i % 2 == 0 else (255, 246, 230))
        draw.rectangle([x0, top, x1, top + ph], fill=fill)
    peak = math.log1p(float(counts.max())) if counts.size and counts.max() > 0 else 1.0
    bar_w = pw / bins
    for i, c in enumerate(counts):
        if c <= 0:
            continue
        h = math.log1p(float(c)) / peak * ph
        draw.rectangle([left + i * bar_w, top + ph - h, left + (i + 1) * bar_w, top + ph], fill=(60, 60, 60))
    for span, (x, row, text) in zip(plan.spans, labels):
        x0 = x_of(span.start)
        draw.line([x0, top - 5, x0, top + ph + 5], fill=(200, 30, 30), width=2)
        draw.text((x, top - 14 - row * 12), text, fill=(160, 20, 20), font=font)
    x_end = x_of(plan.end)
    draw.line([x_end, top - 5, x_end, top + ph + 5], fill=(200, 30, 30), width=2)
    draw.rectangle([left, top, left + pw, top + ph], outline=(0, 0, 0))
    unit = f" {units}" if units and units != "unknown" else ""
    draw.text((left, top + ph + 8), f"{lo:.6g}{unit}", fill=(0, 0, 0), font=font)
    end_label = f"{hi:.6g}{unit}"
    draw.text((left + pw - 8 * len(end_label), top + ph + 8), end_label, fill=(0, 0, 0), font=font)
    total = plan.total_levels()
    draw.text(
        (left, top + ph + 28),
        f"{fg.size} foreground px, {len(plan.spans)} spans, {total}/{plan.budget} levels (near = white = level 0)",
        fill=(0, 0, 0),
        font=font,
    )
    draw.text((4, top + ph // 2), "log n", fill=(0, 0, 0), font=font)
    dest = Path(path)
    with atomic_path(dest) as tmp:
        img.save(tmp, format="PNG")
    return dest
