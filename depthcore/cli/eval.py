"""``depthcore eval PRED GT``: accuracy against rendered depth (AbsRel, delta1, RMSE), or TAE over a clip.

PRED and GT are depth files (EXR, PNG16, NPY, NPZ, or a BlenderProc/depthcore HDF5 frame: key ``depth``,
background 1e10) or, with ``--tae``, folders of such frames (one file type per folder, EXR first; paired in
natural order: 2 before 10) plus ``--cameras`` (a folder of camera JSON files from the render pipeline, one per
frame; found automatically as ``camera/`` in or beside the GT folder, where the pipelines write it).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from ..errors import UserError
from ..eval import ALIGNMENTS, covisible_fraction, evaluate, tae
from ..io import read_depth
from ..io.hdf5 import HDF5_SUFFIXES

# backgrounds of BlenderProc's HDF5 keys (depth: 1e10 is masked by eval already)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "eval",
        help="accuracy of a prediction against rendered depth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("pred", type=Path)
    p.add_argument("gt", type=Path)
    p.add_argument("--align", choices=ALIGNMENTS, help="default: none for metric predictions, else scale-shift")
    p.add_argument("--kind", choices=("depth", "disparity"), help="what PRED holds (default: from its metadata)")
    p.add_argument("--pred-channel", help="EXR channel or NPZ/HDF5 key of the prediction")
    p.add_argument("--gt-channel", help="EXR channel or NPZ/HDF5 key of the truth (default: depth)")
    p.add_argument("--max-depth", type=float, help="ignore truth beyond this depth")
    p.add_argument("--tae", action="store_true", help="temporal alignment error over folders of frames")
    p.add_argument("--cameras", type=Path, help="folder of camera JSON files (with --tae; default: GT/camera or "
                   "GT/../camera)")
    p.add_argument(
        "--covisible",
        action="store_true",
        help="TAE over pixels the truth shows in both frames, bilinear lookup (the truth scores ~0; default: "
        "Video Depth Anything's nearest-pixel TAE)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)
    return p


def _kind(image, override: str | None) -> str:
    if override:
        return override
    return "disparity" if image.kind == "disparity" or (image.channel or "") == "disparity" else "depth"


def _units(image) -> str:
    return str(image.units)


def natural_key(path: Path) -> list[object]:
    """Sort key that puts frame 2 before frame 10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


FRAME_TYPES = ((".exr",), HDF5_SUFFIXES, (".npy",), (".npz",), (".png",))  # a folder's frames: first type found


def _frames(folder: Path) -> list[Path]:
    """The folder's depth frames in natural order: its EXR files, else HDF5, NPY, NPZ, PNG (one type only, so
    ``depthcore estimate``'s ``<stem>.depth.exr`` are used and its PNG previews beside them are not)."""
    if not folder.is_dir():
        raise UserError("with --tae, give a folder of frames", folder)
    files = [p for p in folder.iterdir() if p.is_file()]
    for suffixes in FRAME_TYPES:
        frames = sorted((p for p in files if p.suffix.lower() in suffixes), key=natural_key)
        if frames:
            return frames
    raise UserError("no depth frames in the folder (.exr, .hdf5, .npy, .npz or .png)", folder)


def run(args: argparse.Namespace) -> int:
    if args.tae:
        return _run_tae(args)
    if args.covisible or args.cameras:
        raise UserError(f"{'--covisible' if args.covisible else '--cameras'} only applies with --tae")
    pred = read_depth(args.pred, args.pred_channel)
    gt = read_depth(args.gt, args.gt_channel)
    kind = _kind(pred, args.kind)
    units = _units(pred)
    align = args.align or ("none" if kind == "depth" and units not in ("relative", "unknown") else "scale-shift")
    res = evaluate(pred.values, gt.values, kind=kind, align=align, max_depth=args.max_depth)
    if args.json:
        print(json.dumps(res.to_dict()))
    else:
        print(
            f"AbsRel {res.abs_rel:.4f}  delta1 {res.delta1:.4f}  RMSE {res.rmse:.4f}  "
            f"(align {res.align} in {res.space} space: scale {res.scale:.6g}, shift {res.shift:.6g}; "
            f"{res.pixels} pixels)"
        )
    return 0


def _camera_folder(args: argparse.Namespace) -> Path:
    if args.cameras:
        if not args.cameras.is_dir():
            raise UserError("--cameras must be a folder of camera JSON files", args.cameras)
        return args.cameras
    for folder in (args.gt / "camera", args.gt.parent / "camera"):
        if folder.is_dir() and any(folder.glob("*.json")):
            return folder
    raise UserError("--tae needs --cameras (a folder of camera JSON files; none found beside the truth)")


def _run_tae(args: argparse.Namespace) -> int:
    from ..camera import blender_to_opencv_pose, read_camera_json

    pred_files, gt_files = _frames(args.pred), _frames(args.gt)
    cam_folder = _camera_folder(args)
    cams = sorted(cam_folder.glob("*.json"), key=natural_key)
    if not (len(cams) == len(pred_files) == len(gt_files)):
        raise UserError(
            f"{len(pred_files)} predictions, {len(gt_files)} truths and {len(cams)} cameras: counts differ"
        )
    preds = [read_depth(p, args.pred_channel) for p in pred_files]
    gts = [read_depth(p, args.gt_channel) for p in gt_files]
    Ks, poses = [], []
    for c, g in zip(cams, gts):
        K, c2w = read_camera_json(c)
        if c2w is None:
            raise UserError("camera JSON has no pose", c)
        if (K.height, K.width) != g.shape:
            raise UserError(f"camera is {K.width}x{K.height}, truth {g.name} is {g.shape[1]}x{g.shape[0]}", c)
        Ks.append(K)
        poses.append(blender_to_opencv_pose(c2w))
    kind = _kind(preds[0], args.kind)
    units = _units(preds[0])
    align = args.align or ("none" if kind == "depth" and units not in ("relative", "unknown") else "scale-shift")
    truth = [g.values for g in gts]
    value = tae([p.values for p in preds], truth, Ks, poses, kind=kind, align=align, covisible=args.covisible)
    floor = tae(truth, truth, Ks, poses, kind="depth", align="none", covisible=args.covisible)
    mode = "covisible" if args.covisible else "vda"
    result = {"tae": value, "floor": floor, "frames": len(preds), "align": align, "mode": mode}
    text = f"TAE {value:.4f} over {len(preds)} frames ({mode}, align {align}; the truth itself scores {floor:.4f}"
    if args.covisible:
        result["covisible"] = covisible_fraction(truth, Ks, poses)
        text += f"; {100 * result['covisible']:.1f}% of truth pixels covisible"
    print(json.dumps(result) if args.json else text + ")")
    return 0
