"""Runs inside a fresh Python with bpy: installs the built extension zip like a user and drives it via bpy.ops.

Usage: python driver.py ZIP OUT_DIR. Writes OUT_DIR/report.json (facts recorded, no verdicts) plus the files
the add-on wrote; tests/addon/test_extension.py judges them with independent readers. The repository's own
``depthcore`` is taken off sys.path first, so the add-on can only use the wheel bundled in the zip.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from pathlib import Path

ZIP, OUT = Path(sys.argv[1]), Path(sys.argv[2])
REPO = Path(__file__).resolve().parents[2]
os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="depthcore_user_")
sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != REPO]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
for _name in [m for m in sys.modules if m.split(".")[0] in {"OpenEXR", "Imath", "PIL", "depthcore"}]:
    del sys.modules[_name]

import importlib.machinery  # noqa: E402

import bpy  # noqa: E402
import numpy as np  # noqa: E402

# Blender ships numpy but not these: they must come from the wheels bundled in the zip, not from this venv.
BUNDLED = {"OpenEXR", "Imath", "PIL", "depthcore"}
EXT_SITE = (Path(os.environ["BLENDER_USER_RESOURCES"]) / "extensions" / ".local" / "lib"
            / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages")


class OnlyBundled:
    """Meta-path finder: the bundled top-level packages are found in the extension's site-packages only."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname not in BUNDLED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, [str(EXT_SITE)])
        if spec is None:
            raise ModuleNotFoundError(f"{fullname} is not in the extension's wheels", name=fullname)
        return spec


sys.meta_path.insert(0, OnlyBundled)

MODULE = "bl_ext.user_default.depthcore"
report: dict = {"errors": {}}


def handler_counts() -> dict[str, int]:
    return {n: len(getattr(bpy.app.handlers, n)) for n in dir(bpy.app.handlers)
            if not n.startswith("_") and isinstance(getattr(bpy.app.handlers, n), list)}


def registered_names() -> list[str]:
    return sorted(n for n in dir(bpy.types) if n.upper().startswith("DEPTHCORE"))


def snapshot(scene: bpy.types.Scene) -> dict:
    """Everything a depth render touches, as plain data."""
    r, vl = scene.render, scene.view_layers[0]
    im = r.image_settings
    cam = scene.camera
    world = scene.world
    return {
        "engine": r.engine,
        "resolution": [r.resolution_x, r.resolution_y, r.resolution_percentage],
        "samples": scene.cycles.samples,
        "denoising": scene.cycles.use_denoising,
        "filepath": r.filepath,
        "image_settings": [im.file_format, im.color_depth, im.color_mode, im.exr_codec],
        "film_transparent": r.film_transparent,
        "use_compositing": r.use_compositing,
        "use_nodes": scene.use_nodes,
        "node_tree": None if scene.node_tree is None else sorted(n.bl_idname for n in scene.node_tree.nodes),
        "passes": [getattr(vl, p) for p in ("use_pass_z", "use_pass_mist", "use_pass_object_index",
                                             "use_pass_normal", "use_pass_combined")],
        "mist": None if world is None else [world.mist_settings.start, world.mist_settings.depth,
                                            world.mist_settings.falloff],
        "frame": [scene.frame_current, scene.frame_subframe],
        "camera": None if cam is None else [cam.name, cam.data.lens, cam.data.dof.use_dof, cam.data.shift_x],
        "objects": sorted([o.name, o.pass_index, o.hide_render, [round(x, 6) for x in o.matrix_world.translation],
                           o.parent.name if o.parent else None] for o in bpy.data.objects),
        "datablocks": {k: sorted(x.name for x in getattr(bpy.data, k))
                       for k in ("meshes", "materials", "node_groups", "worlds", "cameras", "lights",
                                 "collections", "textures", "actions", "scenes")},
        "images": sorted(i.name for i in bpy.data.images if not i.get("depthcore_result")),
    }


def same(a: dict, b: dict) -> bool | list[str]:
    """True when two snapshots are equal, else the keys that differ (with both values, for the report)."""
    return True if a == b else [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in a if a.get(k) != b.get(k)]


def check(name: str, fn) -> None:
    """Run one phase; record its exception text instead of stopping the whole driver."""
    try:
        fn()
    except Exception:
        report["errors"][name] = traceback.format_exc()


def op_outcome(call) -> str:
    """'FINISHED' / 'CANCELLED', or 'ERROR: <message>' when the operator reported an error."""
    try:
        return ",".join(sorted(call()))
    except RuntimeError as exc:
        return f"ERROR: {exc}"


def build_scene() -> bpy.types.Scene:
    for ob in list(bpy.data.objects):
        bpy.data.objects.remove(ob, do_unlink=True)
    scene = bpy.context.scene
    cam = bpy.data.objects.new("Cam", bpy.data.cameras.new("Cam"))
    scene.collection.objects.link(cam)
    scene.camera = cam  # at the origin looking down -Z
    bpy.ops.mesh.primitive_cube_add(size=1, location=(0.5, 0, -3))  # front face at depth 2.5
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.5, location=(-0.7, 0, -4))
    bpy.ops.mesh.primitive_plane_add(size=2, location=(0, 0.4, -6))  # depth 6, leaves background around it
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 64, 48, 100
    scene.frame_start, scene.frame_end, scene.frame_current = 1, 2, 1
    return scene


def frame_arrays(scene, name: str) -> None:
    """Save the add-on's in-memory last render (object index pass and names) for the test."""
    results = sys.modules[f"{MODULE}.results"]
    r = results.get(scene).result
    np.savez(OUT / f"{name}.npz", depth=r.depth, background=r.background, object_index=r.object_index)
    report[f"{name}_object_names"] = {str(k): v for k, v in r.object_names.items()}


def main() -> None:
    report["handlers_before"] = handler_counts()
    report["types_before"] = registered_names()
    report["install"] = op_outcome(lambda: bpy.ops.extensions.package_install_files(
        filepath=str(ZIP), repo="user_default", enable_on_install=True))
    import depthcore  # only importable now, from the extension's wheels

    report["depthcore_file"] = depthcore.__file__
    report["bundled_files"] = {name: sys.modules[name].__file__ for name in sorted(BUNDLED) if name in sys.modules}
    report["extensions_dir"] = str(Path(os.environ["BLENDER_USER_RESOURCES"]) / "extensions")
    report["types_installed"] = registered_names()
    report["handlers_installed"] = handler_counts()
    report["operators"] = sorted(dir(bpy.ops.depthcore))
    settings_type = bpy.types.Scene.bl_rna.properties["depthcore"].fixed_type
    report["settings_properties"] = sorted(p.identifier for p in settings_type.properties)
    report["span_properties"] = sorted(p.identifier for p in settings_type.properties["spans"].fixed_type.properties)
    results = sys.modules[f"{MODULE}.results"]
    images = sys.modules[f"{MODULE}.images"]
    report["result_images"] = list(results.RESULT_IMAGES)

    scene = build_scene()
    s = scene.depthcore
    s.samples = 4
    out1 = OUT / "render"
    s.output_dir = str(out1) + "/"
    s.write_distance_exr = s.write_mask = s.write_plan = s.write_intrinsics = True
    mine = bpy.data.images.new("Depth", 4, 4)  # the user's own image that happens to share a result's name
    mine.pixels.foreach_set(np.full(64, 0.25, np.float32))
    report["user_image_before"] = [list(mine.size), float(mine.pixels[0]), float(mine.pixels[-2]), None]
    before = snapshot(scene)

    # 1. Render Depth with the automatic backplane.
    def render():
        report["render"] = op_outcome(lambda: bpy.ops.depthcore.render_depth())
        report["render_snapshot_equal"] = same(before, snapshot(scene))
        report["render_files"] = sorted(os.listdir(out1))
        report["auto_plan"] = [[x.start, x.end, x.levels] for x in s.spans]
        report["images_after_render"] = sorted(i.name for i in bpy.data.images)
        user = bpy.data.images["Depth"]
        px = np.empty(64, np.float32)
        user.pixels.foreach_get(px)
        report["user_image_kept"] = [list(user.size), float(px.min()), float(px.max()), user.get("depthcore_result")]
        hist = images.find(results.HISTOGRAM_IMAGE)
        report["histogram_size"] = None if hist is None else list(hist.size)
        np.save(OUT / "histogram.npy", images.read_rgba(hist))
        frame_arrays(scene, "render")

    check("render", render)

    # 2. Shape the plan through the panel's operators, apply, save: compared with depthcore normalise.
    def plan_edits():
        ops = bpy.ops.depthcore
        report["auto_after_render"] = s.plan_auto
        report["split"] = op_outcome(lambda: ops.span_add_split(depth=3.2))
        report["allocate"] = op_outcome(lambda: ops.span_allocate(index=0, levels=100))
        report["allocate_1"] = op_outcome(lambda: ops.span_allocate(index=1, levels=120))
        report["rename"] = op_outcome(lambda: ops.span_rename(index=0, name="near"))
        report["bad_split"] = op_outcome(lambda: ops.span_add_split(depth=99.0))
        report["plan_after_edits"] = [[x.name, x.start, x.end, x.levels] for x in s.spans]
        report["auto_after_edits"] = s.plan_auto
        s.output_dir = str(OUT / "plan8") + "/"
        report["apply"] = op_outcome(lambda: ops.apply_normalise())
        report["save8"] = op_outcome(lambda: ops.save_outputs())
        grey = images.read_grey(images.find(results.NORMALISED_IMAGE), 8)
        np.save(OUT / "plan8_image.npy", grey)
        s.bits, s.curve, s.invert = "16", "inverse", True
        s.output_dir = str(OUT / "plan16") + "/"
        report["apply16"] = op_outcome(lambda: ops.apply_normalise())
        report["save16"] = op_outcome(lambda: ops.save_outputs())
        np.save(OUT / "plan16_image.npy", images.read_grey(images.find(results.NORMALISED_IMAGE), 16))
        s.bits, s.curve, s.invert = "8", "linear", False
        report["over_allocate"] = op_outcome(lambda: ops.span_allocate(index=1, levels=250))
        report["over_apply"] = op_outcome(lambda: ops.apply_normalise())
        report["plan_edits_snapshot_equal"] = same(before, snapshot(scene))
        plan_path = OUT / "saved_plan.json"
        report["plan_save"] = op_outcome(lambda: ops.plan_save(filepath=str(plan_path)))
        report["plan_load_missing"] = op_outcome(lambda: ops.plan_load(filepath=str(OUT / "nope.json")))
        report["plan_load"] = op_outcome(lambda: ops.plan_load(filepath=str(plan_path)))
        report["plan_after_load"] = [[x.name, x.start, x.end, x.levels] for x in s.spans]
        ops.span_allocate(index=1, levels=120)

    check("plan_edits", plan_edits)

    # 3. Object-aware levels: the sphere gets 64 levels.
    def selection():
        bpy.ops.object.select_all(action="DESELECT")
        bpy.data.objects["Sphere"].select_set(True)
        s.output_dir = str(OUT / "selection") + "/"
        report["selection"] = op_outcome(lambda: bpy.ops.depthcore.selection_levels(levels=64))
        report["selection_plan"] = [[x.name, x.start, x.end, x.levels] for x in s.spans]
        report["selection_save"] = op_outcome(lambda: bpy.ops.depthcore.save_outputs())
        coll = bpy.data.collections.new("Front")
        coll.objects.link(bpy.data.objects["Cube"])
        s.selection_collection = coll
        s.output_dir = str(OUT / "collection") + "/"
        report["collection"] = op_outcome(lambda: bpy.ops.depthcore.selection_levels(levels=32))
        report["collection_save"] = op_outcome(lambda: bpy.ops.depthcore.save_outputs())
        s.selection_collection = None
        bpy.data.collections.remove(coll)

    check("selection", selection)

    # 4. Backplane preview shown and hidden; a wide shifted lens is still covered corner to corner.
    def backplane():
        report["preview_on"] = op_outcome(lambda: bpy.ops.depthcore.backplane_preview())
        ob = results.backplane_preview(scene)
        report["preview_object"] = None if ob is None else [ob.hide_render, ob.parent.name]
        report["preview_off"] = op_outcome(lambda: bpy.ops.depthcore.backplane_preview())
        report["preview_snapshot_equal"] = same(before, snapshot(scene))
        cam = scene.camera.data
        cam.lens, cam.shift_x, cam.shift_y, cam.sensor_fit = 14.0, 0.3, -0.2, "VERTICAL"
        s.output_dir = str(OUT / "wide") + "/"
        wide_before = snapshot(scene)
        report["wide"] = op_outcome(lambda: bpy.ops.depthcore.render_depth())
        report["wide_snapshot_equal"] = same(wide_before, snapshot(scene))
        frame_arrays(scene, "wide")
        cam.type = "ORTHO"
        cam.ortho_scale = 3.0
        s.output_dir = str(OUT / "ortho") + "/"
        s.distance_from = "depth"
        report["ortho"] = op_outcome(lambda: bpy.ops.depthcore.render_depth())
        s.distance_from = "mist"
        frame_arrays(scene, "ortho")
        cam.type, cam.lens, cam.shift_x, cam.shift_y, cam.sensor_fit = "PERSP", 50.0, 0.0, 0.0, "AUTO"

    check("backplane", backplane)

    # 5. Scene safety: forced failure mid-render, user error, cancelled animation, finished animation.
    def safety():
        passes = sys.modules[f"{MODULE}.render.passes"]
        real = passes.read_passes
        s.output_dir = str(OUT / "failure") + "/"
        snap = snapshot(scene)

        def boom(*args, **kwargs):
            raise RuntimeError("forced failure while reading the passes")

        passes.read_passes = boom
        try:
            report["forced_failure"] = op_outcome(lambda: bpy.ops.depthcore.render_depth())
        finally:
            passes.read_passes = real
        report["failure_snapshot_equal"] = same(snap, snapshot(scene))
        report["failure_files"] = sorted(os.listdir(OUT / "failure")) if (OUT / "failure").exists() else []

        s.output_dir = "//unsaved/"  # relative to a .blend that was never saved: images only, no files
        report["unsaved_render"] = op_outcome(lambda: bpy.ops.depthcore.render_depth())
        report["unsaved_dir_exists"] = (Path.cwd() / "unsaved").exists() or Path("/unsaved").exists()

        cam = scene.camera
        scene.camera = None
        snap = snapshot(scene)
        report["no_camera"] = op_outcome(lambda: bpy.ops.depthcore.render_depth())
        report["no_camera_snapshot_equal"] = same(snap, snapshot(scene))
        scene.camera = cam

        animation = sys.modules[f"{MODULE}.animation"]
        s.output_dir = str(OUT / "cancel") + "/"
        scene.frame_end = 3
        snap = snapshot(scene)
        job = animation.AnimationJob(scene)
        report["cancel_first_step_done"] = job.step()
        report["cancel_in_between_snapshot_equal"] = same(snap, snapshot(scene))
        tmp = job.tmp
        job.cancel()
        report["cancel_tmp_left"] = tmp is not None and tmp.exists()
        report["cancel_snapshot_equal"] = same(snap, snapshot(scene))
        report["cancel_files"] = sorted(os.listdir(OUT / "cancel"))

        calls = {"n": 0}

        def fail_second(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("forced failure on the second frame")
            return real(*args, **kwargs)

        passes.read_passes = fail_second
        s.output_dir = str(OUT / "anim_fail") + "/"
        try:
            report["anim_failure"] = op_outcome(lambda: bpy.ops.depthcore.render_depth_animation())
        finally:
            passes.read_passes = real
        report["anim_failure_snapshot_equal"] = same(snap, snapshot(scene))

        scene.frame_end = 2
        s.output_dir = str(OUT / "anim") + "/"
        snap = snapshot(scene)
        report["anim"] = op_outcome(lambda: bpy.ops.depthcore.render_depth_animation())
        report["anim_snapshot_equal"] = same(snap, snapshot(scene))
        report["anim_files"] = sorted(os.listdir(OUT / "anim"))

    check("safety", safety)

    # 6. Animation with the automatic plan and one global range: the cube comes nearer in frame 2.
    def global_range():
        cube = bpy.data.objects["Cube"]
        cube.location.z = -3.0
        cube.keyframe_insert("location", frame=1)
        cube.location.z = -1.5
        cube.keyframe_insert("location", frame=2)
        scene.frame_set(1)
        s.plan_auto, s.global_range = True, True
        s.output_dir = str(OUT / "global") + "/"
        snap = snapshot(scene)
        report["global"] = op_outcome(lambda: bpy.ops.depthcore.render_depth_animation())
        report["global_snapshot_equal"] = same(snap, snapshot(scene))
        report["global_files"] = sorted(os.listdir(OUT / "global"))
        report["auto_before_inline_edit"] = s.plan_auto
        s.spans[0].levels = 200  # typed into the list
        report["auto_after_inline_edit"] = s.plan_auto

    check("global_range", global_range)

    # 7. Unregister leaves nothing behind; enabling again works.
    def unregister():
        report["disable"] = op_outcome(lambda: bpy.ops.preferences.addon_disable(module=MODULE))
        report["types_after_disable"] = registered_names()
        report["scene_prop_after_disable"] = hasattr(bpy.types.Scene, "depthcore")
        report["handlers_after_disable"] = handler_counts()
        report["enable_again"] = op_outcome(lambda: bpy.ops.preferences.addon_enable(module=MODULE))
        report["types_enabled_again"] = registered_names()

    check("unregister", unregister)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        main()
    except Exception:
        report["errors"]["main"] = traceback.format_exc()
    (OUT / "report.json").write_text(json.dumps(report, indent=1, default=str))
