"""``depthcore daz``: process each file like format_depthmap.py (automatic or interactive)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from ..errors import UserError
from . import rules
from .histo import HISTO_HEADER, histogram_lines
from .outputs import write_daz_outputs
from .source import DazInput, check_input_path, read_daz_input


def process_automatic(inp: DazInput, options: rules.DazOptions, rng: np.random.Generator) -> None:
    """One file, no shell: optional histogram advice, cutoff clamp, one span over the range, write."""
    if options.histo:
        print(HISTO_HEADER)
        fg = rules.foreground(inp.values)
        for line in histogram_lines(fg[~np.isnan(fg)]):
            print(line)
    rules.check_cutoff(options.cutoff, inp.values, inp.path)
    v = rules.foreground(inp.values, options.cutoff)
    plan = rules.default_plan(v, inp.path)
    write_daz_outputs(inp.stub, v, plan, options, rng, inputs=[inp.path])


def run_daz(paths: Sequence[str], options: rules.DazOptions) -> int:
    """Check every path first (like the original's argparse), then process each file in turn.

    A file that fails prints one error line and the others still run; the exit code is then 2.
    """
    for path in paths:
        check_input_path(path)
    rng = np.random.default_rng(options.seed)
    status = 0
    for path in paths:
        try:
            inp = read_daz_input(path, options.channel)
            if options.interactive:
                from ..shell import run_daz_shell

                status = max(status, run_daz_shell(inp, options, rng))
            else:
                process_automatic(inp, options, rng)
        except UserError as exc:
            sys.stdout.flush()
            print(f"depthcore daz: error: {exc}", file=sys.stderr)
            status = 2
    return status
