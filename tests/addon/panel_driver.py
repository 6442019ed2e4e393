"""Runs inside a fresh Python with bpy: draws every Depthcore panel of the installed extension zip.

Usage: python panel_driver.py ZIP OUT_DIR. Reuses driver.py's setup (the zip installed like a user installs it;
only its bundled wheels importable). For several scene states it calls every registered ``DEPTHCORE_PT_*``
panel's ``draw_header``/``draw`` -- and, through ``template_list``, the span UIList's ``draw_item`` for each
span -- with tests/addon/ui_recorder.py's recording layout, which checks each call against the real RNA.
Writes OUT_DIR/panel_report.json (layout trees, problems, tracebacks: facts, no verdicts) and the histogram
image's pixels (histogram.npy) for scripts/render_panel_mock.py.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

import driver  # (sets up sys.path, the bundled-only import finder and BLENDER_USER_RESOURCES)
import ui_recorder

OUT = driver.OUT
bpy, np = driver.bpy, driver.np
MODULE = driver.MODULE
report: dict = {"errors": {}, "states": {}}


def registered_panels() -> list[type]:
    """Every registered DEPTHCORE panel class, parents before children, in registration order."""
    found = [getattr(bpy.types, n) for n in dir(bpy.types) if n.startswith("DEPTHCORE_PT_")]
    found = [c for c in found if isinstance(c, type) and issubclass(c, bpy.types.Panel)]
    order = {cls.__name__: i for i, cls in enumerate(sys.modules[f"{MODULE}.ui.panels"].classes)}
    return sorted(found, key=lambda c: (getattr(c, "bl_order", 0), order.get(c.__name__, len(order)), c.__name__))


def draw_all(state: str) -> None:
    """Draw every panel in the current scene state; record trees, problems and tracebacks."""
    problems: list[str] = []
    panels, raised = [], {}
    for cls in registered_panels():
        try:
            panels.append(ui_recorder.draw_panel(cls, problems))
        except Exception:
            raised[cls.__name__] = traceback.format_exc()
    report["states"][state] = {"panels": panels, "problems": problems, "raised": raised,
                               "spans": len(bpy.context.scene.depthcore.spans)}


def self_check() -> None:
    """The recorder must catch each kind of mistake a draw function can make (else the test proves nothing)."""
    s = bpy.context.scene.depthcore
    mistakes = {
        "missing_property": lambda lay: lay.prop(s, "no_such_property"),
        "missing_operator": lambda lay: lay.operator("depthcore.no_such_operator"),
        "bad_icon": lambda lay: lay.label(text="x", icon="NO_SUCH_ICON"),
        "bad_list": lambda lay: lay.template_list("DEPTHCORE_UL_no_such_list", "", s, "spans", s, "span_index"),
        "not_a_collection": lambda lay: lay.template_list("DEPTHCORE_UL_spans", "", s, "samples", s, "span_index"),
        "operator_property": lambda lay: setattr(lay.operator("depthcore.span_add_split"), "no_such_prop", 1.0),
        "operator_property_type": lambda lay: setattr(lay.operator("depthcore.span_add_split"), "depth", "far"),
        "bad_keyword": lambda lay: lay.prop(s, "samples", txt="Samples"),
        "positional_optional": lambda lay: lay.label("text"),
        "bad_value_type": lambda lay: lay.label(text=3),
        "layout_method": lambda lay: lay.tempalte_list("DEPTHCORE_UL_spans", "", s, "spans", s, "span_index"),
        "layout_attribute": lambda lay: setattr(lay.row(), "enbled", False),
        "raises": lambda lay: lay.label(text=f"{1 / 0}"),
    }
    caught = {}
    for name, draw in mistakes.items():
        cls = type(f"DEPTHCORE_PT_selfcheck_{name}", (), {"bl_label": name, "draw": lambda self, ctx, d=draw: d(
            self.layout)})
        problems: list[str] = []
        try:
            ui_recorder.draw_panel(cls, problems)
        except Exception as exc:
            problems.append(f"raised {type(exc).__name__}: {exc}")
        caught[name] = problems
    good = type("DEPTHCORE_PT_selfcheck_good", (), {"bl_label": "good", "draw": lambda self, ctx: [
        self.layout.prop(s, "samples", text="Samples"),
        setattr(self.layout.operator("depthcore.span_add_split", text="Split"), "depth", 2.0),
        self.layout.template_list("DEPTHCORE_UL_spans", "", s, "spans", s, "span_index", rows=3)]})
    good_problems: list[str] = []
    ui_recorder.draw_panel(good, good_problems)
    caught["good"] = good_problems
    report["self_check"] = caught


def add_estimate(scene, results, prefs) -> None:
    """A real estimate through the add-on's own loader (an EXR written by depthcore) and Compare with Render.

    The EXR is a relative disparity made from the rendered depth (no model is run: the Estimate panel's
    drawing is under test here, tests/addon/test_estimate.py runs the estimator itself).
    """
    from depthcore.io import write_exr

    r = results.get(scene).result
    ripple = 1.0 + 0.05 * np.sin(np.arange(r.depth.shape[1]) / 3.0)  # not a perfect estimate: metrics > 0
    disparity = np.where(r.background, 0.0, 2.0 / np.maximum(r.depth, 1e-3) * ripple + 0.1).astype(np.float32)
    exr = write_exr(OUT / "estimate.depth.exr", {"disparity": disparity}, {"kind": "disparity", "units": "relative"})
    results.load_estimate(scene, exr, "tiny-da", "render")
    # The estimator Python runs `depthcore eval`: this venv, or the one named by DEPTHCORE_ESTIMATOR_PYTHON (the
    # bpy 4.5 run points it at the project venv, as a user points Blender at a Python with depthcore).
    prefs.estimator_python = os.environ.get("DEPTHCORE_ESTIMATOR_PYTHON", sys.executable)
    report["compare"] = driver.op_outcome(lambda: bpy.ops.depthcore.compare_with_render())


def main() -> None:
    report["install"] = driver.op_outcome(lambda: bpy.ops.extensions.package_install_files(
        filepath=str(driver.ZIP), repo="user_default", enable_on_install=True))
    results = sys.modules[f"{MODULE}.results"]
    images = sys.modules[f"{MODULE}.images"]
    report["panels_registered"] = [c.__name__ for c in registered_panels()]
    report["panels_in_module"] = [c.__name__ for c in sys.modules[f"{MODULE}.ui.panels"].classes]
    scene = driver.build_scene()
    s = scene.depthcore
    s.samples = 4  # output_dir stays "//depth/": the .blend is unsaved, so renders write no files

    self_check()
    draw_all("no_render")

    def after_render():
        report["render"] = driver.op_outcome(lambda: bpy.ops.depthcore.render_depth())
        draw_all("after_render")
        hist = images.find(results.HISTOGRAM_IMAGE)
        if hist is not None:
            np.save(OUT / "histogram.npy", images.read_rgba(hist))

    check("after_render", after_render)

    def over_allocated():
        ops = bpy.ops.depthcore
        report["split"] = driver.op_outcome(lambda: ops.span_add_split(depth=3.2))
        ops.plan_save(filepath=str(OUT / "plan.json"))
        report["allocate"] = driver.op_outcome(lambda: ops.span_allocate(index=1, levels=250))
        report["rename"] = driver.op_outcome(lambda: ops.span_rename(index=0, name="near"))
        s.curve, s.use_cutoff, s.backplane_auto, s.use_backplane = "gamma", True, False, False
        report["preview"] = driver.op_outcome(lambda: ops.backplane_preview())
        draw_all("over_allocated")
        ops.backplane_preview()
        ops.plan_load(filepath=str(OUT / "plan.json"))
        s.curve, s.use_cutoff, s.backplane_auto, s.use_backplane = "linear", False, True, True

    check("over_allocated", over_allocated)

    def estimate():
        prefs = bpy.context.preferences.addons[MODULE].preferences
        if not hasattr(results, "load_estimate") or "estimate_depth" not in dir(bpy.ops.depthcore):
            report["estimate_skipped"] = "the extension has no Estimate code"
            return
        s.estimate_keep_color = True
        report["render_with_colour"] = driver.op_outcome(lambda: bpy.ops.depthcore.render_depth())
        add_estimate(scene, results, prefs)
        draw_all("estimate")
        s.estimate_source = "IMAGE"
        draw_all("estimate_image_source")

    check("estimate", estimate)


def check(name: str, fn) -> None:
    try:
        fn()
    except Exception:
        report["errors"][name] = traceback.format_exc()


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        main()
    except Exception:
        report["errors"]["main"] = traceback.format_exc()
    (OUT / "panel_report.json").write_text(json.dumps(report, indent=1, default=str))
