"""Build the demo scene by code and save it as a .blend, plus a camera_positions file for BlenderProc.

    .blender/blender -b --python pipelines/make_demo_scene.py -- OUT.blend [--frames 8] [--camera-positions P]
    python pipelines/make_demo_scene.py OUT.blend          (the bpy module works too)

The scene: a floor and four objects with ``category_id`` custom properties (floor 1, cube 2, sphere 3,
cone 4, torus 5), a sun light, and a camera that circles the objects over ``--frames`` frames (keyframed,
frames 1..N). The camera_positions file (default: OUT with suffix ``.camera_positions``) holds the same
poses, one ``x y z rx ry rz`` per line.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy
from mathutils import Vector

from depthcore.atomic import atomic_path, atomic_write_text
from depthcore.errors import UserError
from pipelines._bootstrap import ArgumentParser, run_main, script_args

# name, primitive, location, scale, category_id, colour
OBJECTS = (
    ("Floor", "plane", (0.0, 0.0, 0.0), 8.0, 1, (0.55, 0.55, 0.5)),
    ("Cube", "cube", (-1.2, 0.6, 0.5), 0.5, 2, (0.8, 0.2, 0.15)),
    ("Sphere", "sphere", (1.1, 0.9, 0.6), 0.6, 3, (0.15, 0.4, 0.8)),
    ("Cone", "cone", (0.2, -1.2, 0.6), 0.6, 4, (0.2, 0.7, 0.25)),
    ("Torus", "torus", (1.6, -0.9, 0.25), 0.5, 5, (0.85, 0.7, 0.1)),
)


def camera_path(frames: int, radius: float = 6.0, height: float = 3.0) -> list[tuple[Vector, Vector]]:
    """(location, euler XYZ) per frame on a circle, looking at a point just above the origin."""
    target = Vector((0.0, 0.0, 0.4))
    poses = []
    for i in range(frames):
        angle = -math.pi / 2 + 2 * math.pi * i / max(frames, 1) * 0.5  # half a circle, starting in front
        loc = Vector((radius * math.cos(angle), radius * math.sin(angle), height))
        rot = (target - loc).to_track_quat("-Z", "Y").to_euler("XYZ")
        poses.append((loc, Vector(rot)))
    return poses


def _add_primitive(kind: str, location: tuple[float, float, float], scale: float) -> bpy.types.Object:
    ops = bpy.ops.mesh
    if kind == "plane":
        ops.primitive_plane_add(size=2 * scale, location=location)
    elif kind == "cube":
        ops.primitive_cube_add(size=2 * scale, location=location)
    elif kind == "sphere":
        ops.primitive_uv_sphere_add(radius=scale, location=location, segments=24, ring_count=12)
    elif kind == "cone":
        ops.primitive_cone_add(radius1=scale, depth=2 * scale, location=location, vertices=24)
    else:
        ops.primitive_torus_add(major_radius=scale, minor_radius=scale * 0.35, location=location)
    return bpy.context.active_object


def build_scene(frames: int) -> list[tuple[Vector, Vector]]:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    for name, kind, loc, scale, category, colour in OBJECTS:
        obj = _add_primitive(kind, loc, scale)
        obj.name = name
        obj["category_id"] = category
        mat = bpy.data.materials.new(f"{name}Material")
        mat.use_nodes = True
        mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (*colour, 1.0)
        obj.data.materials.append(mat)
    sun_data = bpy.data.lights.new("Sun", type="SUN")
    sun_data.energy = 3.0
    sun = bpy.data.objects.new("Sun", sun_data)
    sun.rotation_euler = (math.radians(40), math.radians(10), math.radians(30))
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("World")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.05, 0.05, 0.06, 1.0)
    scene.world = world
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    cam.data.lens = 35.0
    scene.collection.objects.link(cam)
    scene.camera = cam
    poses = camera_path(frames)
    for frame, (loc, rot) in enumerate(poses, start=1):
        cam.location, cam.rotation_euler = loc, rot
        cam.keyframe_insert("location", frame=frame)
        cam.keyframe_insert("rotation_euler", frame=frame)
    scene.frame_start, scene.frame_end = 1, frames
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 16
    scene.render.resolution_x = scene.render.resolution_y = 128
    return poses


def main(argv: list[str]) -> int:
    p = ArgumentParser(prog="make_demo_scene.py", description=__doc__.splitlines()[0])
    p.add_argument("blend", help="output .blend")
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--camera-positions", help="camera_positions output (default: beside the .blend)")
    args = p.parse_args(argv)
    if args.frames < 1:
        raise UserError("--frames must be at least 1")
    blend = Path(args.blend).resolve()
    try:
        blend.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output folder ({exc.strerror})", blend.parent) from exc
    cam_file = Path(args.camera_positions) if args.camera_positions else blend.with_suffix(".camera_positions")
    poses = build_scene(args.frames)
    bpy.context.preferences.filepaths.save_version = 0  # no .blend1 backups beside the output
    with atomic_path(blend) as tmp:
        tmp.unlink()
        bpy.ops.wm.save_as_mainfile(filepath=str(tmp), copy=True, compress=False)
    lines = [" ".join(f"{v:.6f}" for v in (*loc, *rot)) for loc, rot in poses]
    atomic_write_text(cam_file, "\n".join(lines) + "\n")
    print(f"demo scene: {blend} ({args.frames} frames), camera positions: {cam_file}")
    return 0


if __name__ == "__main__":
    run_main(main, script_args())
