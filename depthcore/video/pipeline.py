"""Estimate depth for a whole video, streaming: read, predict, stabilise, write; memory independent of length."""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..atomic import refuse_overwrite_input
from ..camera import Intrinsics
from ..errors import UserError
from ..estimators.base import Estimator
from ..estimators.result import DepthEstimate, scaled_to_metric
from .reader import frame_stride, iter_frames, output_size, probe
from .stabilise import Stabiliser
from .writers import (
    AtomicStream,
    FrameStore,
    ndjson_record,
    point_cloud,
    write_depth_frame,
    write_exr_frame,
    write_npz,
    write_point_csv,
    write_point_ply,
    write_vis_video,
)

Progress = Callable[[int, int | None, float], None]


@dataclass
class VideoOptions:
    target_fps: float | None = None
    max_res: int | None = None
    max_frames: int | None = None
    stabilise: bool = True
    vis: bool = True
    depth_frames: bool = True
    npz: bool = True
    exr: bool = True
    point_clouds: bool = False
    point_stride: int = 1
    intrinsics: Intrinsics | None = None  # for the source resolution; rescaled to the processed size
    metric_scale: tuple[float, float] | None = None  # explicit (scale, shift) for relative models


def estimates(
    frames: Iterable[tuple[int, int, object]], estimator: Estimator, K: Intrinsics | None
) -> Iterator[tuple[int, int, object, DepthEstimate]]:
    """``(idx, source index, rgb, estimate)`` per frame, in order.

    Video models (those with ``predict_video``, e.g. Video Depth Anything) see the clip and keep their temporal
    context; a small queue pairs each estimate with its frame. Other models predict one frame at a time.
    """
    if not hasattr(estimator, "predict_video"):
        for idx, src, rgb in frames:
            yield idx, src, rgb, estimator.predict(rgb, K)
        return
    queue: collections.deque = collections.deque()

    def rgbs():
        for item in frames:
            queue.append(item)
            yield item[2]

    for est in estimator.predict_video(rgbs(), K):
        idx, src, rgb = queue.popleft()
        yield idx, src, rgb, est


def estimate_video(
    video: str | Path,
    estimator: Estimator,
    out_dir: str | Path,
    opts: VideoOptions,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Run ``estimator`` over ``video``; returns a summary (frames, fps, outputs, kind, units)."""
    video, out = Path(video), Path(out_dir)
    info = probe(video)
    out.mkdir(parents=True, exist_ok=True)
    stem = video.stem
    width, height = output_size(info.width, info.height, opts.max_res)
    if opts.intrinsics and (opts.intrinsics.width, opts.intrinsics.height) != (info.width, info.height):
        raise UserError(
            f"intrinsics are for {opts.intrinsics.width}x{opts.intrinsics.height}, the video is "
            f"{info.width}x{info.height}",
            video,
        )
    K = opts.intrinsics.resized(width, height) if opts.intrinsics else None
    metric = estimator.metric or opts.metric_scale is not None
    if opts.point_clouds and not metric:
        raise UserError("point clouds need metric depth: use a metric model or give --metric-scale", video)
    if opts.point_clouds and K is None and estimator.backend != "depth_pro":
        raise UserError("point clouds need the camera: give --fx/--fy (or --fov, or --camera JSON)", video)
    paths = {"ndjson": out / "depth.ndjson", "vis": out / f"{stem}_vis.mp4", "npz": out / f"{stem}_depths.npz"}
    for p in paths.values():
        refuse_overwrite_input(p, [video])
    stride = frame_stride(info.fps, opts.target_fps)
    fps = info.fps / stride
    total = -(-info.frame_count // stride) if info.frame_count else None
    if total is not None and opts.max_frames is not None:
        total = min(total, opts.max_frames)
    dirs = {}
    for key, name, wanted in (
        ("frames", "depth_frames", opts.depth_frames),
        ("exr", f"{stem}_depths_exr", opts.exr),
        ("points", "point_clouds", opts.point_clouds),
    ):
        if wanted:
            dirs[key] = out / name
            dirs[key].mkdir(exist_ok=True)
    stab = Stabiliser() if opts.stabilise and not metric and estimator.per_frame else None
    ndjson = AtomicStream(paths["ndjson"])
    store = FrameStore(out) if (opts.vis or opts.npz or opts.depth_frames) else None
    kind = units = None
    start = time.perf_counter()
    n = 0
    try:
        frames = iter_frames(video, target_fps=opts.target_fps, max_res=opts.max_res, max_frames=opts.max_frames)
        for idx, src, rgb, est in estimates(frames, estimator, K):
            if opts.metric_scale is not None and not est.metric:
                est = scaled_to_metric(est, *opts.metric_scale)
            values = stab.update(est.values, rgb) if stab is not None else est.values
            kind, units = est.kind, est.units
            desc = est.describe()
            desc["stabilised"] = stab is not None
            record = ndjson_record(values, src, video.name, f"{stem}_{src:09d}.png", desc)
            ndjson.file.write(json.dumps(record) + "\n")
            meta = {
                "kind": est.kind,
                "units": est.units,
                "frame_index": src,
                "model": estimator.name,
                "intrinsics": desc["intrinsics"],
                "stabilised": stab is not None,
            }
            if "exr" in dirs:
                write_exr_frame(dirs["exr"] / f"frame_{idx:05d}.exr", values, meta)
            if opts.point_clouds:
                cam = est.intrinsics or K
                if not est.metric or cam is None:
                    raise UserError("this frame has no metric depth with intrinsics; cannot make a point cloud")
                pts, cols = point_cloud(values, rgb, cam, max(1, opts.point_stride))
                write_point_csv(dirs["points"] / f"point_{idx:04d}.csv", pts, cols)
                write_point_ply(dirs["points"] / f"point_{idx:04d}.ply", pts, cols, est.units)
            if store is not None:
                store.append(values)
            n += 1
            if progress:
                progress(n, total, n / max(time.perf_counter() - start, 1e-9))
        if n == 0:
            raise UserError("no frames were read", video)
        ndjson.commit()
        invert = kind == "depth"
        if store is not None:
            if opts.vis:
                write_vis_video(paths["vis"], store, fps, invert)
            if opts.npz:
                write_npz(paths["npz"], store)
            if opts.depth_frames:
                for i, frame in enumerate(store.frames()):
                    write_depth_frame(
                        dirs["frames"] / f"depth_{i:05d}.png",
                        frame,
                        store.lo,
                        store.hi,
                        invert,
                        {"kind": kind, "units": units, "range": [store.lo, store.hi]},
                    )
    except BaseException:
        ndjson.abort()
        raise
    finally:
        if store is not None:
            store.close()
    elapsed = time.perf_counter() - start
    outputs = [str(paths["ndjson"])]
    outputs += [str(paths[k]) for k, on in (("vis", opts.vis), ("npz", opts.npz)) if on]
    outputs += [str(d) for d in dirs.values()]
    return {
        "frames": n,
        "fps": fps,
        "seconds": elapsed,
        "frames_per_second": n / max(elapsed, 1e-9),
        "kind": kind,
        "units": units,
        "width": width,
        "height": height,
        "stabilised": stab is not None,
        "scene_cuts": stab.cuts if stab else [],
        "outputs": outputs,
    }
