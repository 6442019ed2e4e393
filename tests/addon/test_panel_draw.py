"""The Depth panel's draw code, run for real: every registered panel, its header and the span list's rows.

Headless bpy has no window, so Blender never calls ``Panel.draw`` in tests. tests/addon/panel_driver.py installs
the extension zip into the real bpy module (as a user does) and, in several scene states, calls each registered
``DEPTHCORE_PT_*`` panel's ``draw_header``/``draw`` with tests/addon/ui_recorder.py's recording layout, which
checks every call against Blender's own RNA (methods and their parameters, icons, properties, operators and their
properties, UIList classes). A typo in a draw function fails here instead of in a user's sidebar.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from addon_runner import run_driver

pytestmark = pytest.mark.blender

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
STATES = ("no_render", "after_render", "over_allocated")


@pytest.fixture(scope="module")
def run(tmp_path_factory, extension_zip) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("panel")
    out = base / "out"
    report = run_driver("panel_driver.py", [str(extension_zip), str(out)], base, out / "panel_report.json", 600)
    return SimpleNamespace(out=out, report=report)


def nodes(tree: dict | None, parents: tuple = ()) -> Iterator[tuple[dict, tuple]]:
    """Every node of a recorded layout tree with its ancestors (list rows included)."""
    if tree is None:
        return
    yield tree, parents
    for child in tree.get("items", []):
        if isinstance(child, dict):
            yield from nodes(child, (*parents, tree))


def panel(run, state: str, name: str) -> dict:
    return next(p for p in run.report["states"][state]["panels"] if p["panel"] == name)


def of_type(tree: dict | None, kind: str) -> list[dict]:
    return [n for n, _ in nodes(tree) if n.get("type") == kind]


def test_driver_ran(run):
    assert run.report["install"] == "FINISHED"
    assert run.report["errors"] == {}
    assert run.report["render"] == "FINISHED"


def test_the_recorder_catches_each_kind_of_mistake(run):
    """Broken draw functions are caught (else a clean draw below would prove nothing)."""
    caught = run.report["self_check"]
    assert caught.pop("good") == []
    missed = [name for name, problems in caught.items() if not problems]
    assert not missed, missed
    assert len(caught) >= 10


def test_every_registered_panel_is_drawn(run):
    registered = run.report["panels_registered"]
    assert set(run.report["panels_in_module"]) <= set(registered)
    assert "DEPTHCORE_PT_main" in registered and len(registered) >= 6
    for state, result in run.report["states"].items():
        drawn = [p["panel"] for p in result["panels"]]
        assert sorted(drawn + list(result["raised"])) == sorted(registered), state
        for p in result["panels"]:
            assert p["parent"] in ("", *registered), p
            assert p["poll"] is False or p["body"] is not None, (state, p["panel"])


@pytest.mark.parametrize("state", [*STATES, "estimate", "estimate_image_source"])
def test_draw_code_runs_and_matches_the_rna(run, state):
    if state not in run.report["states"]:
        pytest.skip(run.report.get("estimate_skipped", f"state {state} not drawn"))
    result = run.report["states"][state]
    assert result["raised"] == {}, "\n".join(result["raised"].values())
    assert result["problems"] == [], "\n".join(result["problems"])


@pytest.mark.parametrize("state", STATES)
def test_span_list_draws_one_row_per_span(run, state):
    lists = of_type(panel(run, state, "DEPTHCORE_PT_normalise")["body"], "list")
    assert [x["list"] for x in lists] == ["DEPTHCORE_UL_spans"]
    rows = lists[0]["items"]
    assert len(rows) == run.report["states"][state]["spans"]
    for row in rows:
        assert [p["property"] for p in of_type(row, "prop")] == ["name", "levels"]


def test_no_render_state(run):
    main = panel(run, "no_render", "DEPTHCORE_PT_main")
    assert [n["text"] for n in of_type(main["body"], "label")] == ["No depth rendered yet"]
    assert run.report["states"]["no_render"]["spans"] == 0
    hist = panel(run, "no_render", "DEPTHCORE_PT_histogram")
    assert of_type(hist["body"], "icon") == [] and of_type(hist["body"], "label")


def test_after_render_state(run):
    main = panel(run, "after_render", "DEPTHCORE_PT_main")
    assert of_type(main["body"], "label")[0]["text"].startswith("Frame 1: 64x48")
    icons = of_type(panel(run, "after_render", "DEPTHCORE_PT_histogram")["body"], "icon")
    assert [i["image"] for i in icons] == ["Depth Histogram"]
    header = panel(run, "after_render", "DEPTHCORE_PT_backplane")["header"]
    assert [(p["property"], p.get("text")) for p in of_type(header, "prop")] == [("use_backplane", "")]
    ops = {o["operator"] for o in of_type(panel(run, "after_render", "DEPTHCORE_PT_render")["body"], "operator")}
    assert ops == {"depthcore.render_depth", "depthcore.render_depth_animation"}
    split = [o for o in of_type(panel(run, "after_render", "DEPTHCORE_PT_normalise")["body"], "operator")
             if o["label"] == "Split"]
    assert split and split[0]["props"] == {"depth": 1.0}  # the operator property set from the panel


def test_over_allocated_state(run):
    body = panel(run, "over_allocated", "DEPTHCORE_PT_normalise")["body"]
    over = [(n, parents) for n, parents in nodes(body) if n.get("type") == "label" and "over-allocated" in n["text"]]
    assert len(over) == 1
    label, parents = over[0]
    assert label["icon"] == "ERROR" and parents[-1]["attrs"].get("alert") is True
    assert of_type(body, "list")[0]["items"][0]["items"][0]["items"][0]["value"] == "near"
    assert "gamma" in {p["property"] for p in of_type(body, "prop")}
    preview = [o for o in of_type(panel(run, "over_allocated", "DEPTHCORE_PT_backplane")["body"], "operator")
               if o["operator"] == "depthcore.backplane_preview"]
    assert [(o["label"], o["depress"]) for o in preview] == [("Hide Preview", True)]


def test_estimate_state(run):
    if "estimate" not in run.report["states"]:
        pytest.skip(run.report.get("estimate_skipped", "no estimate state"))
    assert run.report["compare"] == "FINISHED"
    estimate = [p for p in run.report["states"]["estimate"]["panels"] if p["panel"] == "DEPTHCORE_PT_estimate"]
    texts = [n["text"] for n in of_type(estimate[0]["body"], "label")] if estimate else []
    assert any("tiny-da" in t for t in texts), texts
    assert any("AbsRel" in t for t in texts), texts
