"""Benchmark: per-frame time of the pipelines against BlenderProc's own example pipeline, in one run.

    .blender/4.2/python/bin/python bench/pipelines.py [--frames 8] [--size 128] [--samples 16] [--repeats 3]

Scene: BlenderProc's semantic segmentation example (../shared/data/blenderproc_examples), its camera poses
repeated to ``--frames`` poses. Three commands, alternated ``--repeats`` times, each into a fresh folder:

- baseline: BlenderProc's example pipeline as its README describes it (init, load_blend, the example's point
  light, camera poses from the file, depth output, render, render_segmap by class/instance/name,
  write_hdf5), run with ``blenderproc run --custom-blender-path .blender``;
- render_depth: ``blenderproc run ... pipelines/render_depth.py`` (adds antialiased distance,
  antialiased_depth, grey map, camera JSON, manifest);
- batch_render: ``.blender/blender -b scene.blend --python pipelines/batch_render.py`` on the same scene
  saved with a keyframed camera at the same poses and the same light.

Per-frame time = wall time of the whole command / frames (start-up included, the same for all three).
Ratios are against the baseline measured in the same run; no absolute timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLENDER_DIR = REPO / ".blender"
PYTHON = BLENDER_DIR / "4.2" / "python" / "bin" / "python3.11"
BLENDERPROC = REPO / ".venvs" / "blenderproc" / "bin" / "blenderproc"
DATA = REPO.parent / "shared" / "data" / "blenderproc_examples"

BASELINE = '''import blenderproc as bproc
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("camera")
parser.add_argument("scene")
parser.add_argument("output_dir")
parser.add_argument("--size", type=int)
parser.add_argument("--samples", type=int)
args = parser.parse_args()

bproc.init()
objs = bproc.loader.load_blend(args.scene)
light = bproc.types.Light()
light.set_type("POINT")
light.set_location([5, -5, 5])
light.set_energy(1000)
bproc.camera.set_resolution(args.size, args.size)
with open(args.camera, "r") as f:
    for line in f.readlines():
        line = [float(x) for x in line.split()]
        matrix_world = bproc.math.build_transformation_mat(line[:3], line[3:6])
        bproc.camera.add_camera_pose(matrix_world)
bproc.renderer.set_max_amount_of_samples(args.samples)
bproc.renderer.enable_depth_output(activate_antialiasing=False)
data = bproc.renderer.render()
data.update(bproc.renderer.render_segmap(map_by=["class", "instance", "name"]))
bproc.writer.write_hdf5(args.output_dir, data)
'''

# Same scene for `blender -b`: the example .blend plus a camera keyframed at the poses and the example's light.
MAKE_BATCH_SCENE = '''
import sys, bpy
src, cams, dst, size, samples = sys.argv[-5:]
bpy.ops.wm.open_mainfile(filepath=src)
scene = bpy.context.scene
cam = bpy.data.objects.new("BenchCamera", bpy.data.cameras.new("BenchCamera"))
scene.collection.objects.link(cam)
scene.camera = cam
light = bpy.data.objects.new("BenchLight", bpy.data.lights.new("BenchLight", "POINT"))
light.location = (5, -5, 5)
light.data.energy = 1000
scene.collection.objects.link(light)
poses = [[float(v) for v in line.split()] for line in open(cams) if line.strip()]
for i, p in enumerate(poses):
    cam.location, cam.rotation_euler = p[:3], p[3:6]
    cam.keyframe_insert("location", frame=i)
    cam.keyframe_insert("rotation_euler", frame=i)
scene.frame_start, scene.frame_end = 0, len(poses) - 1
scene.render.resolution_x = scene.render.resolution_y = int(size)
scene.render.resolution_percentage = 100
scene.cycles.samples = int(samples)
bpy.context.preferences.filepaths.save_version = 0
bpy.ops.wm.save_as_mainfile(filepath=dst, copy=True)
'''


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    scene = DATA / "semantic_segmentation" / "scene.blend"
    if not scene.exists() or not BLENDERPROC.exists():
        sys.exit(f"needs {scene} and {BLENDERPROC} (scripts/install.sh)")
    tmp = Path(tempfile.mkdtemp(prefix="depthcore-bench-"))
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp / "blender-user")}
    poses = [ln for ln in (DATA / "resources" / "camera_positions").read_text().splitlines() if ln.strip()]
    cams = tmp / "camera_positions"
    cams.write_text("\n".join(poses[i % len(poses)] for i in range(args.frames)) + "\n")
    baseline_script = tmp / "baseline_main.py"
    baseline_script.write_text(BASELINE)
    batch_blend = tmp / "batch_scene.blend"
    subprocess.run([str(PYTHON), "-c", MAKE_BATCH_SCENE, str(scene), str(cams), str(batch_blend),
                    str(args.size), str(args.samples)], check=True, env=env, capture_output=True)
    size = f"{args.size}x{args.size}"
    bproc = [str(BLENDERPROC), "run", "--custom-blender-path", str(BLENDER_DIR)]
    commands = {
        "baseline": lambda out: [*bproc, str(baseline_script), str(cams), str(scene), str(out),
                                 "--size", str(args.size), "--samples", str(args.samples)],
        "render_depth": lambda out: [*bproc, str(REPO / "pipelines" / "render_depth.py"), str(cams), str(scene),
                                     str(out), "--resolution", size, "--samples", str(args.samples)],
        "batch_render": lambda out: [str(BLENDER_DIR / "blender"), "-b", str(batch_blend), "--python",
                                     str(REPO / "pipelines" / "batch_render.py"), "--", "--out", str(out),
                                     "--samples", str(args.samples)],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    for r in range(args.repeats):
        for name, make in commands.items():
            times[name].append(_run(make(tmp / f"{name}-{r}"), env) / args.frames)
    base = statistics.median(times["baseline"])
    print(f"pipelines benchmark: example scene, {args.frames} frames, {size}, {args.samples} samples, "
          f"{args.repeats} repeats (median per-frame wall time incl. start-up)")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:13s} {med:7.3f} s/frame  ratio {med / base:5.2f}x  "
              f"(runs: {', '.join(f'{v:.3f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
