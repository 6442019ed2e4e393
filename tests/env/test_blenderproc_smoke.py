"""Real BlenderProc 2.8.0 (as published) through `blenderproc run --custom-blender-path .blender`.

Outputs are read back with h5py and Pillow, and with BlenderProc's own `vis hdf5` / `extract hdf5`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

from .conftest import BLENDERPROC, LAUNCHER, ROOT, SCRIPTS, make_env, run

pytestmark = pytest.mark.blenderproc

EXAMPLES = ROOT.parent / "shared" / "data" / "blenderproc_examples"
SEMSEG_BLEND = EXAMPLES / "semantic_segmentation" / "scene.blend"
CAMERAS = EXAMPLES / "resources" / "camera_positions"


def bproc_run(blenderproc: Path, env: dict[str, str], tmp_path: Path, *args: str | Path):
    temp = tmp_path / "bproc-temp"
    return run([blenderproc, "run", "--custom-blender-path", ".blender", "--temp-dir", temp, *args], env)


def assert_no_pip(output: str) -> None:
    assert "Installing pip package" not in output
    assert "ensurepip" not in output and "Successfully installed" not in output


@pytest.fixture(scope="module")
def cube_frame(tmp_path_factory) -> tuple[Path, str]:
    """Renders the cube scene once for the tests of this module: (the frame's HDF5 path, the run's output)."""
    if not (os.access(BLENDERPROC, os.X_OK) and os.access(LAUNCHER, os.X_OK)):
        pytest.skip("blenderproc CLI or launcher missing: run scripts/install.sh")
    tmp_path = tmp_path_factory.mktemp("bproc-cube")
    out = tmp_path / "out"
    result = bproc_run(BLENDERPROC, make_env(tmp_path), tmp_path, SCRIPTS / "bproc_cube.py", out)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / "0.hdf5", result.stdout + result.stderr


def test_run_renders_depth_and_distance_to_hdf5(cube_frame):
    path, output = cube_frame
    assert "SMOKE_OK" in output
    with h5py.File(path, "r") as f:
        assert set(f) >= {"colors", "depth", "distance", "blender_proc_version"}
        assert f["blender_proc_version"][()] == b"2.8.0"
        colors, depth, distance = f["colors"][()], f["depth"][()], f["distance"][()]
    assert colors.dtype == np.uint8 and colors.shape == (32, 32, 3)
    assert depth.dtype == np.float32 and depth.shape == (32, 32)
    # Camera at y=-5 looking down +y, unit cube (half-size 1) at the origin: the front face is 4 m away.
    assert depth[15:17, 15:17] == pytest.approx(4.0, abs=1e-3)
    assert distance[15:17, 15:17] == pytest.approx(4.0, rel=1e-2)
    assert depth[0, 0] == pytest.approx(1e10) and distance[0, 0] == pytest.approx(10000)


def test_run_never_calls_pip(cube_frame):
    assert_no_pip(cube_frame[1])


def test_language_workaround_is_what_makes_init_work(blenderproc, env, tmp_path):
    env["DEPTHCORE_LAUNCHER_WORKAROUNDS"] = "hard-exit"
    result = bproc_run(blenderproc, env, tmp_path, SCRIPTS / "bproc_cube.py", tmp_path / "out")
    if 'enum "en_US" not found' not in result.stderr:
        pytest.skip("this bpy build has translations: the language workaround is not needed")
    assert result.returncode == 2, "BlenderProc passes --python-exit-code 2"
    assert not (tmp_path / "out" / "0.hdf5").exists()


def test_vis_hdf5_saves_pictures(blenderproc, env, tmp_path, cube_frame):
    out = tmp_path / "vis"
    out.mkdir()
    result = run([blenderproc, "vis", "hdf5", "--save", out, cube_frame[0]], env)
    assert result.returncode == 0, result.stderr
    for key in ("colors", "depth", "distance"):
        image = np.asarray(Image.open(out / f"0_{key}.png"))
        assert image.shape[:2] == (32, 32)
        assert image.std() > 0, key


def test_extract_hdf5_writes_images(blenderproc, env, tmp_path, cube_frame):
    out = tmp_path / "extract"
    out.mkdir()  # BlenderProc 2.8.0's extract does not create it
    result = run([blenderproc, "extract", "hdf5", "--output_dir", out, cube_frame[0]], env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["0_colors.png", "0_depth.png", "0_distance.png"]


@pytest.mark.skipif(not SEMSEG_BLEND.is_file(), reason=f"BlenderProc example scene not found at {SEMSEG_BLEND}")
def test_semantic_segmentation_example_scene(blenderproc, env, tmp_path):
    out = tmp_path / "out"
    result = bproc_run(blenderproc, env, tmp_path, SCRIPTS / "bproc_semseg.py", SEMSEG_BLEND, CAMERAS, out)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert_no_pip(result.stdout + result.stderr)
    poses = [line for line in CAMERAS.read_text().splitlines() if line.strip()]
    assert sorted(p.name for p in out.iterdir()) == [f"{i}.hdf5" for i in range(len(poses))]
    with h5py.File(out / "0.hdf5", "r") as f:
        category = f["category_id_segmaps"][()]
        instance = f["instance_segmaps"][()]
        attributes = json.loads(f["instance_attribute_maps"][()])
        depth = f["depth"][()]
        legacy = f["class_segmaps_legacy"][()]
    assert category.shape == instance.shape == depth.shape == (64, 64)
    names = {entry["name"] for entry in attributes}
    assert "Suzanne" in names and "World" in names
    by_idx = {entry["idx"]: entry["category_id"] for entry in attributes}
    assert set(np.unique(instance)) <= set(by_idx)
    # Every pixel's category is the category of its instance: the two maps agree.
    assert np.array_equal(np.vectorize(by_idx.get)(instance), category)
    assert np.array_equal(legacy.astype(np.int64), category)
    foreground = category > 0
    assert foreground.any() and np.isfinite(depth[foreground]).all() and (depth[foreground] < 1e3).all()
