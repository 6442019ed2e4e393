"""Histograms: the 20-bucket DDP text format (checked against a plain-Python model of the reference) and the PNG."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from depthcore.histogram import histogram_png, text_histogram
from depthcore.plan import Span, SpanPlan


def reference_lines(points: list[float], slices: int = 20) -> list[str]:
    """The reference's rule, in plain Python over a list of floats."""
    n, lo, hi = len(points), min(points), max(points)
    step = (hi - lo) / slices
    out = []
    for i in range(slices):
        a, b = lo + i * step, lo + (i + 1) * step
        last = i == slices - 1
        count = sum(1 for d in points if d >= a and (d <= b if last else d < b))
        out.append(f"** - {i:02} - {count / n * 100.0:05.2f}% - {round(a, 2)} to {round(b, 2)}")
    return out


def test_format_example():
    v = np.array([10, 200, 250, 350], dtype=np.float32)
    lines = text_histogram(v)
    assert len(lines) == 20
    assert lines[0] == "** - 00 - 25.00% - 10.0 to 27.0"
    assert lines[11] == "** - 11 - 25.00% - 197.0 to 214.0"
    assert lines[19] == "** - 19 - 25.00% - 333.0 to 350.0"  # last bucket closed: the maximum is counted
    assert lines == reference_lines([float(x) for x in v])


def test_constant_and_nan_first():
    assert text_histogram(np.full(5, 3.0, np.float32))[19] == "** - 19 - 100.00% - 3.0 to 3.0"
    assert text_histogram(np.full(5, 3.0, np.float32))[0] == "** - 00 - 00.00% - 3.0 to 3.0"
    v = [float("nan"), 1.0, 2.0]
    assert text_histogram(np.array(v)) == reference_lines(v)
    v = [1.0, float("nan"), 2.0]
    assert text_histogram(np.array(v)) == reference_lines(v)
    assert text_histogram(np.array([])) == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, width=32), min_size=1, max_size=300))
def test_matches_reference_model(values):
    arr = np.array(values, dtype=np.float32)
    assert text_histogram(arr.reshape(1, -1)) == reference_lines([float(x) for x in arr])


def test_histogram_png_draws_boundaries(tmp_path):
    rng = np.random.default_rng(0)
    v = rng.uniform(1, 5, size=(64, 64)).astype(np.float32)
    v[:8] = np.inf
    plan = SpanPlan([Span(1, 2, 100, "face"), Span(2, 3, 0), Span(3, 5, 156)])
    path = histogram_png(v, plan, tmp_path / "h.png", background=~np.isfinite(v), units="m")
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == (900, 420)
        px = np.asarray(im.convert("RGB")).astype(int)
    left, pw, mid_y = 60, 900 - 60 - 20, 40 + 160
    red = (px[..., 0] > 150) & (px[..., 1] < 80) & (px[..., 2] < 80)
    for depth in (1, 2, 3, 5):
        x = round(left + (depth - 1) / 4 * pw)
        assert red[mid_y, max(0, x - 2) : x + 3].any(), depth  # a boundary line at each span edge
    assert not red[mid_y, left + pw // 8]  # and none inside a span
    grey_bars = (px[..., 0] == 60) & (px[..., 1] == 60)
    assert grey_bars.any()
