"""``depthcore daz``: drop-in for daz_depthmap_processor's ``format_depthmap.py`` command line."""

from __future__ import annotations

import argparse

from ..daz.rules import HISTO, DazOptions, parse_cutoff
from ..daz.run import run_daz

DESCRIPTION = """\
Drop-in for daz_depthmap_processor's format_depthmap.py: same flags, same output names next to each input
(<name>.depth.png, .mask.png, .regions.png), same pixels and printed text. Where the original crashes or
misbehaves this prints a one-line error (exit 2) or gives the documented sane result (README, "depthcore daz")."""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "daz",
        help="drop-in for daz_depthmap_processor (format_depthmap.py)",
        description=DESCRIPTION,
    )
    p.add_argument("exrfile", nargs="+", help="EXR depth files (Daz/iRay canvases: depth in channel 'Y')")
    p.add_argument(
        "--depth_cutoff",
        metavar="VALUE|histo",
        help="clamp depths beyond VALUE to VALUE; 'histo' prints the 20-bucket histogram and cuts nothing",
    )
    p.add_argument("--compress_map", action="store_true", help="spread the distinct depths evenly over the levels")
    p.add_argument("--interactive", action="store_true", help="edit the splits in the interactive shell")
    p.add_argument("--regions", action="store_true", help="also write <name>.regions.png (splits' REGION colours)")
    p.add_argument("--noise", action="store_true", help="fill the farthest level with random grey (see --seed)")
    p.add_argument(
        "--mask", action="store_true", help="also write <name>.mask.png (black = the farthest level and background)"
    )
    p.add_argument("--channel", default="Y", help="EXR channel holding depth (default: Y, as the original)")
    p.add_argument("--seed", type=int, default=None, help="seed for --noise (default: unseeded, like the original)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cutoff = parse_cutoff(args.depth_cutoff)  # before any file is read
    options = DazOptions(
        cutoff=None if cutoff in (None, HISTO) else float(cutoff),
        histo=cutoff == HISTO,
        compress=args.compress_map,
        mask=args.mask,
        noise=args.noise,
        regions=args.regions,
        interactive=args.interactive,
        channel=args.channel,
        seed=args.seed,
    )
    return run_daz(args.exrfile, options)
