"""The Blender extension, used the way a user uses it.

The zip is built with scripts/build_extension.py (Blender's own validate + build), installed into the real bpy
module with ``bpy.ops.extensions.package_install_files(..., enable_on_install=True)`` and driven through
``bpy.ops`` in one subprocess (tests/addon/driver.py, which records facts only). Here the files it wrote are
read back with independent readers (OpenEXR, Pillow, json) and judged.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import OpenEXR
import pytest
from addon_runner import run_driver
from PIL import Image

pytestmark = pytest.mark.blender

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
STEM = "Scene_0001"


@pytest.fixture(scope="module")
def run(tmp_path_factory, extension_zip) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("addon")
    out = base / "out"
    report = run_driver("driver.py", [str(extension_zip), str(out)], base, out / "report.json")
    return SimpleNamespace(zip=extension_zip, out=out, report=report)


def read_exr(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    with OpenEXR.File(str(path)) as f:
        header = dict(f.header())
        return {name: np.array(ch.pixels) for name, ch in f.channels().items()}, header


def header_float(header: dict, key: str) -> float:
    value = header[key]
    return float(value.decode() if isinstance(value, bytes) else value)


def read_png(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.array(img)


def object_pixels(run, name: str, which: str = "render") -> np.ndarray:
    arrays = np.load(run.out / f"{which}.npz")
    ids = {v: int(k) for k, v in run.report[f"{which}_object_names"].items()}
    return (arrays["object_index"] == ids[name]) & ~arrays["background"]


def depthcore_normalise(folder: Path, bits: int, curve: str = "linear", invert: bool = False) -> np.ndarray:
    """What `depthcore normalise` gives for the add-on's own depth EXR and plan JSON."""
    from depthcore.normalise import NormaliseOptions, normalise
    from depthcore.plan import SpanPlan

    channels, header = read_exr(folder / f"{STEM}.depth.exr")
    opts = NormaliseOptions(bits=bits, curve=curve, invert=invert,
                            backplane=header_float(header, "depthcore:backplane_depth"))
    return normalise(channels["depth"], opts, plan=SpanPlan.load(folder / f"{STEM}.plan.json")).grey


# -- packaging -------------------------------------------------------------------------------------------------
def test_zip_is_an_extension_with_bundled_wheels(run):
    with zipfile.ZipFile(run.zip) as z:
        names = set(z.namelist())
        manifest = z.read("blender_manifest.toml").decode()
    assert 'id = "depthcore"' in manifest and 'blender_version_min = "4.2.0"' in manifest
    wheels = [w.strip(' "') for w in manifest.split("wheels = [", 1)[1].split("]", 1)[0].split(",")]
    assert any(w.startswith("./wheels/depthcore-") and w.endswith("py3-none-any.whl") for w in wheels)
    assert any("openexr-" in w and "manylinux" in w for w in wheels)
    assert all(w[2:] in names for w in wheels)
    assert 'platforms = ["linux-x64"]' in manifest  # built with --platforms linux-x64: only what it bundles
    assert "__init__.py" in names and "render/frame.py" in names and "operators/render_depth.py" in names


def test_installed_like_a_user_and_uses_the_bundled_depthcore(run):
    r = run.report
    assert r["install"] == "FINISHED"
    assert r["depthcore_file"].startswith(r["extensions_dir"]), r["depthcore_file"]
    assert sorted(r["bundled_files"]) == ["Imath", "OpenEXR", "PIL", "depthcore"]
    for name, path in r["bundled_files"].items():
        assert path.startswith(r["extensions_dir"]), (name, path)
    assert "DEPTHCORE_PT_normalise" in r["types_installed"] and r["types_before"] == []


def test_driver_ran_every_phase(run):
    assert run.report["errors"] == {}


def test_every_operator_and_property_the_panel_draws_exists(run):
    """The panel cannot be drawn headless (no window); at least every name it refers to must be registered."""
    import re

    ui = "\n".join(p.read_text() for p in (REPO / "blender_addon" / "ui").glob("*.py"))
    ops = set(re.findall(r'operator\(\s*"depthcore\.(\w+)"', ui))
    assert ops and ops <= set(run.report["operators"]), ops - set(run.report["operators"])
    props = set(re.findall(r'prop\(s, "(\w+)"', ui)) | set(re.findall(r'"(write_\w+)"', ui))
    assert props and props <= set(run.report["settings_properties"]), props - set(run.report["settings_properties"])
    item_props = set(re.findall(r'prop\(item, "(\w+)"', ui))
    assert item_props <= set(run.report["span_properties"])


def test_histogram_image_shows_the_plot(run):
    assert run.report["histogram_size"] == [600, 280]
    rgba = np.load(run.out / "histogram.npy")
    assert rgba.shape == (280, 600, 4) and rgba[..., :3].std() > 0.05  # a drawing, not a blank image


# -- rendering -------------------------------------------------------------------------------------------------
def test_render_depth_writes_what_the_output_panel_asks(run):
    r = run.report
    assert r["render"] == "FINISHED"
    assert r["render_files"] == sorted(f"{STEM}.{s}" for s in (
        "camera.json", "depth.exr", "depth.png", "distance.exr", "mask.png", "plan.json"))
    results = {"Depth Normalised", "Depth.001", "Distance", "Depth Mask", "Depth Histogram"}
    assert results <= set(r["images_after_render"])
    assert r["user_image_kept"] == r["user_image_before"]  # the user's own "Depth" image is untouched
    assert r["user_image_before"][1] == pytest.approx(0.25, abs=0.01)


def test_depth_exr_is_planar_depth_and_backplane_covers_the_frame(run):
    channels, header = read_exr(run.out / "render" / f"{STEM}.depth.exr")
    depth = channels["depth"]
    assert depth.shape == (48, 64)
    plane, cube = object_pixels(run, "Plane"), object_pixels(run, "Cube")
    assert plane.sum() > 50 and cube.sum() > 50
    np.testing.assert_allclose(depth[plane], 6.0, rtol=1e-4)
    np.testing.assert_allclose(depth[cube], 2.5, rtol=1e-4)
    backplane = header_float(header, "depthcore:backplane_depth")
    assert 6.0 < backplane < 6.5
    text = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in header.items()}
    assert text["depthcore:kind"].strip('"') == "depth" and text["depthcore:units"].strip('"') in ("m", "metres")
    assert np.isfinite(depth).all()  # every pixel, corners included, hit something or the backplane
    empty = ~object_pixels(run, "Plane") & ~cube & ~object_pixels(run, "Sphere")
    np.testing.assert_allclose(depth[empty & np.load(run.out / "render.npz")["background"]], backplane, rtol=1e-4)


def test_distance_matches_converted_depth_away_from_silhouettes(run):
    from depthcore.camera import depth_to_distance, read_camera_json

    K, pose = read_camera_json(run.out / "render" / f"{STEM}.camera.json")
    assert pose is not None and K.width == 64 and K.height == 48
    depth = read_exr(run.out / "render" / f"{STEM}.depth.exr")[0]["depth"]
    distance = read_exr(run.out / "render" / f"{STEM}.distance.exr")[0]["distance"]
    plane = object_pixels(run, "Plane")
    inner = plane.copy()
    inner[1:-1, 1:-1] = plane[1:-1, 1:-1] & plane[:-2, 1:-1] & plane[2:, 1:-1] & plane[1:-1, :-2] & plane[1:-1, 2:]
    inner[[0, -1], :] = inner[:, [0, -1]] = False
    assert inner.sum() > 20
    np.testing.assert_allclose(distance[inner], depth_to_distance(depth, K)[inner], rtol=2e-3)


@pytest.mark.parametrize("which", ["wide", "ortho"])
def test_backplane_covers_every_corner_for_wide_shifted_and_ortho_cameras(run, which):
    assert run.report[which] == "FINISHED"
    depth = np.load(run.out / f"{which}.npz")["depth"]
    assert np.isfinite(depth).all()
    assert np.load(run.out / f"{which}.npz")["background"][[0, 0, -1, -1], [0, -1, 0, -1]].all()


def test_ortho_distance_converted_from_depth_equals_depth(run):
    """Distance From: Depth uses the intrinsics; for an orthographic camera distance is depth."""
    folder = run.out / "ortho"
    depth = read_exr(folder / f"{STEM}.depth.exr")[0]["depth"]
    distance = read_exr(folder / f"{STEM}.distance.exr")[0]["distance"]
    np.testing.assert_allclose(distance, depth, rtol=1e-6)


# -- normalising -------------------------------------------------------------------------------------------------
def test_plan_edits_through_the_panel_operators(run):
    r = run.report
    assert [r[k] for k in ("split", "allocate", "allocate_1", "rename")] == ["FINISHED"] * 4
    (n0, s0, e0, l0), (n1, s1, e1, l1) = r["plan_after_edits"]
    assert (n0, l0, n1, l1) == ("near", 100, "", 120)
    assert s0 == pytest.approx(2.5, rel=1e-4) and e0 == s1 == pytest.approx(3.2, rel=1e-6) and e1 > 6.0 - 1e-4
    assert r["auto_after_render"] is True and r["auto_after_edits"] is False
    assert r["bad_split"].startswith("ERROR") and "outside the plan" in r["bad_split"]
    assert r["over_apply"].startswith("ERROR") and "350 levels" in r["over_apply"]


@pytest.mark.parametrize(("folder", "bits", "curve", "invert"), [("plan8", 8, "linear", False),
                                                                  ("plan16", 16, "inverse", True)])
def test_normalised_png_equals_depthcore_normalise(run, folder, bits, curve, invert):
    png = read_png(run.out / folder / f"{STEM}.depth.png")
    assert png.dtype == (np.uint8 if bits == 8 else np.uint16)
    expected = depthcore_normalise(run.out / folder, bits, curve, invert)
    np.testing.assert_array_equal(png, expected)
    assert len(np.unique(png)) > 20  # a real map, not a constant
    np.testing.assert_array_equal(np.load(run.out / f"{folder}_image.npy"), png)  # the Blender image shows it


def test_normalised_png_equals_the_depthcore_normalise_command(run, tmp_path):
    """The command reads the backplane depth the panel recorded in the EXR: no --backplane needed."""
    folder = run.out / "plan16"
    cmd = [PY, "-m", "depthcore", "normalise", str(folder / f"{STEM}.depth.exr"), "--plan",
           str(folder / f"{STEM}.plan.json"),
           "--bits", "16", "--curve", "inverse", "--invert", "--out-dir", str(tmp_path), "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (made,) = tmp_path.glob("*.png")
    np.testing.assert_array_equal(read_png(made), read_png(folder / f"{STEM}.depth.png"))


def test_plan_json_round_trip_and_missing_file_error(run):
    r = run.report
    assert r["plan_save"] == r["plan_load"] == "FINISHED"
    saved = json.loads((run.out / "saved_plan.json").read_text())
    assert [[s["name"], s["start"], s["end"], s["levels"]] for s in saved["spans"]] == r["plan_after_load"]
    missing = r["plan_load_missing"]
    assert missing.startswith("ERROR") and "nope.json: plan file does not exist" in missing


def test_give_selection_levels_puts_the_sphere_in_its_own_span(run):
    r = run.report
    assert r["selection"] == r["selection_save"] == "FINISHED"
    plan = json.loads((run.out / "selection" / f"{STEM}.plan.json").read_text())
    spans = plan["spans"]
    k = next(i for i, s in enumerate(spans) if s["name"] == "Sphere")
    span = spans[k]
    assert span["levels"] == 64
    assert sum(s["levels"] for s in spans) <= plan["budget"]
    sphere = object_pixels(run, "Sphere")
    depth = read_exr(run.out / "selection" / f"{STEM}.depth.exr")[0]["depth"]
    assert ((depth[sphere] >= span["start"]) & (depth[sphere] < span["end"])).all()
    others = object_pixels(run, "Cube") | object_pixels(run, "Plane")
    assert not ((depth[others] >= span["start"]) & (depth[others] < span["end"])).any()
    offset = sum(s["levels"] for s in spans[:k])
    grey = read_png(run.out / "selection" / f"{STEM}.depth.png")
    assert grey[sphere].max() <= 255 - offset and grey[sphere].min() >= 255 - offset - 63
    assert len(np.unique(grey[sphere])) > 20  # the sphere really uses its levels
    np.testing.assert_array_equal(grey, depthcore_normalise(run.out / "selection", 8))


def test_give_levels_to_a_collection(run):
    r = run.report
    assert r["collection"] == r["collection_save"] == "FINISHED"
    folder = run.out / "collection"
    plan = json.loads((folder / f"{STEM}.plan.json").read_text())
    span = next(s for s in plan["spans"] if s["name"] == "Front")
    assert span["levels"] == 32 and sum(s["levels"] for s in plan["spans"]) <= plan["budget"]
    cube = object_pixels(run, "Cube")
    depth = read_exr(folder / f"{STEM}.depth.exr")[0]["depth"]
    assert ((depth[cube] >= span["start"]) & (depth[cube] < span["end"])).all()
    assert next(s for s in plan["spans"] if s["name"] == "Sphere")["levels"] > 0  # earlier span kept


# -- scene safety -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("phase", ["render", "plan_edits", "preview", "wide", "failure", "no_camera",
                                   "cancel_in_between", "cancel", "anim_failure", "anim", "global"])
def test_scene_unchanged(run, phase):
    assert run.report[f"{phase}_snapshot_equal"] is True, run.report[f"{phase}_snapshot_equal"]


def test_failures_report_and_leave_no_files(run):
    r = run.report
    assert r["forced_failure"].startswith("ERROR") and "forced failure" in r["forced_failure"]
    assert r["failure_files"] == []
    assert r["no_camera"].startswith("ERROR") and "no active camera" in r["no_camera"]
    assert r["anim_failure"].startswith("ERROR")


def test_unsaved_blend_with_relative_output_folder_shows_images_without_files(run):
    assert run.report["unsaved_render"] == "FINISHED"
    assert run.report["unsaved_dir_exists"] is False


def test_cancel_keeps_finished_frames_and_removes_temporary_data(run):
    r = run.report
    assert r["cancel_first_step_done"] is False
    assert r["cancel_tmp_left"] is False
    assert all(f.startswith("Scene_0001.") for f in r["cancel_files"]) and r["cancel_files"]


def test_backplane_preview_shown_and_removed(run):
    r = run.report
    assert r["preview_on"] == r["preview_off"] == "FINISHED"
    assert r["preview_object"] == [True, "Cam"]  # never renders, follows the camera


def test_animation_writes_every_frame(run):
    r = run.report
    assert r["anim"] == "FINISHED"
    assert r["anim_files"] == sorted(f"Scene_{f:04d}.{s}" for f in (1, 2) for s in (
        "camera.json", "depth.exr", "depth.png", "distance.exr", "mask.png", "plan.json"))


def test_global_range_gives_every_frame_the_same_plan(run):
    assert run.report["global"] == "FINISHED"
    folder = run.out / "global"
    plans = [json.loads((folder / f"Scene_{f:04d}.plan.json").read_text()) for f in (1, 2)]
    assert plans[0] == plans[1]
    near = [read_exr(folder / f"Scene_{f:04d}.depth.exr")[0]["depth"].min() for f in (1, 2)]
    assert near[1] < near[0] - 1.0  # the cube came nearer
    assert plans[0]["spans"][0]["start"] == pytest.approx(min(near), rel=1e-5)
    assert (folder / "Scene_0002.distance.exr").is_file()
    assert run.report["auto_before_inline_edit"] is True and run.report["auto_after_inline_edit"] is False


def test_unregister_leaves_nothing_behind(run):
    r = run.report
    assert r["disable"] == "FINISHED"
    assert r["types_after_disable"] == []
    assert r["scene_prop_after_disable"] is False
    assert r["handlers_installed"]["load_post"] == r["handlers_before"]["load_post"] + 1
    assert r["handlers_after_disable"] == r["handlers_before"]
    assert r["enable_again"] == "FINISHED" and r["types_enabled_again"] == r["types_installed"]
