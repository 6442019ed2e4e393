"""``depthcore shell``: the interactive span-plan shell with depthcore's modern rule."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..shell import ModernOptions, run_modern_shell

DESCRIPTION = """\
Interactive shell over each depth file in turn: split the depth range into spans, give each span grey
levels, inspect, then WRITE <name>.depth.png. Type help (or help COMMAND) inside. SAVE/LOAD keep a plan
as JSON for `depthcore normalise --plan`. End of input leaves the current file, like QUIT."""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("shell", help="interactive span-plan editor", description=DESCRIPTION)
    p.add_argument("files", nargs="+", help="depth files (.exr, .png, .npy, .npz, BlenderProc .hdf5 frames)")
    p.add_argument("--channel", help="EXR channel (default: found automatically: Y, Z, Depth.Z, ...)")
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="depth.png bit depth (default 8)")
    p.add_argument("--invert", action="store_true", help="near = black, background white")
    p.add_argument("--mask", action="store_true", help="also write <name>.mask.png (white = mapped)")
    p.add_argument("--regions", action="store_true", help="also write <name>.regions.png (REGION colours)")
    p.add_argument("--compress", action="store_true", help="start with map compression on")
    p.add_argument("--plan", type=Path, help="start from this saved span plan (JSON) instead of one span")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = ModernOptions(
        channel=args.channel,
        bits=args.bits,
        invert=args.invert,
        mask=args.mask,
        regions=args.regions,
        compress=args.compress,
        plan=args.plan,
    )
    return run_modern_shell(args.files, options)
