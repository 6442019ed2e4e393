"""``depthcore estimate``: monocular depth for images and videos.

Images write ``<stem>.depth.exr`` (float, channel Z for depth or ``disparity``), ``<stem>.depth16.png``
(min-max quantised raw values, range in the PNG text), ``<stem>.grey.png`` (ControlNet grey map through the
normaliser and an optional plan), ``<stem>.estimate.json``; ``--normal`` adds ``<stem>.normal.png``; MiDaS
adds ``<stem>.midas.png`` (controlnet_aux's own grey map). Videos write Annolid's set of outputs into
``--out`` (default ``<video folder>/<stem>/``). ``--json-progress`` prints one JSON object per line on stdout
(events: start, progress, output, done, error) for programs such as the Blender add-on.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_text, refuse_overwrite_input
from ..camera import Intrinsics, read_camera_json
from ..errors import UserError
from ..io import write_exr, write_png
from ..plan import SpanPlan
from ..video.reader import VIDEO_SUFFIXES


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "estimate",
        help="monocular depth for images and videos (needs the estimators extra)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", help="image files, or one video")
    p.add_argument("--model", required=True, help="model name (`depthcore weights list`) or a local folder/file")
    p.add_argument("--backend", help="force the backend for a local folder")
    p.add_argument("--weights-dir", help="folder with one sub-folder of weights per model name")
    p.add_argument("--out", type=Path, help="output folder (images: next to each input; video: <stem>/)")
    p.add_argument("--device", default="auto", help="auto (cuda, mps, cpu), cuda, mps or cpu")
    p.add_argument("--fp32", action="store_true", help="full precision on GPUs (fp16 is the GPU default)")
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--json-progress", action="store_true", help="machine-readable progress, one JSON per line")
    g = p.add_argument_group("camera (metric scale, point clouds)")
    g.add_argument("--fx", type=float, help="focal length in pixels (of the input size)")
    g.add_argument("--fy", type=float, help="vertical focal length in pixels (default fx)")
    g.add_argument("--cx", type=float, help="principal point x (default (W-1)/2)")
    g.add_argument("--cy", type=float, help="principal point y (default (H-1)/2)")
    g.add_argument("--fov", type=float, help="horizontal field of view in degrees (instead of --fx)")
    g.add_argument("--camera", type=Path, help="camera JSON written by depthcore's render pipelines")
    g.add_argument(
        "--metric-scale",
        type=float,
        nargs="+",
        metavar=("SCALE", "SHIFT"),
        help="turn relative output into metric depth: depth = 1/(S*disparity+T) (or S*d+T)",
    )
    g = p.add_argument_group("images")
    g.add_argument("--normal", action="store_true", help="also write <stem>.normal.png")
    g.add_argument("--no-grey", action="store_true", help="skip the ControlNet grey map")
    g.add_argument("--bits", type=int, choices=(8, 16), default=8, help="grey map bit depth (default 8)")
    g.add_argument("--plan", type=Path, help="span plan JSON for the grey map")
    g.add_argument("--curve", choices=("linear", "inverse", "gamma"), default="linear", help="grey map curve")
    g = p.add_argument_group("MiDaS / ControlNet preprocessor")
    g.add_argument("--resolution", type=int, default=512, help="MiDaS detect resolution (default 512)")
    g.add_argument(
        "--sizing",
        choices=("pad64", "round64"),
        default="pad64",
        help="pad64: pad to 64 and crop back (ComfyUI); round64: round H, W to 64 (controlnet_aux)",
    )
    g.add_argument("--a", type=float, default=2.0 * math.pi, help="normal map z strength (default 2*pi)")
    g.add_argument("--bg-threshold", type=float, default=0.1, help="normal map background threshold (default 0.1)")
    g.add_argument("--input-size", type=int, help="model input size (Depth Anything, Video Depth Anything)")
    g = p.add_argument_group("video")
    g.add_argument("--target-fps", type=float, help="process about this many frames per second")
    g.add_argument("--max-res", type=int, help="limit the longer side of frames to this many pixels")
    g.add_argument("--max-frames", type=int, help="stop after this many processed frames")
    g.add_argument("--no-stabilise", action="store_true", help="no temporal scale/shift stabilisation")
    g.add_argument("--no-vis", action="store_true", help="skip <stem>_vis.mp4")
    g.add_argument("--no-frames", action="store_true", help="skip depth_frames/")
    g.add_argument("--no-npz", action="store_true", help="skip <stem>_depths.npz")
    g.add_argument("--no-exr", action="store_true", help="skip <stem>_depths_exr/")
    g.add_argument("--point-clouds", action="store_true", help="point_clouds/ CSV + PLY (metric depth + camera)")
    g.add_argument("--point-stride", type=int, default=1, help="keep every n-th pixel in point clouds")
    g.add_argument("--vda-repo", help="Video-Depth-Anything checkout (for video-depth-anything models)")
    g.add_argument("--accept-licence", action="store_true", help="accept a non-commercial model licence")
    g.add_argument(
        "--vda-mode",
        choices=("offline", "stream"),
        help="Video Depth Anything: offline windows (default, best) or streaming (one frame at a time)",
    )
    g.add_argument("--chunk-frames", type=int, help="Video Depth Anything offline: frames per chunk (memory bound)")
    p.set_defaults(func=run)
    return p


class Reporter:
    """Progress as a tqdm bar on stderr, or JSON lines on stdout."""

    def __init__(self, json_lines: bool, total: int | None, unit: str) -> None:
        self.json_lines = json_lines
        self.bar = None
        if not json_lines:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=unit, file=sys.stderr, disable=not sys.stderr.isatty())
        self._done = 0

    def event(self, event: str, **kw: object) -> None:
        if self.json_lines:
            print(json.dumps({"event": event, **kw}), flush=True)
        elif event == "output":
            print(kw["path"])

    def progress(self, done: int, total: int | None, rate: float) -> None:
        if self.json_lines:
            self.event("progress", done=done, total=total, rate=round(rate, 3))
        elif self.bar is not None:
            if total is not None:
                self.bar.total = total
            self.bar.update(done - self._done)
            self.bar.set_postfix_str(f"{rate:.2f} frames/s")
        self._done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _intrinsics(args: argparse.Namespace, width: int, height: int) -> Intrinsics | None:
    if args.camera:
        K, _ = read_camera_json(args.camera)
        return K
    fx = args.fx
    if fx is None and args.fov is not None:
        if not 0 < args.fov < 180:
            raise UserError("--fov must be between 0 and 180 degrees")
        fx = 0.5 * width / math.tan(math.radians(args.fov) / 2)
    if fx is None:
        if any(v is not None for v in (args.fy, args.cx, args.cy)):
            raise UserError("--fy/--cx/--cy need --fx (or --fov)")
        return None
    if fx <= 0 or (args.fy is not None and args.fy <= 0):
        raise UserError("focal lengths must be positive")
    cx = (width - 1) / 2 if args.cx is None else args.cx
    cy = (height - 1) / 2 if args.cy is None else args.cy
    return Intrinsics(fx, args.fy or fx, cx, cy, width, height)


def _metric_scale(args: argparse.Namespace) -> tuple[float, float] | None:
    if not args.metric_scale:
        return None
    if len(args.metric_scale) > 2:
        raise UserError("--metric-scale takes SCALE and an optional SHIFT")
    return float(args.metric_scale[0]), float(args.metric_scale[1]) if len(args.metric_scale) == 2 else 0.0


def _load(args: argparse.Namespace):
    from ..estimators import load_estimator

    options = {
        "resolution": args.resolution,
        "sizing": args.sizing,
        "input_size": args.input_size,
        "vda_repo": args.vda_repo,
        "accept_licence": args.accept_licence,
        "vda_mode": args.vda_mode,
        "chunk_frames": args.chunk_frames,
    }
    return load_estimator(
        args.model,
        backend=args.backend,
        device=args.device,
        fp32=args.fp32,
        weights_dir=args.weights_dir,
        options=options,
        threads=args.threads,
    )


def run(args: argparse.Namespace) -> int:
    rep = Reporter(args.json_progress, None, "img")
    try:
        return _run(args, rep)
    except UserError as exc:
        if args.json_progress:
            rep.event("error", message=str(exc))
        raise
    finally:
        rep.close()


def _run(args: argparse.Namespace, rep: Reporter) -> int:
    inputs = [Path(p) for p in args.inputs]
    for p in inputs:
        if not p.is_file():
            raise UserError("file does not exist", p)
    videos = [p for p in inputs if p.suffix.lower() in VIDEO_SUFFIXES]
    if videos and len(inputs) > 1:
        raise UserError("give one video at a time (or only images)")
    plan = SpanPlan.load(args.plan) if args.plan else None
    rep.event("start", inputs=[str(p) for p in inputs], model=args.model)
    t0 = time.perf_counter()
    est = _load(args)
    rep.event(
        "model",
        name=est.name,
        backend=est.backend,
        device=est.device,
        kind=est.kind,
        units=est.units,
        load_seconds=round(time.perf_counter() - t0, 3),
    )
    if videos:
        return _video(args, est, videos[0], rep)
    for i, path in enumerate(inputs):
        for out in estimate_image(path, est, args, plan):
            rep.event("output", path=str(out))
        rep.progress(i + 1, len(inputs), (i + 1) / max(time.perf_counter() - t0, 1e-9))
    rep.event("done", images=len(inputs))
    return 0


def _video(args: argparse.Namespace, est, video: Path, rep: Reporter) -> int:
    from ..video.pipeline import VideoOptions, estimate_video
    from ..video.reader import probe

    info = probe(video)
    opts = VideoOptions(
        target_fps=args.target_fps,
        max_res=args.max_res,
        max_frames=args.max_frames,
        stabilise=not args.no_stabilise,
        vis=not args.no_vis,
        depth_frames=not args.no_frames,
        npz=not args.no_npz,
        exr=not args.no_exr,
        point_clouds=args.point_clouds,
        point_stride=args.point_stride,
        intrinsics=_intrinsics(args, info.width, info.height),
        metric_scale=_metric_scale(args),
    )
    out = args.out or video.parent / video.stem
    summary = estimate_video(video, est, out, opts, rep.progress)
    for path in summary["outputs"]:
        rep.event("output", path=path)
    rep.event("done", **{k: v for k, v in summary.items() if k != "outputs"})
    return 0


def _normal_png(est, args: argparse.Namespace) -> np.ndarray:
    from ..estimators.controlnet_midas import midas_normal

    if est.normal is not None:
        return (est.normal * 127.5 + 127.5).clip(0, 255).astype(np.uint8)
    if est.raw is not None:
        return midas_normal(est.raw, args.a, args.bg_threshold)
    v = est.values.astype(np.float64)
    disp = v if est.kind == "disparity" else np.where(v > 0, 1.0 / np.maximum(v, 1e-12), 0.0)
    return midas_normal(np.nan_to_num(disp).astype(np.float32), args.a, args.bg_threshold)


def estimate_image(path: Path, estimator, args: argparse.Namespace, plan: SpanPlan | None = None) -> list[Path]:
    """Estimate one image and write its outputs; returns the written paths."""
    from ..estimators.imaging import load_rgb
    from ..estimators.result import scaled_to_metric
    from ..normalise import NormaliseOptions, normalise, options_for_file
    from ..video.writers import quantise

    rgb = load_rgb(path)
    h, w = rgb.shape[:2]
    est = estimator.predict(rgb, _intrinsics(args, w, h))
    scale = _metric_scale(args)
    if scale is not None and not est.metric:
        est = scaled_to_metric(est, *scale)
    out_dir = args.out or path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / path.stem
    names = {
        k: Path(f"{stem}.{k}")
        for k in ("depth.exr", "depth16.png", "grey.png", "normal.png", "midas.png", "estimate.json")
    }
    for p in names.values():
        refuse_overwrite_input(p, [path])
    desc = est.describe()
    desc["source"] = str(path)
    written: list[Path] = []
    channel = "Z" if est.kind == "depth" else "disparity"
    written.append(write_exr(names["depth.exr"], {channel: est.values}, desc))
    q, lo, hi = quantise(est.values)
    written.append(
        write_png(
            names["depth16.png"],
            q,
            {**desc, "scale": {"min": lo, "max": hi}, "decode": "png / 65535 * (max - min) + min"},
        )
    )
    if not args.no_grey:
        opts = options_for_file(NormaliseOptions(bits=args.bits, curve=args.curve), est.kind, {})
        res = normalise(est.values, opts, plan)
        desc["grey"] = {
            "range": res.range,
            "bits": args.bits,
            "values": est.kind,
            "note": "near = white" + ("; plan in disparity units" if est.kind == "disparity" else ""),
        }
        written.append(write_png(names["grey.png"], res.grey, desc))
    if est.raw is not None:
        from ..estimators.controlnet_midas import midas_grey

        written.append(write_png(names["midas.png"], midas_grey(est.raw), desc))
    if args.normal:
        written.append(write_png(names["normal.png"], _normal_png(est, args), desc))
    atomic_write_text(names["estimate.json"], json.dumps(desc, indent=2, default=str) + "\n")
    written.append(names["estimate.json"])
    return written
