"""`blenderproc run pipelines/render_depth.py` through real BlenderProc 2.8.0 and the bpy-backed launcher."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image
from pipe_paths import BLENDERPROC, BPY_PYTHON, DEMO_FRAMES, EXAMPLE_BLEND, EXAMPLE_CAMERAS, REPO

from depthcore.dataset.hdf5_frame import dataset_digests, read_frame_hdf5, write_frame_hdf5

pytestmark = [pytest.mark.blender, pytest.mark.blenderproc]

DEMO_CATEGORIES = {"Floor": 1, "Cube": 2, "Sphere": 3, "Cone": 4, "Torus": 5}


def _interior(ids: np.ndarray, r: int = 1) -> np.ndarray:
    """Pixels whose (2r+1)^2 neighbourhood has one id (away from silhouettes)."""
    pad = np.pad(ids, r, mode="edge")
    same = np.ones(ids.shape, bool)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            same &= pad[dy : dy + ids.shape[0], dx : dx + ids.shape[1]] == ids
    return same


def test_demo_frames_have_blenderproc_keys_dtypes_shapes(demo_render: Path) -> None:
    files = sorted(demo_render.glob("*.hdf5"))
    assert [f.name for f in files] == [f"{i}.hdf5" for i in range(DEMO_FRAMES)]
    with h5py.File(files[0], "r") as f:
        kinds = {k: (f[k].dtype.str, f[k].shape, f[k].compression) for k in f}
        assert f["blender_proc_version"][()] == b"2.8.0"
    assert kinds["colors"] == ("|u1", (48, 64, 3), "gzip")
    assert kinds["depth"] == ("<f4", (48, 64), "gzip")
    assert kinds["distance"] == ("<f4", (48, 64), "gzip")
    assert kinds["antialiased_depth"] == ("<f8", (48, 64), "gzip")  # dist2depth returns float64
    assert kinds["normals"] == ("<f4", (48, 64, 3), "gzip")
    assert kinds["category_id_segmaps"][1:] == ((48, 64), "gzip")
    assert kinds["instance_segmaps"][1:] == ((48, 64), "gzip")
    assert kinds["instance_attribute_maps"][0].startswith("|S") and kinds["instance_attribute_maps"][1] == ()
    assert set(kinds) == {"colors", "depth", "distance", "antialiased_depth", "normals", "category_id_segmaps",
                          "instance_segmaps", "instance_attribute_maps", "blender_proc_version", "depthcore"}
    # our pure writer produces the same layout as BlenderProc's writer
    copy = write_frame_hdf5(demo_render.parent / "rewritten.hdf5", read_frame_hdf5(files[0]))
    with h5py.File(copy, "r") as f:
        assert {k: (f[k].dtype.str, f[k].shape, f[k].compression) for k in f} == kinds
    assert dataset_digests(copy) == dataset_digests(files[0])


def test_demo_depth_distance_segmaps(demo_render: Path) -> None:
    for i in range(DEMO_FRAMES):
        d = read_frame_hdf5(demo_render / f"{i}.hdf5")
        inst, cat, depth = d["instance_segmaps"], d["category_id_segmaps"], d["depth"]
        attrs = {a["idx"]: a for a in json.loads(d["instance_attribute_maps"])}
        world = [idx for idx, a in attrs.items() if a["name"] == "World"]
        bg = np.isin(inst, world)
        assert bg.any() and (~bg).any()
        assert np.all(depth[bg] == np.float32(1e10))  # Cycles' background depth
        # BlenderProc's distance background (antialiased: edge pixels mix with the object)
        assert np.all(d["distance"][bg & _interior(inst)] == np.float32(10000))
        assert np.all((depth[~bg] > 1) & (depth[~bg] < 20))
        # every object gets its category_id; each instance id is one object
        seen = set()
        for idx, a in attrs.items():
            if a["name"] in DEMO_CATEGORIES and (inst == idx).any():
                assert np.all(cat[inst == idx] == DEMO_CATEGORIES[a["name"]]), a
                seen.add(a["name"])
        assert {"Floor", "Cube", "Sphere"} <= seen
        # antialiased depth from dist2depth matches the Z depth away from silhouettes
        inner = _interior(inst) & ~bg
        rel = np.abs(d["antialiased_depth"][inner] - depth[inner]) / depth[inner]
        assert inner.sum() > 500
        assert np.median(rel) < 5e-3 and np.percentile(rel, 95) < 2e-2, (np.median(rel), rel.max())



def test_demo_normals_are_the_floor_normal_in_camera_axes(demo_render: Path) -> None:
    """QA: enable_normals_output ran before the poses existed, so every normal was (0.5, 0.5, 0.5).

    BlenderProc stores 0.5 + 0.5 * n in Blender's camera axes (x right, y up, z towards the viewer): for the
    flat floor (world normal +Z) that is 0.5 + 0.5 * (third row of the camera-to-world rotation).
    """
    for i in range(DEMO_FRAMES):
        d = read_frame_hdf5(demo_render / f"{i}.hdf5")
        inst, normals = d["instance_segmaps"], d["normals"]
        floor = [a["idx"] for a in json.loads(d["instance_attribute_maps"]) if a["name"] == "Floor"]
        on_floor = np.isin(inst, floor) & _interior(inst)
        assert on_floor.sum() > 200
        cam = json.loads((demo_render / "camera" / f"{i}.json").read_text())
        expected = 0.5 + 0.5 * np.asarray(cam["camera_to_world"])[2, :3]
        np.testing.assert_allclose(np.median(normals[on_floor], axis=0), expected, atol=0.02)
        assert normals.std(axis=(0, 1)).max() > 0.05  # other surfaces face elsewhere

def test_demo_grey_map_and_camera_json(demo_render: Path, demo_scene) -> None:
    lines = demo_scene[1].read_text().split("\n")
    for i in range(DEMO_FRAMES):
        d = read_frame_hdf5(demo_render / f"{i}.hdf5")
        grey = np.asarray(Image.open(demo_render / "grey" / f"{i}.png"))
        assert grey.dtype == np.uint8 and grey.shape == (48, 64)
        fg = d["depth"] < 1e9
        assert np.all(grey[~fg] == 0)  # background black
        near = np.unravel_index(np.argmin(np.where(fg, d["depth"], np.inf)), fg.shape)
        far = np.unravel_index(np.argmax(np.where(fg, d["depth"], -np.inf)), fg.shape)
        assert grey[near] == 255 and grey[far] <= 1  # near = white
        cam = json.loads((demo_render / "camera" / f"{i}.json").read_text())
        assert cam["frame"] == i and cam["units"] == "m"
        assert cam["intrinsics"]["cx"] == pytest.approx(31.5) and cam["intrinsics"]["cy"] == pytest.approx(23.5)
        x, y, z = (float(v) for v in lines[i].split()[:3])
        np.testing.assert_allclose(np.array(cam["camera_to_world"])[:3, 3], [x, y, z], atol=1e-5)
        meta = json.loads(d["depthcore"])
        assert meta["units"] == "m" and meta["camera"]["intrinsics"] == cam["intrinsics"]


def test_blenderproc_vis_hdf5_renders_output(demo_render: Path, tmp_path: Path) -> None:
    proc = subprocess.run([str(BLENDERPROC), "vis", "hdf5", str(demo_render / "1.hdf5"), "--save", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in tmp_path.glob("*.png")}
    assert {"1_colors.png", "1_depth.png", "1_distance.png", "1_normals.png", "1_category_id_segmaps.png",
            "1_instance_segmaps.png"} <= names
    img = np.asarray(Image.open(tmp_path / "1_colors.png"))
    assert img.shape[:2] == (48, 64) and img.std() > 0


def test_blenderproc_extract_hdf5_reads_output(demo_render: Path, tmp_path: Path) -> None:
    proc = subprocess.run([str(BLENDERPROC), "extract", "hdf5", str(demo_render / "0.hdf5"), "--output_dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "0_colors.png").exists()


def test_rerun_skips_complete_frames(run_bproc, demo_render: Path, demo_scene) -> None:
    blend, cams = demo_scene
    before = {p: p.stat().st_mtime_ns for p in demo_render.rglob("*") if p.is_file()}
    proc = run_bproc(cams, blend, demo_render, "--resolution", "64x48", "--samples", "4", "--outputs",
                     "colors,depth,distance,normals,segmaps,grey,camera")
    assert proc.returncode == 0, proc.stderr
    assert f"{DEMO_FRAMES} already complete, 0 to render" in proc.stdout
    assert before == {p: p.stat().st_mtime_ns for p in demo_render.rglob("*") if p.is_file()}
    # other settings in the same folder: refused, nothing touched
    proc = run_bproc(cams, blend, demo_render, "--resolution", "64x48", "--samples", "8", "--outputs",
                     "colors,depth,distance,normals,segmaps,grey,camera")
    assert proc.returncode == 2 and "other settings (samples)" in proc.stderr


def test_shards_produce_exactly_the_single_machine_frames(run_bproc, demo_render: Path, demo_scene,
                                                          tmp_path: Path) -> None:
    blend, cams = demo_scene
    out = tmp_path / "sharded"
    common = ["--resolution", "64x48", "--samples", "4",
              "--outputs", "colors,depth,distance,normals,segmaps,grey,camera"]
    a = run_bproc(cams, blend, out, *common, "--shard", "0/2")
    b = run_bproc(cams, blend, out, *common, env={"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "2",
                                                  "SLURM_ARRAY_TASK_MIN": "1"})
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert "2 frames in shard 0/2" in a.stdout and "2 frames in shard 1/2" in b.stdout
    assert sorted(p.name for p in out.glob("*.hdf5")) == sorted(p.name for p in demo_render.glob("*.hdf5"))
    for i in range(DEMO_FRAMES):
        assert dataset_digests(out / f"{i}.hdf5") == dataset_digests(demo_render / f"{i}.hdf5"), i
        assert (out / "grey" / f"{i}.png").read_bytes() == (demo_render / "grey" / f"{i}.png").read_bytes()
    assert not list(out.glob(".partial*")) and not list(out.rglob("*.tmp*"))


def test_killed_blenderproc_run_resumes_to_identical_datasets(demo_render: Path, demo_scene,
                                                              tmp_path: Path) -> None:
    """SIGKILL the Blender process under `blenderproc run` after its first frame; the rerun completes the set."""
    blend, cams = demo_scene
    out = tmp_path / "killed"
    cmd = [str(BLENDERPROC), "run", "--custom-blender-path", str(REPO / ".blender"),
           str(REPO / "pipelines" / "render_depth.py"), str(cams), str(blend), str(out), "--resolution", "64x48",
           "--samples", "4", "--outputs", "colors,depth,distance,normals,segmaps,grey,camera", "--chunk", "1"]
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "bu")}
    for k in ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"):
        env.pop(k, None)
    cli = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = out / "manifest" / "frames"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and cli.poll() is None and not (records.is_dir() and any(records.iterdir())):
        time.sleep(0.01)
    children = Path(f"/proc/{cli.pid}/task/{cli.pid}/children").read_text().split()
    assert cli.poll() is None and children, "the run finished before it could be killed"
    os.kill(int(children[0]), signal.SIGKILL)  # the Blender process BlenderProc started
    cli.wait(timeout=60)
    complete = len(list(records.glob("[0-9]*.json")))  # not the hidden temp files
    assert 1 <= complete < DEMO_FRAMES
    rerun = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"{complete} already complete" in rerun.stdout
    for i in range(DEMO_FRAMES):
        assert dataset_digests(out / f"{i}.hdf5") == dataset_digests(demo_render / f"{i}.hdf5"), i
    assert not list(out.glob(".partial*")) and not [p for p in out.rglob(".*") if ".tmp" in p.name]


def test_plan_and_frame_range(run_bproc, demo_scene, tmp_path: Path) -> None:
    """--plan drives the grey map exactly as depthcore's normaliser does; --frames picks pose lines."""
    from depthcore.normalise import NormaliseOptions, normalise
    from depthcore.plan import SpanPlan

    blend, cams = demo_scene
    plan = SpanPlan.single(4.0, 9.0, levels=256)
    plan.split_at(6.0, levels=64)
    plan.allocate(0, 192)
    plan_file = plan.save(tmp_path / "plan.json")
    out = tmp_path / "planned"
    proc = run_bproc(cams, blend, out, "--resolution", "64x48", "--samples", "4", "--plan", plan_file,
                     "--frames", "1-2", "--bits", "16", "--outputs", "depth,grey")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(p.name for p in out.glob("*.hdf5")) == ["1.hdf5", "2.hdf5"]
    for i in (1, 2):
        depth = read_frame_hdf5(out / f"{i}.hdf5")["depth"]
        expected = normalise(depth, NormaliseOptions(bits=16), plan=SpanPlan.load(plan_file)).grey
        grey = np.asarray(Image.open(out / "grey" / f"{i}.png")).astype(np.uint16)
        np.testing.assert_array_equal(grey, expected)
        assert set(read_frame_hdf5(out / f"{i}.hdf5")) == {"depth", "blender_proc_version", "depthcore"}


def test_example_scene_from_blenderproc(run_bproc, tmp_path: Path) -> None:
    if not EXAMPLE_BLEND.exists():
        pytest.skip(f"BlenderProc example data not found at {EXAMPLE_BLEND.parent.parent}")
    out = tmp_path / "example"
    proc = run_bproc(EXAMPLE_CAMERAS, EXAMPLE_BLEND, out, "--resolution", "64x64", "--samples", "4")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(p.name for p in out.glob("*.hdf5")) == ["0.hdf5", "1.hdf5"]
    for i in range(2):
        d = read_frame_hdf5(out / f"{i}.hdf5")
        assert d["colors"].shape == (64, 64, 3) and d["depth"].dtype == np.float32
        attrs = json.loads(d["instance_attribute_maps"])
        assert all("category_id" in a and "name" in a for a in attrs)
        for a in attrs:  # the scene's own category_id per object
            assert np.all(d["category_id_segmaps"][d["instance_segmaps"] == a["idx"]] == a["category_id"])
        fg = d["depth"] < 1e9
        assert fg.mean() > 0.2
        assert np.all(d["depth"][~fg] == np.float32(1e10))
        assert (out / "grey" / f"{i}.png").exists() and (out / "camera" / f"{i}.json").exists()


ANALYTIC_SCENE = """
import bpy, sys
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.mesh.primitive_plane_add(size=200, location=(0, 0, 0))
bpy.context.active_object.name = "Ground"
bpy.ops.mesh.primitive_plane_add(size=2, location=(0.8, 0.4, 4))
sq = bpy.context.active_object
sq.name = "Square"
sq["category_id"] = 2
bpy.context.preferences.filepaths.save_version = 0
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[-1])
"""


def test_rendered_depth_matches_analytic_planar_depth(run_bproc, tmp_path: Path) -> None:
    """Camera 10 m above a ground plane, looking straight down, a square 4 m up: depth 10 and 6 exactly."""
    blend = tmp_path / "planes.blend"
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "bu")}
    made = subprocess.run([str(BPY_PYTHON), "-c", ANALYTIC_SCENE, str(blend)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert made.returncode == 0, made.stderr
    cams = tmp_path / "cams"
    cams.write_text("0.3 -0.2 10 0 0 0\n")
    kfile = tmp_path / "k.json"
    kfile.write_text(json.dumps({"fx": 70.0, "fy": 70.0, "cx": 39.5, "cy": 29.5, "width": 80, "height": 60}))
    out = tmp_path / "out"
    proc = run_bproc(cams, blend, out, "--intrinsics", kfile, "--samples", "4", "--default-category", "9")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    d = read_frame_hdf5(out / "0.hdf5")
    attrs = {a["name"]: a for a in json.loads(d["instance_attribute_maps"])}
    inst = d["instance_segmaps"]
    square = inst == attrs["Square"]["idx"]
    ground = inst == attrs["Ground"]["idx"]
    inner = _interior(inst)
    assert (square & inner).sum() > 50 and (ground & inner).sum() > 500
    np.testing.assert_allclose(d["depth"][square & inner], 6.0, rtol=1e-4)
    np.testing.assert_allclose(d["depth"][ground & inner], 10.0, rtol=1e-4)
    # radial distance: depth * |((u-cx)/fx, (v-cy)/fy, 1)|
    v, u = np.mgrid[0:60, 0:80]
    radial = np.sqrt(1 + ((u - 39.5) / 70) ** 2 + ((v - 29.5) / 70) ** 2)
    expected = np.where(square, 6.0, 10.0) * radial
    m = _interior(inst, 2) & (square | ground)  # the Mist pass is filtered over about 1.5 px
    np.testing.assert_allclose(d["distance"][m], expected[m], rtol=2e-3)
    # the square projects where the pinhole model says: centre (0.5, 0.6) m off the camera axis at 6 m
    ys, xs = np.nonzero(square)
    assert xs.mean() == pytest.approx(39.5 + 70 * 0.5 / 6, abs=0.6)
    assert ys.mean() == pytest.approx(29.5 - 70 * 0.6 / 6, abs=0.6)
    # objects without category_id get the default class instead of an error
    assert np.all(d["category_id_segmaps"][ground] == 9) and np.all(d["category_id_segmaps"][square] == 2)
    cam = json.loads((out / "camera" / "0.json").read_text())
    assert cam["intrinsics"]["fx"] == pytest.approx(70.0) and cam["intrinsics"]["cx"] == pytest.approx(39.5)


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("missing_camera", "camera positions file not found"),
        ("five_numbers", "line 2: expected 6 numbers 'x y z rx ry rz', got 5"),
        ("not_blend", "not a .blend file"),
        ("truncated_blend", "cannot load scene"),
        ("unwritable_out", "output folder is not writable"),
        ("overallocated_plan", "more than the 256 available"),
    ],
)
def test_bad_input_one_line_error_nothing_written(run_bproc, demo_scene, tmp_path: Path, case: str,
                                                  expect: str) -> None:
    blend, cams = demo_scene
    out = tmp_path / "out"
    named = {"missing_camera": tmp_path / "nope.txt", "five_numbers": tmp_path / "cams.txt",
             "not_blend": tmp_path / "scene.blend", "truncated_blend": tmp_path / "cut.blend",
             "unwritable_out": tmp_path / "a_file", "overallocated_plan": tmp_path / "plan.json"}[case]
    extra: list[str] = []
    if case == "missing_camera":
        cams = named
    elif case == "five_numbers":
        named.write_text("0 -6 3 1.1 0 0\n0 1 2 3 4\n")
        cams = named
    elif case == "not_blend":
        named.write_text("hello")
        blend = named
    elif case == "truncated_blend":
        named.write_bytes(blend.read_bytes()[:4000])
        blend = named
    elif case == "overallocated_plan":
        named.write_text(json.dumps({"format": "depthcore.span-plan", "version": 1, "budget": 256, "spans": [
            {"start": 1, "end": 5, "levels": 200}, {"start": 5, "end": 9, "levels": 120}]}))
        extra = ["--plan", str(named)]
    else:
        named.write_text("I am a file")
        out = named / "out"
    proc = run_bproc(cams, blend, out, *extra)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and expect in errors[0] and str(named) in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    leftovers = [p for p in out.rglob("*")] if out.is_dir() else []
    assert leftovers == []


def test_readme_pipeline_doc_commands_exist() -> None:
    doc = (REPO / "README.md").read_text()
    assert "blenderproc run --custom-blender-path .blender pipelines/render_depth.py" in doc
    assert "pipelines/batch_render.py" in doc
