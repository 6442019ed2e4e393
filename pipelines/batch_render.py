"""Headless batch rendering of a scene's frames with plain Blender (no BlenderProc).

    blender -b scene.blend --python pipelines/batch_render.py -- --out DIR [--frames 1-250] [--camera NAME]
        [--plan plan.json] [--outputs depth,distance,seg,color,png] [--shard I/N] [--samples N]
        [--resolution WxH] [--backplane DEPTH|auto] [--bits 8|16] [--seed N]

Renders through the extension's render code (``blender_addon.render``) and writes per frame, in the same
layout as ``render_depth.py`` (see ``depthcore.dataset.layout``): ``<frame>.hdf5`` in BlenderProc's format,
``exr/<frame>.exr`` (depth, distance), ``grey/<frame>.png`` (normalised, near = white), ``seg/<frame>.png``
(object ids, legend in ``seg/legend.json``), ``color/<frame>.png`` and ``camera/<frame>.json``.
Sharded (``--shard`` or SLURM array variables) and resumable (``manifest/``); progress with frames/s and ETA.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bpy
import numpy as np

from blender_addon.render import RenderOptions, render_depth_frame
from depthcore import __version__
from depthcore.atomic import atomic_write_text
from depthcore.dataset import parse_frame_range, resolve_shard, shard_frames
from depthcore.dataset.blenderproc_layout import blenderproc_frame
from depthcore.dataset.frame_extras import (
    check_plan_file,
    frame_camera,
    frame_meta,
    grey_map,
    write_camera_json,
)
from depthcore.dataset.hdf5_frame import write_frame_hdf5
from depthcore.dataset.inputs import parse_resolution, prepare_output_dir
from depthcore.dataset.layout import frame_paths, seg_legend_path
from depthcore.dataset.manifest import RunManifest, remove_stale_temp_files
from depthcore.dataset.progress import frame_progress, quiet_stdout
from depthcore.errors import UserError
from depthcore.io import write_exr, write_png
from depthcore.plan import SpanPlan
from pipelines._bootstrap import ArgumentParser, run_main, script_args

ALL_OUTPUTS = ("depth", "distance", "seg", "color", "png", "normals")
DEFAULT_OUTPUTS = "depth,distance,seg,color,png"


def parse_args(argv: list[str]):
    p = ArgumentParser(prog="batch_render.py", description="Render a scene's frames to a depth dataset.")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--frames", help="frames to render, e.g. 1-250 or 1,5,10-12 (default: the scene's range)")
    p.add_argument("--camera", help="camera object to render through (default: the scene's camera)")
    p.add_argument("--plan", help="span plan JSON for the grey map")
    p.add_argument("--outputs", default=DEFAULT_OUTPUTS, help=f"comma list of {','.join(ALL_OUTPUTS)}")
    p.add_argument("--shard", help="I/N: render shard I of N (default: SLURM_ARRAY_TASK_ID/COUNT or all)")
    p.add_argument("--samples", type=int, help="Cycles samples (default: the scene's)")
    p.add_argument("--resolution", help="WIDTHxHEIGHT (default: the scene's)")
    p.add_argument("--backplane", help="backplane depth in scene units, or 'auto'")
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="grey map bit depth (default 8)")
    p.add_argument("--seed", type=int, help="Cycles seed (default: the scene's)")
    p.add_argument("--default-category", type=int, default=0, help="class of objects without category_id")
    p.add_argument("--verify", action="store_true", help="re-hash files of complete frames before skipping")
    p.add_argument("--verbose", action="store_true", help="show Blender's render log")
    return p.parse_args(argv)


def validate(args, scene: bpy.types.Scene) -> dict:
    outputs = {o.strip() for o in args.outputs.split(",") if o.strip()}
    unknown = sorted(outputs - set(ALL_OUTPUTS))
    if unknown or not outputs:
        raise UserError(f"unknown --outputs {', '.join(unknown)}; choose from {','.join(ALL_OUTPUTS)}")
    if args.camera:
        cam = bpy.data.objects.get(args.camera)
        if cam is None or cam.type != "CAMERA":
            have = ", ".join(o.name for o in bpy.data.objects if o.type == "CAMERA") or "none"
            raise UserError(f"no camera named {args.camera!r} in the scene (cameras: {have})")
        scene.camera = cam
    if scene.camera is None:
        raise UserError(f"scene {scene.name!r} has no camera; pass --camera NAME")
    backplane: float | str | None = None
    if args.backplane:
        try:
            backplane = "auto" if args.backplane == "auto" else float(args.backplane)
        except ValueError as exc:
            raise UserError(f"bad --backplane {args.backplane!r}: a depth or 'auto'") from exc
        near, far = scene.camera.data.clip_start, scene.camera.data.clip_end
        if backplane != "auto" and not near < backplane < far:  # before the manifest records these settings
            raise UserError(f"backplane depth {backplane:g} is outside the camera's clip range {near:g}..{far:g}")
    if args.samples is not None and args.samples < 1:
        raise UserError("--samples must be at least 1")
    resolution = parse_resolution(args.resolution) if args.resolution else None
    plan = SpanPlan.load(args.plan) if args.plan else None
    if plan is not None:
        check_plan_file(plan, args.plan)
    frames = parse_frame_range(args.frames, list(range(scene.frame_start, scene.frame_end + 1)))
    if args.seed is not None:
        scene.cycles.seed = args.seed
    prepare_output_dir(args.out)
    return {
        "outputs": outputs,
        "backplane": backplane,
        "resolution": resolution,
        "plan": plan,
        "frames": frames,
        "shard": resolve_shard(args.shard),
    }


def render_options(v: dict, samples: int | None) -> RenderOptions:
    wanted = {"depth"}
    wanted |= {"distance"} if "distance" in v["outputs"] else set()
    wanted |= {"object_index"} if "seg" in v["outputs"] else set()
    wanted |= {"color"} if "color" in v["outputs"] else set()
    wanted |= {"normal"} if "normals" in v["outputs"] else set()
    return RenderOptions(
        samples=samples, resolution=v["resolution"], outputs=frozenset(wanted), backplane=v["backplane"]
    )


def object_categories(scene: bpy.types.Scene, names: dict[int, str], default: int) -> dict[int, int]:
    """object id -> category_id custom property (``default`` when absent); id 0 is the background."""
    cats = {0: default}
    for idx, name in names.items():
        obj = scene.objects.get(name) or bpy.data.objects.get(name)
        value = obj.get("category_id", default) if obj is not None else default
        cats[idx] = int(value) if isinstance(value, int | float) else default
    return cats


def hdf5_frame(res, cats: dict[int, int], v: dict, camera: dict, default: int) -> dict:
    """The frame in BlenderProc's HDF5 layout (same keys, dtypes and background values)."""
    data = blenderproc_frame(
        depth=res.depth,
        intrinsics=res.intrinsics,
        with_depth="depth" in v["outputs"],
        distance=res.distance,
        color=res.color,
        normal=res.normal,
        pose=res.pose,
        object_index=res.object_index,
        object_names=res.object_names,
        categories=cats,
        default_category=default,
    )
    data["depthcore"] = frame_meta(res.frame, camera, "batch_render", backplane_depth=res.backplane_depth)
    return data


def write_frame(res, v: dict, args, out: Path, scene: bpy.types.Scene) -> list[Path]:
    """All of one frame's files (each atomic); returns them for the manifest."""
    paths = frame_paths(out, res.frame)
    camera = frame_camera(res.frame, res.intrinsics, res.pose)
    cats = object_categories(scene, res.object_names, args.default_category) if res.object_index is not None else {}
    written = [write_frame_hdf5(paths.hdf5, hdf5_frame(res, cats, v, camera, args.default_category))]
    meta = {"units": res.units, "frame": res.frame, "camera": camera, "backplane_depth": res.backplane_depth}
    if "depth" in v["outputs"] or "distance" in v["outputs"]:
        channels = {"depth": res.depth}
        if res.distance is not None:
            channels["distance"] = res.distance
        paths.exr.parent.mkdir(exist_ok=True)
        written.append(write_exr(paths.exr, channels, meta={**meta, "background": "inf"}))
    if "png" in v["outputs"]:
        grey, gmeta = grey_map(res.depth, bits=args.bits, plan=v["plan"], backplane=res.backplane_depth)
        paths.grey.parent.mkdir(exist_ok=True)
        written.append(write_png(paths.grey, grey, meta={**gmeta, "frame": res.frame}))
    if res.object_index is not None:
        paths.seg.parent.mkdir(exist_ok=True)
        written.append(write_png(paths.seg, res.object_index.astype(np.uint16), meta={"legend": "legend.json"}))
    if res.color is not None:
        paths.color.parent.mkdir(exist_ok=True)
        written.append(write_png(paths.color, res.color))
    written.append(write_camera_json(paths.camera, camera))
    return written


def write_legend(out: Path, scene: bpy.types.Scene, names: dict[int, str], default: int) -> None:
    """seg/legend.json: object id -> name and category_id (same for every frame of the run)."""
    cats = object_categories(scene, names, default)
    legend = {"0": {"name": "background", "category_id": default}}
    legend.update({str(i): {"name": n, "category_id": cats[i]} for i, n in sorted(names.items())})
    path = seg_legend_path(out)
    path.parent.mkdir(exist_ok=True)
    atomic_write_text(path, json.dumps(legend, indent=2) + "\n")


class StopAfterFrame:
    """Ctrl-C (SIGINT) handling for the frame loop.

    Blender's render callback catches the KeyboardInterrupt that Ctrl-C raises during a render, prints it and
    renders on, so Ctrl-C used to be ignored. Here the first Ctrl-C asks the loop to stop once the current frame
    is written and recorded; a second one leaves at once (files are atomic; a rerun resumes either way).
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: object = None

    def __enter__(self) -> StopAfterFrame:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            print("\nbatch_render: interrupted; rerun the same command to resume", file=sys.stderr, flush=True)
            sys.stdout.flush()
            os._exit(130)
        self.requested = True
        message = "batch_render: Ctrl-C: stopping after this frame (Ctrl-C again: stop without writing it)"
        print(f"\n{message}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    scene = bpy.context.scene
    v = validate(args, scene)
    out = Path(args.out)
    settings = {
        "blend": bpy.data.filepath,
        "camera": scene.camera.name,
        "outputs": sorted(v["outputs"]),
        "samples": args.samples,
        "resolution": v["resolution"],
        "backplane": v["backplane"],
        "bits": args.bits,
        "plan": v["plan"].to_dict() if v["plan"] else None,
        "seed": scene.cycles.seed,
        "default_category": args.default_category,
        "depthcore_version": __version__,
    }
    manifest = RunManifest(out)
    manifest.start("batch_render", settings)
    mine = shard_frames(v["frames"], v["shard"])
    remove_stale_temp_files(out, mine)
    done = manifest.complete_frames(mine, verify=args.verify)
    todo = [f for f in mine if f not in done]
    print(
        f"batch_render: {len(mine)} frames in shard {v['shard']}, {len(done)} already complete, "
        f"{len(todo)} to render -> {out}",
        flush=True,
    )
    options = render_options(v, args.samples)
    bar = frame_progress(len(mine), desc="batch_render", initial=len(done))
    start = time.perf_counter()
    legend_written = False
    rendered = 0
    with StopAfterFrame() as stop:
        for frame in todo:
            with quiet_stdout(not args.verbose):
                res = render_depth_frame(scene, frame, options)
            if "seg" in v["outputs"] and not legend_written:
                write_legend(out, scene, res.object_names, args.default_category)
                legend_written = True
            files = write_frame(res, v, args, out, scene)
            manifest.mark_complete(frame, files, {"shard": str(v["shard"])})
            rendered += 1
            bar.update(1)
            if stop.requested:
                break
    bar.close()
    if stop.requested and rendered < len(todo):
        print(
            f"batch_render: stopped by Ctrl-C after {rendered} of {len(todo)} frames; complete frames are kept, "
            "rerun the same command to resume",
            file=sys.stderr,
            flush=True,
        )
        return 130
    if todo:
        elapsed = time.perf_counter() - start
        print(
            f"batch_render: rendered {len(todo)} frames in {elapsed:.2f} s "
            f"({len(todo) / elapsed:.2f} frames/s) -> {out}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    run_main(main, script_args())
