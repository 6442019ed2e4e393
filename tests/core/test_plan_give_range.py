"""Object-aware allocation's plan arithmetic (SpanPlan.give_range): pure, no bpy."""

from __future__ import annotations

import pytest

from depthcore.plan import PlanError, Span, SpanPlan


def test_range_inside_the_automatic_plan_keeps_density_and_budget():
    plan = SpanPlan.single(2.0, 10.0, 256)
    k = plan.give_range(4.0, 5.0, 64, "face")
    near, face, far = plan.spans
    assert (k, face.name, face.levels) == (1, "face", 64)
    assert face.start == 4.0 and face.end > 5.0
    # the rest shrink to the 192 levels left, keeping their density (2 m : 5 m of the old 32 levels/m)
    assert abs(near.levels - 192 * 2 / 7) <= 1 and abs(far.levels - 192 * 5 / 7) <= 1
    assert plan.budget - len(plan) <= plan.total_levels() <= plan.budget
    plan.validate()


def test_farthest_value_of_the_range_is_inside_the_span():
    plan = SpanPlan.single(1.0, 3.0, 256)
    k = plan.give_range(1.5, 2.25, 10, "x")
    assert plan[k].contains(2.25) and plan[k].contains(1.5)


def test_range_reaching_the_plan_end_is_clipped_and_zero_level_spans_stay_zero():
    plan = SpanPlan([Span(0.0, 1.0, 200), Span(1.0, 2.0, 0)], 256)
    k = plan.give_range(0.5, 2.0, 100, "far")
    assert plan[k].end == 2.0 and plan[k].levels == 100
    assert plan.total_levels() <= 256 and plan[0].levels > 0
    assert len(plan) == 2


def test_more_levels_than_the_budget_is_refused():
    plan = SpanPlan.single(0.0, 1.0, 256)
    with pytest.raises(PlanError, match="budget"):
        plan.give_range(0.2, 0.4, 300, "")
    assert len(plan) == 1 and plan[0].levels == 256


def test_span_of_a_single_depth_survives_float32_storage():
    """Blender stores span bounds as float32: a flat object's span must not collapse to [d, d)."""
    import numpy as np

    plan = SpanPlan.single(1.0, 5.0, 256)
    k = plan.give_range(2.5, 2.5, 32, "plane")
    assert np.float32(plan[k].end) > np.float32(2.5) and plan[k].contains(2.5)
