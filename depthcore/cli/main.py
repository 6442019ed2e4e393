"""``depthcore`` entry point: one argparse parser, one subcommand module each.

Each module in SUBCOMMANDS exposes ``register(subparsers)``, which adds its parser and sets ``func`` (called with
the parsed namespace, returning an exit code). User mistakes raise UserError and end as one line on stderr with
exit code 2; Ctrl-C ends with 130.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import UserError

SUBCOMMANDS = ("normalise", "daz", "shell", "estimate", "eval", "weights")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="depthcore",
        description="Depth maps that matter: ControlNet grey maps, depth datasets, monocular estimators.",
    )
    parser.add_argument("--version", action="version", version=f"depthcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{name}":
                continue  # subcommand not part of this build
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"depthcore {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("depthcore: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
