"""Benchmark: "Render Depth" (depth + distance + normalised PNG) against a plain Cycles render, same run.

Both render the same scene at the same resolution and samples (denoising off in both, so the comparison is
about the passes). The plain render is what a user does to get a picture: ``render.render(write_still=True)``
to a PNG. "Render Depth" is the add-on's operator with depth EXR, distance EXR and the normalised PNG written.
Repetitions are interleaved (and the order alternates) after one warm-up of each; medians and their ratio
are printed. Target: ratio <= 1.25.

    BLENDER_USER_RESOURCES=$(mktemp -d) .blender/4.2/python/bin/python bench/render_depth.py --size 256 --samples 16
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="depthcore_bench_"))
sys.path.insert(0, str(REPO))

import bpy  # noqa: E402

import blender_addon  # noqa: E402


def build_scene(size: int, samples: int, out: Path) -> bpy.types.Scene:
    """Camera, sun, a floor, and a few objects at different depths."""
    for ob in list(bpy.data.objects):
        bpy.data.objects.remove(ob, do_unlink=True)
    scene = bpy.context.scene
    cam = bpy.data.objects.new("Cam", bpy.data.cameras.new("Cam"))
    cam.location = (0.0, -6.0, 1.6)
    cam.rotation_euler = (1.35, 0.0, 0.0)
    scene.collection.objects.link(cam)
    scene.camera = cam
    sun = bpy.data.objects.new("Sun", bpy.data.lights.new("Sun", "SUN"))
    sun.rotation_euler = (0.6, 0.2, 0.4)
    scene.collection.objects.link(sun)
    bpy.ops.mesh.primitive_plane_add(size=20, location=(0, 4, 0))
    bpy.ops.mesh.primitive_cube_add(size=1.2, location=(-1.2, 0, 0.6))
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.8, location=(0.9, 1.5, 0.8), segments=48, ring_count=24)
    bpy.ops.mesh.primitive_monkey_add(size=1.2, location=(0.0, -2.0, 1.0))
    bpy.ops.object.shade_smooth()
    r = scene.render
    r.engine = "CYCLES"
    r.resolution_x = r.resolution_y = size
    r.resolution_percentage = 100
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.cycles.device = "CPU"
    r.image_settings.file_format = "PNG"
    r.filepath = str(out / "plain.png")
    s = scene.depthcore
    s.samples = samples
    s.output_dir = str(out / "depth") + "/"
    s.write_depth_exr = s.write_distance_exr = s.write_png = True
    s.write_mask = s.write_plan = s.write_intrinsics = False
    return scene


def plain_render() -> None:
    bpy.ops.render.render(write_still=True)


def depth_render() -> None:
    result = bpy.ops.depthcore.render_depth()
    if result != {"FINISHED"}:
        raise SystemExit(f"Render Depth did not finish: {result}")


def timed(fn) -> tuple[float, float]:
    """Wall-clock and process CPU seconds (all threads): CPU time is steadier on a shared machine."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="square resolution in pixels")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    blender_addon.register()
    with tempfile.TemporaryDirectory(prefix="depthcore_bench_out_") as tmp:
        build_scene(args.size, args.samples, Path(tmp))
        plain_render()  # warm-up: kernels, BVH, caches
        depth_render()
        plain, depth = [], []
        for i in range(args.reps):
            pair = [(plain, plain_render), (depth, depth_render)]
            for times, fn in pair if i % 2 == 0 else reversed(pair):
                times.append(timed(fn))
    blender_addon.unregister()
    print(f"scene: {args.size}x{args.size}, {args.samples} samples, Cycles CPU, {args.reps} interleaved reps")
    for k, clock in enumerate(("wall", "cpu")):
        p, d = statistics.median(t[k] for t in plain), statistics.median(t[k] for t in depth)
        print(f"{clock:4s} plain Cycles render (PNG):            median {p * 1000:8.1f} ms "
              f"{[round(t[k] * 1000) for t in plain]}")
        print(f"{clock:4s} Render Depth (EXRs + grey PNG):       median {d * 1000:8.1f} ms "
              f"{[round(t[k] * 1000) for t in depth]}")
        print(f"{clock:4s} ratio Render Depth / plain: {d / p:.3f}x (target <= 1.25x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
