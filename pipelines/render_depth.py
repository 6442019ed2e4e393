# Render a depth dataset with BlenderProc's published API (BlenderProc 2.8.0).
#
#   blenderproc run pipelines/render_depth.py <camera_positions> <scene.blend> <output_dir> [options]
#   blenderproc run --custom-blender-path .blender pipelines/render_depth.py ...   (bpy wheel, no Blender)
#
# Per frame: OUT/<frame>.hdf5 (colors, depth, distance, antialiased_depth, [normals], category_id_segmaps,
# instance_segmaps, instance_attribute_maps) through bproc.writer.write_hdf5, OUT/grey/<frame>.png (ControlNet
# grey map via depthcore's normaliser), OUT/camera/<frame>.json. Sharded (--shard I/N or SLURM) and resumable.
# The BlenderProc import must stay the first statement: `blenderproc run` checks for it.
# isort: skip_file
import blenderproc as bproc

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy
import numpy as np

from pipelines._bootstrap import ArgumentParser, run_main, script_args
from depthcore.camera import Intrinsics
from depthcore.dataset import read_camera_positions, parse_frame_range, resolve_shard, shard_frames
from depthcore.dataset.frame_extras import (
    check_plan_file,
    category_maps_from_instances, frame_camera, frame_meta, grey_map, write_camera_json,
)
from depthcore.dataset.inputs import (
    check_blend_file, parse_resolution, prepare_output_dir, read_intrinsics_json,
)
from depthcore.dataset.layout import frame_paths
from depthcore.dataset.manifest import RunManifest, remove_stale_temp_files
from depthcore.dataset.progress import frame_progress
from depthcore.errors import UserError
from depthcore.io import write_png
from depthcore.plan import SpanPlan

ALL_OUTPUTS = ("colors", "depth", "distance", "normals", "segmaps", "grey", "camera")
DEFAULT_OUTPUTS = "colors,depth,distance,segmaps,grey,camera"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = ArgumentParser(prog="render_depth.py", description="Depth dataset through BlenderProc.")
    p.add_argument("camera", help="camera_positions file: 'x y z rx ry rz' per line")
    p.add_argument("scene", help=".blend scene (objects may carry a category_id custom property)")
    p.add_argument("output_dir")
    p.add_argument("--resolution", default="512x512", help="WIDTHxHEIGHT (default 512x512)")
    p.add_argument("--intrinsics", help="JSON with fx, fy, cx, cy, width, height (overrides --resolution)")
    p.add_argument("--samples", type=int, default=None, help="max Cycles samples (default BlenderProc's)")
    p.add_argument("--outputs", default=DEFAULT_OUTPUTS, help=f"comma list of {','.join(ALL_OUTPUTS)}")
    p.add_argument("--backplane", type=float, default=None, help="depth at and beyond which is background")
    p.add_argument("--plan", help="span plan JSON for the grey map (made in the Blender panel or the shell)")
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="grey map bit depth (default 8)")
    p.add_argument("--frames", help="pose indices to render, e.g. 0-99 or 0,5,10-12 (default all)")
    p.add_argument("--shard", help="I/N: render shard I of N (default: SLURM_ARRAY_TASK_ID/COUNT or all)")
    p.add_argument("--seed", type=int, default=0, help="Cycles and Python random seed")
    p.add_argument("--default-category", type=int, default=0, help="class of objects without category_id")
    p.add_argument("--chunk", type=int, default=8, help="frames per BlenderProc render call (default 8)")
    p.add_argument("--verify", action="store_true", help="re-hash files of complete frames before skipping")
    return p.parse_args(argv)


def validate(args: argparse.Namespace) -> dict:
    """Check every input before touching the scene or the output folder's contents."""
    outputs = [o.strip() for o in args.outputs.split(",") if o.strip()]
    unknown = sorted(set(outputs) - set(ALL_OUTPUTS))
    if unknown:
        raise UserError(f"unknown --outputs {', '.join(unknown)}; choose from {','.join(ALL_OUTPUTS)}")
    if args.chunk < 1:
        raise UserError("--chunk must be at least 1")
    if args.samples is not None and args.samples < 1:
        raise UserError("--samples must be at least 1")
    poses = read_camera_positions(args.camera)
    check_blend_file(args.scene)
    intrinsics = read_intrinsics_json(args.intrinsics) if args.intrinsics else None
    width, height = (intrinsics.width, intrinsics.height) if intrinsics else parse_resolution(args.resolution)
    plan = SpanPlan.load(args.plan) if args.plan else None
    if plan is not None:
        check_plan_file(plan, args.plan)
    frames = parse_frame_range(args.frames, list(range(len(poses))))
    shard = resolve_shard(args.shard)
    prepare_output_dir(args.output_dir)
    return {"outputs": outputs, "poses": poses, "intrinsics": intrinsics, "size": (width, height),
            "plan": plan, "frames": frames, "shard": shard}


def setup_scene(args: argparse.Namespace, v: dict) -> None:
    """bproc.init, load the .blend, lights, intrinsics, sampling, outputs."""
    bproc.init()
    try:
        bproc.loader.load_blend(args.scene, obj_types=["mesh", "empty", "light"])
    except Exception as exc:
        raise UserError(f"cannot load scene ({str(exc).splitlines()[0][:160]})", args.scene) from exc
    if not bproc.object.get_all_mesh_objects():
        raise UserError("scene has no mesh objects to render", args.scene)
    if not any(o.type == "LIGHT" for o in bpy.context.scene.objects):
        light = bproc.types.Light()  # same default light as BlenderProc's examples
        light.set_type("POINT")
        light.set_location([5, -5, 5])
        light.set_energy(1000)
    width, height = v["size"]
    if v["intrinsics"]:
        bproc.camera.set_intrinsics_from_K_matrix(v["intrinsics"].K, width, height)
    elif not use_blend_camera(args.scene, width, height):
        bproc.camera.set_resolution(width, height)
    random.seed(args.seed)
    np.random.seed(args.seed)
    bpy.context.scene.cycles.seed = args.seed
    if args.samples is not None:
        bproc.renderer.set_max_amount_of_samples(args.samples)
    outputs = v["outputs"]
    if "depth" in outputs or "grey" in outputs:
        bproc.renderer.enable_depth_output(activate_antialiasing=False)
    if "distance" in outputs:
        bproc.renderer.enable_distance_output(activate_antialiasing=True)


_NORMALS_NODES: list[str] = []  # compositor nodes of the current enable_normals_output chain


def enable_normals_for_current_poses() -> None:
    """(Re)build BlenderProc's normals output for the camera poses just set.

    ``bproc.renderer.enable_normals_output`` keyframes the camera rotation of the frames that exist when it is
    called (BlenderProc's examples call it after adding the poses), and ``reset_keyframes`` drops those keyframes:
    called before the poses, every normal came out (0.5, 0.5, 0.5). So each chunk removes the previous chain and
    builds it anew, through BlenderProc's own function.
    """
    scene = bpy.context.scene
    scene.use_nodes = True
    tree = scene.node_tree
    for name in _NORMALS_NODES:
        node = tree.nodes.get(name)
        if node is not None:
            tree.nodes.remove(node)
    before = {node.name for node in tree.nodes}
    bproc.renderer.enable_normals_output()
    _NORMALS_NODES[:] = [node.name for node in tree.nodes if node.name not in before]


def use_blend_camera(scene_path: str, width: int, height: int) -> bool:
    """Give BlenderProc's camera the lens, sensor and shift of the .blend's camera, when it has one."""
    with bpy.data.libraries.load(scene_path) as (src, dst):
        names = sorted(src.cameras, key=lambda n: (n != "Camera", n))
        dst.cameras = names[:1]
    if not dst.cameras or dst.cameras[0] is None:
        return False
    cam = dst.cameras[0]
    try:
        if cam.type != "PERSP":
            print(f"render_depth: camera {cam.name!r} in the .blend is {cam.type}; using BlenderProc's default")
            return False
        target = bpy.context.scene.camera.data
        target.sensor_width, target.sensor_height, target.sensor_fit = cam.sensor_width, cam.sensor_height, \
            cam.sensor_fit
        bproc.camera.set_intrinsics_from_blender_params(
            lens=cam.lens, image_width=width, image_height=height, clip_start=cam.clip_start,
            clip_end=cam.clip_end, shift_x=cam.shift_x, shift_y=cam.shift_y, lens_unit="MILLIMETERS")
        print(f"render_depth: intrinsics from the .blend's camera {names[0]!r} (lens {cam.lens:g} mm)")
        return True
    finally:
        bpy.data.cameras.remove(cam)


def render_chunk(args: argparse.Namespace, v: dict, frames: list[int]) -> dict:
    """Render ``frames`` (pose indices) in one BlenderProc render call; returns BlenderProc's data dict."""
    bproc.utility.reset_keyframes()
    for f in frames:
        pose = v["poses"][f]
        cam2world = bproc.math.build_transformation_mat(list(pose.location), list(pose.rotation_euler))
        bproc.camera.add_camera_pose(cam2world)
    if "normals" in v["outputs"]:
        enable_normals_for_current_poses()
    data = bproc.renderer.render()
    if "segmaps" in v["outputs"]:
        seg = bproc.renderer.render_segmap(map_by=["class", "instance", "name"],
                                           default_values={"class": args.default_category})
        n = len(frames)
        if len(seg.get("category_id_segmaps", [])) != n:
            # BlenderProc leaves the class map out of frames where every visible object has the default class.
            seg["category_id_segmaps"] = [
                category_maps_from_instances(inst, attrs, args.default_category)
                for inst, attrs in zip(seg["instance_segmaps"], seg["instance_attribute_maps"])
            ]
        data.update(seg)
    if "distance" in data:
        data["antialiased_depth"] = bproc.postprocessing.dist2depth(data["distance"])
    keep = {"colors"} if "colors" in v["outputs"] else set()
    keep |= {"depth"} if "depth" in v["outputs"] else set()
    keep |= {"distance", "antialiased_depth"} if "distance" in v["outputs"] else set()
    keep |= {"normals"} if "normals" in v["outputs"] else set()
    keep |= {"category_id_segmaps", "instance_segmaps", "instance_attribute_maps"}
    return {k: list(val) for k, val in data.items() if k in keep or k == "depth"}  # depth feeds the grey map


def write_chunk(args: argparse.Namespace, v: dict, frames: list[int], data: dict, manifest: RunManifest,
                partial: Path) -> None:
    """Write each frame's files, then its manifest record; HDF5s go through BlenderProc's writer."""
    out = Path(args.output_dir)
    k = bproc.camera.get_intrinsics_as_K_matrix()
    width, height = v["size"]
    K = Intrinsics(fx=k[0, 0], fy=k[1, 1], cx=k[0, 2], cy=k[1, 2], width=width, height=height)
    cameras = [frame_camera(f, K, bproc.camera.get_camera_pose(i)) for i, f in enumerate(frames)]
    depths = data.get("depth", [])
    hdf5_data = {k: val for k, val in data.items() if k != "depth" or "depth" in v["outputs"]}
    hdf5_data["depthcore"] = [frame_meta(f, cam, "render_depth") for f, cam in zip(frames, cameras)]
    if partial.exists():
        shutil.rmtree(partial)
    bproc.writer.write_hdf5(str(partial), hdf5_data)  # <i>.hdf5 for i = 0..len(frames)-1
    greys = [grey_map(d, bits=args.bits, plan=v["plan"], backplane=args.backplane) for d in depths] \
        if "grey" in v["outputs"] else []
    for i, f in enumerate(frames):
        paths = frame_paths(out, f)
        written = []
        os.replace(partial / f"{i}.hdf5", paths.hdf5)
        written.append(paths.hdf5)
        if greys:
            grey, meta = greys[i]
            paths.grey.parent.mkdir(exist_ok=True)
            written.append(write_png(paths.grey, grey, meta={**meta, "frame": f}))
        if "camera" in v["outputs"]:
            written.append(write_camera_json(paths.camera, cameras[i]))
        manifest.mark_complete(f, written, {"shard": str(v["shard"])})
    shutil.rmtree(partial, ignore_errors=True)


def run_settings(args: argparse.Namespace, v: dict) -> dict:
    """Settings that change frame content: resumes and shards must share them."""
    return {
        "camera": os.path.abspath(args.camera), "scene": os.path.abspath(args.scene),
        "size": list(v["size"]), "samples": args.samples,
        "intrinsics": v["intrinsics"].to_dict() if v["intrinsics"] else None,
        "outputs": sorted(v["outputs"]), "backplane": args.backplane,
        "plan": v["plan"].to_dict() if v["plan"] else None, "bits": args.bits, "seed": args.seed,
        "default_category": args.default_category,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    v = validate(args)
    out = Path(args.output_dir)
    manifest = RunManifest(out)
    settings = run_settings(args, v)
    manifest.check("render_depth", settings)
    mine = shard_frames(v["frames"], v["shard"])
    done = manifest.complete_frames(mine, verify=args.verify)
    todo = [f for f in mine if f not in done]
    print(f"render_depth: {len(mine)} frames in shard {v['shard']}, {len(done)} already complete, "
          f"{len(todo)} to render -> {out}", flush=True)
    if not todo:
        return 0
    setup_scene(args, v)
    manifest.start("render_depth", settings)
    remove_stale_temp_files(out, mine)
    partial = out / f".partial-shard-{v['shard'].index}-of-{v['shard'].count}"
    bar = frame_progress(len(mine), desc="render_depth", initial=len(done))
    start = time.perf_counter()
    for i in range(0, len(todo), args.chunk):
        chunk = todo[i : i + args.chunk]
        data = render_chunk(args, v, chunk)
        write_chunk(args, v, chunk, data, manifest, partial)
        bar.update(len(chunk))
    bar.close()
    elapsed = time.perf_counter() - start
    print(f"render_depth: rendered {len(todo)} frames in {elapsed:.2f} s "
          f"({len(todo) / elapsed:.2f} frames/s) -> {out}", flush=True)
    return 0


if __name__ == "__main__":
    run_main(main, script_args())
