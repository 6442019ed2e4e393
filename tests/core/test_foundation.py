"""Foundation: atomic writes, the background mask, the span plan (edits and JSON)."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from depthcore.atomic import atomic_path, atomic_write_text, refuse_overwrite_input
from depthcore.background import background_mask
from depthcore.errors import UserError
from depthcore.io import write_png
from depthcore.plan import PlanError, Span, SpanPlan

# -- atomic -------------------------------------------------------------------------------------------------------


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    dest = tmp_path / "out.txt"
    atomic_write_text(dest, "one")
    atomic_write_text(dest, "two")
    assert dest.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o666 & ~umask  # normal permissions, not mkstemp's 0600


def test_atomic_failure_leaves_nothing_and_keeps_old(tmp_path):
    dest = tmp_path / "out.png"
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    dest.write_bytes(b"old")
    with pytest.raises(ValueError):
        write_png(dest, np.zeros((2, 2), dtype=np.float64))  # unsupported dtype: fails before writing
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        tmp.write_bytes(b"new but failed")
        raise RuntimeError("boom")
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_atomic_missing_folder_is_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        atomic_write_text(tmp_path / "no" / "x.txt", "x")


def test_refuse_overwrite_input(tmp_path):
    src = tmp_path / "in.exr"
    src.write_bytes(b"x")
    with pytest.raises(UserError, match="overwrite an input"):
        refuse_overwrite_input(src, [src])
    link = tmp_path / "link.exr"
    link.symlink_to(src)
    with pytest.raises(UserError):
        refuse_overwrite_input(link, [src])
    refuse_overwrite_input(tmp_path / "other.png", [src])


# -- background -----------------------------------------------------------------------------------------------


def test_background_sentinels():
    fmax = np.finfo(np.float32).max
    v = np.array([1.0, np.inf, np.nan, 1e10, 2e10, 65504.0, fmax, 10000.0, -np.inf, 5.0], dtype=np.float32)
    m = background_mask(v)
    assert m.tolist() == [False, True, True, True, True, True, True, False, True, False]
    assert background_mask(v, blenderproc_distance=True)[7]
    assert background_mask(v, sentinels=False).tolist() == [False, True, True] + [False] * 5 + [True, False]


def test_background_backplane_and_threshold():
    v = np.array([1.0, 3.9, 3.99999, 4.0, 4.5], dtype=np.float32)
    assert background_mask(v, backplane=4.0).tolist() == [False, False, True, True, True]
    assert background_mask(v, threshold=3.9).tolist() == [False, True, True, True, True]


# -- plan -----------------------------------------------------------------------------------------------------


def test_plan_edits_and_json_round_trip(tmp_path):
    plan = SpanPlan.single(1.0, 10.0, 256)
    assert plan.total_levels() == 256 and len(plan) == 1
    k = plan.split_at(4.0)
    assert k == 1 and plan[1].start == 4.0 and plan[0].end == 4.0 and plan[1].levels == 0
    plan.split_at(6.0, 10)
    plan.allocate(0, 100)
    plan.allocate(1, 50)
    plan.rename(1, "face")
    plan.set_flag(1, "REGION", 2)
    assert plan[1].flags == {"region": 2}
    plan.move(6.0, 7.0)
    assert plan[1].end == 7.0 and plan[2].start == 7.0
    assert plan.offsets() == [0, 100, 150]
    assert plan.total_levels() == 160 and not plan.over_allocated()
    path = plan.save(tmp_path / "plan.json")
    loaded = SpanPlan.load(path)
    assert loaded == plan
    assert SpanPlan.from_json(plan.to_json()) == plan
    plan.clear_flag(1, "region")
    assert plan[1].flags == {}
    plan.remove(0)  # span 1 grows back over span 0
    assert plan[0].start == 1.0 and plan[0].name == "face"
    plan.remove(1)
    assert plan[0].end == 10.0 and len(plan) == 1


def test_plan_rejects_bad_edits():
    plan = SpanPlan.single(0.0, 1.0)
    for bad in (
        lambda: plan.split_at(2.0),
        lambda: plan.remove(0),
        lambda: plan.allocate(3, 1),
        lambda: plan.allocate(0, -1),
        lambda: plan.move(0.5, 0.7),
        lambda: plan.clear_flag(0, "x"),
    ):
        with pytest.raises(PlanError):
            bad()
    plan.split_at(0.5)
    with pytest.raises(PlanError):
        plan.move(0.5, 1.5)
    assert plan.boundaries() == [0.0, 0.5, 1.0]


def test_plan_load_errors_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        SpanPlan.load(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(UserError, match="not a span plan"):
        SpanPlan.load(bad)
    gap = SpanPlan([Span(0, 1, 10), Span(2, 3, 10)]).to_json()
    (tmp_path / "gap.json").write_text(gap)
    with pytest.raises(UserError, match="does not start"):
        SpanPlan.load(tmp_path / "gap.json")
