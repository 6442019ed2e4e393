"""Runs inside a fresh Python with bpy: the Estimate subpanel's operators on the installed extension zip.

Usage: python estimate_driver.py ZIP OUT_DIR ESTIMATOR_PYTHON MODEL_FOLDER NO_DEPTHCORE_PYTHON. Reuses driver.py's
setup (the repository's depthcore is taken off sys.path; only the zip's wheels are importable here; the
estimator Python is a separate process). Writes OUT_DIR/estimate_report.json plus arrays; the facts are judged
in tests/addon/test_estimate.py with independent readers.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

import driver  # (sets up sys.path, the bundled-only import finder and BLENDER_USER_RESOURCES)

PYTHON, MODEL, NO_DEPTHCORE = sys.argv[3], sys.argv[4], sys.argv[5]
OUT = driver.OUT
bpy, np = driver.bpy, driver.np
MODULE = driver.MODULE
report: dict = {"errors": {}}


def check(name: str, fn) -> None:
    try:
        fn()
    except Exception:
        report["errors"][name] = traceback.format_exc()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0): look at its state
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def main() -> None:
    report["install"] = driver.op_outcome(lambda: bpy.ops.extensions.package_install_files(
        filepath=str(driver.ZIP), repo="user_default", enable_on_install=True))
    results = sys.modules[f"{MODULE}.results"]
    images = sys.modules[f"{MODULE}.images"]
    est_mod = sys.modules[f"{MODULE}.operators.estimate_depth"]
    prefs = bpy.context.preferences.addons[MODULE].preferences
    report["operators"] = sorted(dir(bpy.ops.depthcore))

    scene = driver.build_scene()
    s = scene.depthcore
    s.samples = 4
    s.estimate_keep_color = True
    s.output_dir = str(OUT / "render") + "/"
    s.write_plan = True
    report["render"] = driver.op_outcome(lambda: bpy.ops.depthcore.render_depth())
    r = results.get(scene).result
    report["color_shape"] = None if r.color is None else list(r.color.shape)
    np.savez(OUT / "render.npz", depth=r.depth, background=r.background, color=r.color)
    s.estimate_model_folder = MODEL
    s.estimate_device = "cpu"

    def bad_python():
        before = driver.snapshot(scene)
        for key, path in (("unset", ""), ("missing", "/nonexistent/bin/python3"), ("no_depthcore", NO_DEPTHCORE)):
            prefs.estimator_python = path
            report[f"python_{key}"] = driver.op_outcome(lambda: bpy.ops.depthcore.estimate_depth())
        report["bad_python_snapshot_equal"] = driver.same(before, driver.snapshot(scene))
        report["bad_python_estimate"] = results.get_estimate(scene) is not None
        report["bad_python_images"] = [images.find(n) is not None for n in results.ESTIMATE_IMAGES]

    check("bad_python", bad_python)

    def estimate():
        prefs.estimator_python = PYTHON
        before = driver.snapshot(scene)
        report["no_estimate_compare"] = driver.op_outcome(lambda: bpy.ops.depthcore.compare_with_render())
        report["estimate"] = driver.op_outcome(lambda: bpy.ops.depthcore.estimate_depth())
        report["estimate_snapshot_equal"] = driver.same(before, driver.snapshot(scene))
        est = results.get_estimate(scene)
        report["estimate_summary"] = est.summary()
        report["estimate_kind"] = [est.kind, est.units, est.source]
        report["alignment"] = est.alignment
        (OUT / "estimate.depth.exr").write_bytes(est.exr_bytes)
        values_img = images.find(results.ESTIMATED_IMAGE)
        grey_img = images.find(results.ESTIMATED_NORMALISED_IMAGE)
        report["image_sizes"] = [list(values_img.size), list(grey_img.size)]
        np.save(OUT / "estimate_values.npy", images.read_rgba(values_img)[..., 0])
        np.save(OUT / "estimate_grey.npy", images.read_grey(grey_img, int(s.bits)))
        report["plan_save"] = driver.op_outcome(lambda: bpy.ops.depthcore.plan_save(filepath=str(OUT / "plan.json")))
        report["compare"] = driver.op_outcome(lambda: bpy.ops.depthcore.compare_with_render())
        report["metrics"] = est.metrics
        # Edit the plan: the estimate re-normalises with the edited plan.
        report["split"] = driver.op_outcome(lambda: bpy.ops.depthcore.span_add_split(depth=3.2))
        np.save(OUT / "estimate_grey_after_split.npy", images.read_grey(grey_img, int(s.bits)))
        report["renormalise"] = driver.op_outcome(lambda: bpy.ops.depthcore.estimate_normalise())
        report["plan_save_edited"] = driver.op_outcome(
            lambda: bpy.ops.depthcore.plan_save(filepath=str(OUT / "plan_edited.json")))
        np.save(OUT / "estimate_grey_edited.npy", images.read_grey(grey_img, int(s.bits)))

    check("estimate", estimate)

    def cancel():
        before = driver.snapshot(scene)
        summary = results.get_estimate(scene).summary()
        job = est_mod.EstimateJob(bpy.context)
        pid, tmp = job.process.pid, job.tmp
        deadline = time.monotonic() + 60
        while not job.process.events and time.monotonic() < deadline:  # running: it has said "start"
            job.process.poll()
            time.sleep(0.02)
        report["cancel_events_before"] = [e.get("event") for e in job.process.events]
        report["cancel_alive_before"] = pid_alive(pid)
        job.cancel()
        report["cancel_returncode"] = job.process.proc.returncode
        report["cancel_alive_after"] = pid_alive(pid)
        report["cancel_tmp_left"] = tmp.exists()
        report["cancel_estimate_kept"] = results.get_estimate(scene).summary() == summary
        report["cancel_snapshot_equal"] = driver.same(before, driver.snapshot(scene))

    check("cancel", cancel)

    def image_source():
        img = bpy.data.images.new("Photo", 40, 30)
        rgba = np.random.default_rng(1).random((30, 40, 4)).astype(np.float32)
        rgba[..., 3] = 1.0
        img.pixels.foreach_set(rgba.ravel())
        s.estimate_source, s.estimate_image = "IMAGE", img
        report["image_estimate"] = driver.op_outcome(lambda: bpy.ops.depthcore.estimate_depth())
        est = results.get_estimate(scene)
        report["image_estimate_kind"] = [est.kind, est.units, est.source, est.alignment, est.depth is None]
        (OUT / "image.depth.exr").write_bytes(est.exr_bytes)
        grey_img = images.find(results.ESTIMATED_NORMALISED_IMAGE)
        report["image_grey_size"] = list(grey_img.size)
        np.save(OUT / "image_grey.npy", images.read_grey(grey_img, int(s.bits)))
        s.estimate_source, s.estimate_image = "RENDER", None

    check("image_source", image_source)

    def unregister():
        report["disable"] = driver.op_outcome(lambda: bpy.ops.preferences.addon_disable(module=MODULE))
        report["types_after_disable"] = driver.registered_names()

    check("unregister", unregister)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        main()
    except Exception:
        report["errors"]["main"] = traceback.format_exc()
    (OUT / "estimate_report.json").write_text(json.dumps(report, indent=1, default=str))
