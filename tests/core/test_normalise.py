"""The normaliser: exact values, options, and hypothesis properties of the mapping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from depthcore.errors import UserError
from depthcore.mapping import levels_to_grey, map_levels
from depthcore.normalise import NormaliseOptions, normalise, observed_range
from depthcore.plan import Span, SpanPlan

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def grid(*values: float) -> np.ndarray:
    return np.array([values], dtype=np.float32)


# -- exact values ---------------------------------------------------------------------------------------------


def test_readme_example_linear_and_compressed():
    v = grid(10, 200, 250, 350)
    r = normalise(v)
    # level = rint((v - 10) / 340 * 255): 0, rint(142.5) = 142 (half to even), 180, 255; grey = 255 - level
    assert r.grey.tolist() == [[255, 113, 75, 0]]
    assert r.range == (10.0, 350.0)
    c = normalise(v, NormaliseOptions(compression=True))
    assert c.grey.tolist() == [[255, 170, 85, 0]]  # the README's promise: 0, 85, 170, 255 levels


def test_background_is_black_and_masked():
    v = grid(1, 2, np.inf, np.nan, 1e10, 65504, 3)
    r = normalise(v)
    assert r.background.tolist() == [[False, False, True, True, True, True, False]]
    assert r.grey[0].tolist() == [255, 127, 0, 0, 0, 0, 0]  # rint(127.5) = 128 (half to even)
    inv = normalise(v, NormaliseOptions(invert=True))
    assert inv.grey[0].tolist() == [0, 128, 255, 255, 255, 255, 255]


def test_sixteen_bit():
    v = np.linspace(2.0, 5.0, 1000, dtype=np.float32).reshape(10, 100)
    r = normalise(v, NormaliseOptions(bits=16))
    assert r.grey.dtype == np.uint16
    assert r.grey[0, 0] == 65535 and r.grey[-1, -1] == 0
    assert len(np.unique(r.grey)) == 1000  # no banding: every distinct depth its own level
    assert np.all(np.diff(r.grey.reshape(-1).astype(np.int64)) < 0)


def test_far_clip_cuts_and_near_clip_clamps():
    v = grid(1, 2, 3, 4, 5)
    r = normalise(v, NormaliseOptions(far_clip=3.5))
    assert r.background[0].tolist() == [False, False, False, True, True]
    assert r.range == (1.0, 3.0)
    assert r.grey[0].tolist() == [255, 127, 0, 0, 0]
    n = normalise(v, NormaliseOptions(near_clip=2.0))
    assert n.range == (2.0, 5.0)
    assert n.grey[0].tolist() == [255, 255, 170, 85, 0]


def test_explicit_and_percentile_range():
    v = grid(0, 1, 2, 3, 4)
    r = normalise(v, NormaliseOptions(range=(1.0, 3.0)))
    assert r.grey[0].tolist() == [255, 255, 127, 0, 0]
    v = np.concatenate([np.linspace(1, 2, 998, dtype=np.float32), [-500.0, 900.0]]).astype(np.float32)[None]
    p = normalise(v, NormaliseOptions(range_percentile=(1, 99)))
    assert 0.9 < p.range[0] < 1.1 and 1.9 < p.range[1] < 2.1
    assert p.grey[0, -2] == 255 and p.grey[0, -1] == 0  # outliers clamped, not stretching the range


def test_backplane_and_threshold_options():
    v = grid(1, 2, 3, 10, 10)
    r = normalise(v, NormaliseOptions(backplane=10.0))
    assert r.background[0].tolist() == [False, False, False, True, True]
    assert r.range == (1.0, 3.0)
    t = normalise(v, NormaliseOptions(threshold=3.0))
    assert t.range == (1.0, 2.0)


def test_constant_and_all_background():
    r = normalise(np.full((3, 3), 7.0, np.float32))
    assert (r.grey == 255).all()
    a = normalise(np.full((3, 3), np.inf, np.float32))
    assert a.range is None and (a.grey == 0).all() and a.background.all()


def test_plan_zero_level_span_is_background_and_scaling_to_16_bit():
    plan = SpanPlan([Span(1, 2, 128), Span(2, 3, 0), Span(3, 4, 128)], budget=256)
    v = grid(1, 1.5, 2.5, 3, 4)
    r = normalise(v, NormaliseOptions(), plan)
    assert r.background[0].tolist() == [False, False, True, False, False]
    assert r.grey[0].tolist() == [255, 255 - 64, 0, 127, 0]
    r16 = normalise(v, NormaliseOptions(bits=16), plan)
    assert r16.grey[0].tolist() == [65535, 65535 - 16384, 0, 65535 - 32768, 0]


def test_over_allocation_rejected():
    plan = SpanPlan([Span(0, 1, 200), Span(1, 2, 100)], budget=256)
    with pytest.raises(UserError, match="300 levels"):
        normalise(grid(0.5, 1.5), NormaliseOptions(), plan)


def test_invalid_options():
    for opts in (
        NormaliseOptions(bits=12),
        NormaliseOptions(curve="cubic"),
        NormaliseOptions(gamma=0),
        NormaliseOptions(range=(2, 1)),
        NormaliseOptions(range_percentile=(50, 10)),
        NormaliseOptions(near_clip=5, far_clip=1),
    ):
        with pytest.raises(UserError):
            normalise(grid(1, 2), opts)
    for bad in (np.zeros((0, 4), np.float32), np.zeros((2, 2, 2), np.float32)):
        with pytest.raises(UserError, match="2-D"):
            normalise(bad)
    with pytest.raises(UserError, match="inverse"):
        normalise(grid(-1, 2), NormaliseOptions(curve="inverse"))


def test_curves_shape_the_middle():
    v = np.linspace(1, 4, 31, dtype=np.float32)[None]
    lin = normalise(v).grey[0].astype(int)
    inv = normalise(v, NormaliseOptions(curve="inverse")).grey[0].astype(int)
    gam = normalise(v, NormaliseOptions(curve="gamma", gamma=0.5)).grey[0].astype(int)
    mid = 15  # depth 2.5
    assert inv[mid] < lin[mid]  # inverse depth spends more levels near the camera
    assert gam[mid] < lin[mid]
    for g in (lin, inv, gam):
        assert g[0] == 255 and g[-1] == 0


def test_mapped_float_output():
    r = normalise(grid(1, 2, 3, np.inf), NormaliseOptions(mapped=True))
    assert r.mapped.dtype == np.float32
    np.testing.assert_allclose(r.mapped, r.grey / 255.0)


def test_observed_range_matches_normalise():
    v = grid(3, 1, 2, np.nan)
    assert observed_range(v, NormaliseOptions()) == (1.0, 3.0)
    assert observed_range(v, NormaliseOptions(range=(0, 9))) == (0.0, 9.0)
    assert observed_range(grid(np.inf), NormaliseOptions()) is None


def test_large_image_blocks_match_engine():
    rng = np.random.default_rng(3)
    v = rng.uniform(0.5, 20, size=(300, 700)).astype(np.float32)  # several blocks
    v[rng.random(v.shape) < 0.1] = 1e10
    plan = SpanPlan([Span(0.5, 3, 100), Span(3, 7, 0), Span(7, 20.0001, 120)], budget=256)
    for curve in ("linear", "inverse", "gamma"):
        opts = NormaliseOptions(curve=curve, gamma=2.2, bits=16)
        r = normalise(v, opts, plan)
        prepared = np.clip(v.astype(np.float64), plan.start, plan.end)
        prepared[v >= 1e10] = np.nan
        expected = levels_to_grey(map_levels(prepared, plan, curve=curve, gamma=2.2, out_levels=65536), bits=16)
        np.testing.assert_array_equal(r.grey, expected)


# -- properties -----------------------------------------------------------------------------------------------

depth_values = st.floats(0.0625, 1e4, allow_nan=False, width=32)
images = arrays(np.float32, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=depth_values)


@st.composite
def options(draw, allow_noise=False):
    return NormaliseOptions(
        bits=draw(st.sampled_from([8, 16])),
        curve=draw(st.sampled_from(["linear", "inverse", "gamma"])),
        gamma=draw(st.floats(0.2, 5.0)),
        compression=draw(st.booleans()),
        invert=draw(st.booleans()),
        noise=allow_noise and draw(st.booleans()),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


@st.composite
def plans(draw, values):
    lo, hi = float(values.min()), float(values.max())
    assume(hi > lo)
    cuts = sorted(set(draw(st.lists(st.floats(lo, hi, width=32), max_size=4))) - {lo, hi})
    bounds = [lo, *cuts, hi]
    budget = 256
    n = len(bounds) - 1
    levels = draw(st.lists(st.integers(1, budget // n), min_size=n, max_size=n))
    return SpanPlan([Span(a, b, lv) for a, b, lv in zip(bounds, bounds[1:], levels)], budget)


def foreground_pairs_ok(v, grey, bg, invert):
    fv, fg = v[~bg].astype(np.float64), grey[~bg].astype(np.int64)
    order = np.argsort(fv, kind="stable")
    fv, fg = fv[order], fg[order]
    steps = np.diff(fg)
    return bool(np.all(steps >= 0)) if invert else bool(np.all(steps <= 0))


@SETTINGS
@given(images, options())
def test_nearer_is_never_darker(v, opts):
    r = normalise(v, opts)
    assert foreground_pairs_ok(v, r.grey, r.background, opts.invert)


@SETTINGS
@given(st.data())
def test_nearer_is_never_darker_with_plans(data):
    v = data.draw(images)
    plan = data.draw(plans(v))
    opts = data.draw(options())
    r = normalise(v, opts, plan)
    assert not r.background.any()  # every span has levels and the plan covers the values
    assert foreground_pairs_ok(v, r.grey, r.background, opts.invert)


@SETTINGS
@given(images, options())
def test_every_level_in_range(v, opts):
    r = normalise(v, opts)
    maxval = (1 << opts.bits) - 1
    assert r.grey.dtype == (np.uint8 if opts.bits == 8 else np.uint16)
    assert r.grey.min() >= 0 and r.grey.max() <= maxval
    fg = r.grey[~r.background].astype(np.int64)
    levels = maxval - fg if not opts.invert else fg
    assert levels.min() == 0  # the nearest depth is white (level 0)
    assert levels.max() <= maxval
    if v.max() > v.min():
        assert levels.max() == maxval  # a default plan spends every level: the farthest depth is black


@SETTINGS
@given(images, st.integers(0, 2**32 - 1))
def test_same_seed_same_output(v, seed):
    v = v.copy()
    v[:, : max(1, v.shape[1] // 2)] = np.inf
    opts = NormaliseOptions(noise=True, seed=seed)
    a, b = normalise(v, opts), normalise(v, opts)
    np.testing.assert_array_equal(a.grey, b.grey)
    np.testing.assert_array_equal(a.grey[~a.background], normalise(v).grey[~a.background])


def test_different_seed_different_noise():
    v = np.full((32, 32), np.inf, np.float32)
    v[0, 0] = 1
    a = normalise(v, NormaliseOptions(noise=True, seed=1)).grey
    b = normalise(v, NormaliseOptions(noise=True, seed=2)).grey
    assert (a != b).any()
    assert len(np.unique(a)) > 200  # uniform over the grey range


@SETTINGS
@given(images, st.integers(1, 4), st.integers(0, 300))
def test_over_allocation_always_rejected(v, n, extra):
    lo, hi = float(v.min()), float(v.max()) + 1.0
    step = (hi - lo) / n
    bounds = [lo + i * step for i in range(n)] + [hi]
    levels = [256 // n] * n
    levels[0] += 256 - sum(levels) + 1 + extra
    plan = SpanPlan([Span(a, b, lv) for a, b, lv in zip(bounds, bounds[1:], levels)], 256)
    with pytest.raises(UserError, match="more than the 256"):
        normalise(v, NormaliseOptions(), plan)


@SETTINGS
@given(images, st.sampled_from([8, 16]))
def test_compression_keeps_order_and_separates_depths(v, bits):
    r = normalise(v, NormaliseOptions(compression=True, bits=bits))
    assert foreground_pairs_ok(v, r.grey, r.background, False)
    distinct = np.unique(v)
    if len(distinct) <= (1 << bits):
        greys = {int(r.grey[v == d][0]) for d in distinct}
        assert len(greys) == len(distinct)  # distinct depths keep distinct levels


@SETTINGS
@given(st.data())
def test_block_engine_equals_map_levels(data):
    v = data.draw(images)
    plan = data.draw(plans(v))
    curve = data.draw(st.sampled_from(["linear", "inverse", "gamma"]))
    gamma = data.draw(st.floats(0.2, 5.0))
    bits = data.draw(st.sampled_from([8, 16]))
    r = normalise(v, NormaliseOptions(curve=curve, gamma=gamma, bits=bits), plan)
    expected = levels_to_grey(
        map_levels(v.astype(np.float64), plan, curve=curve, gamma=gamma, out_levels=1 << bits), bits=bits
    )
    np.testing.assert_array_equal(r.grey, expected)


@SETTINGS
@given(st.data())
def test_compression_equals_map_levels(data):
    v = data.draw(images)
    v = np.round(v / 37.0).astype(np.float32) * 37  # repeated depths, as compression is meant for
    assume(v.max() > v.min())
    plan = data.draw(plans(v))
    bits = data.draw(st.sampled_from([8, 16]))
    r = normalise(v, NormaliseOptions(compression=True, bits=bits), plan)
    expected = levels_to_grey(map_levels(v.astype(np.float64), plan, compression=True, out_levels=1 << bits), bits=bits)
    np.testing.assert_array_equal(r.grey, expected)


def test_compression_with_clamping_and_background_equals_map_levels():
    rng = np.random.default_rng(11)
    v = rng.integers(0, 40, size=(60, 70)).astype(np.float32) / 4
    v[rng.random(v.shape) < 0.2] = np.inf
    plan = SpanPlan([Span(1.5, 4, 60), Span(4, 6, 0), Span(6, 8.25, 100)], budget=256)
    r = normalise(v, NormaliseOptions(compression=True), plan)
    prepared = np.clip(v.astype(np.float64), plan.start, plan.end)
    prepared[~np.isfinite(v)] = np.nan
    expected = levels_to_grey(map_levels(prepared, plan, compression=True))
    np.testing.assert_array_equal(r.grey, expected)
    assert (r.grey[(v >= 4) & (v < 6)] == 0).all() and r.background[(v >= 4) & (v < 6)].all()


def test_under_allocation_leaves_the_dark_levels_unused():
    v = np.linspace(1, 3, 500, dtype=np.float32)[None]
    plan = SpanPlan([Span(1, 2, 60), Span(2, 3, 40)], budget=256)
    r = normalise(v, NormaliseOptions(), plan)
    assert r.grey.max() == 255 and r.grey.min() == 255 - 99  # levels 0..99 only
    assert len(np.unique(r.grey)) == 100 and not r.background.any()
