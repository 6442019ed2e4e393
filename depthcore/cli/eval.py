"""``depthcore eval PRED GT``: accuracy against rendered depth (AbsRel, delta1, RMSE), or TAE over a clip.

PRED and GT are depth files (EXR, PNG16, NPY, NPZ) or, with ``--tae``, folders of frames (sorted by name)
plus ``--cameras`` (a folder of camera JSON files from the render pipeline, one per frame).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import UserError
from ..eval import ALIGNMENTS, evaluate, tae

DEPTH_SUFFIXES = (".exr", ".png", ".npy", ".npz")


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
    p.add_argument("--pred-channel", help="EXR channel of the prediction")
    p.add_argument("--gt-channel", help="EXR channel of the truth (default: found automatically)")
    p.add_argument("--max-depth", type=float, help="ignore truth beyond this depth")
    p.add_argument("--tae", action="store_true", help="temporal alignment error over folders of frames")
    p.add_argument("--cameras", type=Path, help="folder of camera JSON files (with --tae)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)
    return p


def _kind(image, override: str | None) -> str:
    if override:
        return override
    return "disparity" if image.kind == "disparity" or (image.channel or "") == "disparity" else "depth"


def _units(image) -> str:
    return str(image.units)


def _frames(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise UserError("with --tae, give a folder of frames", folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in DEPTH_SUFFIXES)
    if not files:
        raise UserError("no depth frames in the folder", folder)
    return files


def run(args: argparse.Namespace) -> int:
    from ..io import read_depth

    if args.tae:
        return _run_tae(args)
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


def _run_tae(args: argparse.Namespace) -> int:
    from ..camera import blender_to_opencv_pose, read_camera_json
    from ..io import read_depth

    preds = [read_depth(p, args.pred_channel) for p in _frames(args.pred)]
    gts = [read_depth(p, args.gt_channel) for p in _frames(args.gt)]
    if not args.cameras:
        raise UserError("--tae needs --cameras (a folder of camera JSON files)")
    cams = sorted(args.cameras.glob("*.json")) if args.cameras.is_dir() else []
    if len(cams) != len(preds) or len(gts) != len(preds):
        raise UserError(f"{len(preds)} predictions, {len(gts)} truths and {len(cams)} cameras: counts differ")
    Ks, poses = [], []
    for c in cams:
        K, c2w = read_camera_json(c)
        if c2w is None:
            raise UserError("camera JSON has no pose", c)
        Ks.append(K)
        poses.append(blender_to_opencv_pose(c2w))
    kind = _kind(preds[0], args.kind)
    units = _units(preds[0])
    align = args.align or ("none" if kind == "depth" and units not in ("relative", "unknown") else "scale-shift")
    value = tae([p.values for p in preds], [g.values for g in gts], Ks[0], poses, kind=kind, align=align)
    print(
        json.dumps({"tae": value, "frames": len(preds), "align": align})
        if args.json
        else f"TAE {value:.4f} over {len(preds)} frames (align {align})"
    )
    return 0
