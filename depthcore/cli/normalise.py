"""``depthcore normalise FILES...``: depth files to ControlNet grey maps (near = white)."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError

if TYPE_CHECKING:  # the heavy modules load only when the command runs
    from ..normalise import NormaliseOptions
    from ..outputs import OutputSpec
    from ..plan import SpanPlan

SUFFIXES = (".exr", ".png", ".npy", ".npz", ".hdf5", ".h5")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "normalise",
        aliases=["normalize"],
        help="depth files -> ControlNet grey maps (near = white)",
        description="Normalise depth files (EXR, 16-bit PNG, NPY/NPZ) to grey maps: <name>.depth.png next to each "
        "input or in --out-dir. Near = white, far and background = black.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="input depth files")
    p.add_argument("--channel", help="EXR channel / NPZ array holding depth (default: found automatically)")
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="output bit depth (default 8)")
    p.add_argument("--invert", action="store_true", help="near = black, far = white")
    p.add_argument("--curve", choices=("linear", "inverse", "gamma"), default="linear", help="level curve")
    p.add_argument("--gamma", type=float, default=1.0, help="exponent for --curve gamma (t**gamma)")
    p.add_argument("--near-clip", type=float, metavar="DEPTH", help="nearer depths are clamped to DEPTH (white)")
    p.add_argument(
        "--far-clip", "--depth-cutoff", type=float, metavar="DEPTH", help="farther depths are cut (background)"
    )
    p.add_argument("--range", type=float, nargs=2, metavar=("MIN", "MAX"), help="explicit depth range to map")
    p.add_argument(
        "--range-percentile", type=float, nargs=2, metavar=("LO", "HI"), help="range from foreground percentiles"
    )
    p.add_argument("--global-range", action="store_true", help="one range over all files (no flicker in an animation)")
    p.add_argument("--plan", type=Path, help="span plan JSON (from `depthcore shell` save, the add-on, ...)")
    p.add_argument("--compress", "--compression", dest="compression", action="store_true", help="map compression")
    p.add_argument("--backplane", type=float, metavar="DEPTH", help="a backplane at DEPTH is background")
    p.add_argument(
        "--background-threshold", type=float, metavar="DEPTH", help="values at or beyond DEPTH are background"
    )
    p.add_argument("--no-sentinels", action="store_true", help="do not treat 1e10 / 65504 / FLT_MAX as background")
    p.add_argument("--blenderproc-distance", action="store_true", help="treat 10000 as background")
    p.add_argument("--mask", action="store_true", help="also write <name>.mask.png (white = subject)")
    p.add_argument("--noise", action="store_true", help="fill the background with seeded noise")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--exr", action="store_true", help="also write <name>.mapped.exr (float32 grey / maxval)")
    p.add_argument("--histogram", action="store_true", help="print the 20-bucket depth histogram of each file")
    p.add_argument("--histogram-png", action="store_true", help="also write <name>.histogram.png with the plan")
    p.add_argument("--out-dir", type=Path, help="write outputs here instead of next to each input")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=run)

    def one_line_error(message: str) -> None:  # argparse would print the whole usage first
        p.exit(2, f"{p.prog}: error: {message} (see {p.prog} --help)\n")

    p.error = one_line_error  # type: ignore[method-assign]
    return p


@dataclass(frozen=True)
class _Job:
    path: str
    channel: str | None
    options: NormaliseOptions
    plan: SpanPlan | None
    spec: OutputSpec
    histogram: bool


def _options(args: argparse.Namespace) -> NormaliseOptions:
    from ..normalise import NormaliseOptions

    opts = NormaliseOptions(
        bits=args.bits,
        invert=args.invert,
        curve=args.curve,
        gamma=args.gamma,
        near_clip=args.near_clip,
        far_clip=args.far_clip,
        range=tuple(args.range) if args.range else None,
        range_percentile=tuple(args.range_percentile) if args.range_percentile else None,
        compression=args.compression,
        noise=args.noise,
        seed=args.seed,
        backplane=args.backplane,
        threshold=args.background_threshold,
        sentinels=not args.no_sentinels,
        blenderproc_distance=args.blenderproc_distance,
        mapped=args.exr,
    )
    opts.validate()
    if opts.range and opts.range_percentile:
        raise UserError("--range and --range-percentile cannot be used together")
    return opts


def _check_inputs(files: list[str]) -> None:
    for name in files:
        path = Path(name)
        if not path.exists():
            raise UserError("file does not exist", path)
        if path.is_dir():
            raise UserError("is a folder, not a depth file", path)
        if path.suffix.lower() not in SUFFIXES:
            raise UserError(f"unsupported file type (expected {', '.join(SUFFIXES)})", path)


def _file_range(job: _Job) -> tuple[float, float] | str | None:
    """One file's range for --global-range (streamed: the image is dropped before the next is read)."""
    from ..io import read_depth
    from ..normalise import observed_range, options_for_file

    try:
        image = read_depth(job.path, job.channel)
        return observed_range(image.values, options_for_file(job.options, image.kind, image.meta))
    except UserError as exc:
        return str(exc) if exc.path else f"{job.path}: {exc}"


def _file_histogram(job: _Job, lo: float, hi: float):
    """One file's foreground histogram over the global [lo, hi] (second pass of a pooled percentile range)."""
    from ..io import read_depth
    from ..normalise import foreground_histogram, options_for_file

    try:
        image = read_depth(job.path, job.channel)
        return foreground_histogram(image.values, options_for_file(job.options, image.kind, image.meta), lo, hi)
    except UserError as exc:
        return str(exc) if exc.path else f"{job.path}: {exc}"


def _global_range(opts: NormaliseOptions, jobs_for, workers: int, progress: bool) -> NormaliseOptions:
    """One range over every file, streamed (one image in memory per worker).

    Without percentiles: the nearest foreground minimum to the farthest maximum. With ``--range-percentile``: a
    second pass pools every file's foreground into one histogram and takes the percentiles of all pixels together.
    """
    from dataclasses import replace
    from functools import partial

    from ..normalise import histogram_percentiles

    ranges = []
    for item in _map(_file_range, jobs_for(replace(opts, range_percentile=None)), workers, progress, "range"):
        if isinstance(item, str):
            raise UserError(item)
        if item is not None:
            ranges.append(item)
    if not ranges:
        return opts
    lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    if opts.range_percentile is not None and hi > lo:
        total = None
        for item in _map(partial(_file_histogram, lo=lo, hi=hi), jobs_for(opts), workers, progress, "percentiles"):
            if isinstance(item, str):
                raise UserError(item)
            total = item if total is None else total + item
        lo, hi = histogram_percentiles(total, lo, hi, opts.range_percentile)
    return replace(opts, range=(lo, hi) if hi > lo else None, range_percentile=None, near_clip=None)


def _process(job: _Job) -> tuple[str, str, tuple[float, float] | None, str]:
    """Normalise and write one file: (status "ok"|"error", text to print, range, units)."""
    from ..io import read_depth
    from ..normalise import normalise, options_for_file
    from ..outputs import write_outputs

    try:
        image = read_depth(job.path, job.channel)
        options = options_for_file(job.options, image.kind, image.meta)
        text = ""
        if job.histogram:
            from ..histogram import text_histogram
            from ..normalise import background_of

            values = image.values[~background_of(image.values, options)]
            text = "\n".join([f"{job.path}:", *text_histogram(values)])
        result = normalise(image.values, options, job.plan)
        write_outputs(image, result, options, job.spec)  # check_outputs already vetted every input
        return "ok", text, result.range, image.units
    except UserError as exc:
        return "error", str(exc) if exc.path else f"{job.path}: {exc}", None, ""


def _map(func, jobs: list[_Job], workers: int, progress: bool, desc: str):
    """Run ``func`` over jobs in order (process pool when workers > 1), with a progress bar on a terminal."""
    bar = None
    if progress and len(jobs) > 1:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked while the bar is shown
        bar = tqdm(total=len(jobs), desc=desc, unit="file", disable=None, file=sys.stderr)
    try:
        if workers > 1 and len(jobs) > 1:
            from concurrent.futures import ProcessPoolExecutor  # lazily: a single file never pays for it

            with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
                for item in pool.map(func, jobs):
                    if bar is not None:
                        bar.update()
                    yield item
        else:
            for job in jobs:
                item = func(job)
                if bar is not None:
                    bar.update()
                yield item
    finally:
        if bar is not None:
            bar.close()


def run(args: argparse.Namespace) -> int:
    from ..normalise import check_plan
    from ..outputs import OutputSpec, check_outputs
    from ..plan import SpanPlan

    t0 = time.perf_counter()
    _check_inputs(args.files)
    opts = _options(args)
    if args.jobs < 1:
        raise UserError(f"-j must be 1 or more, not {args.jobs}")
    plan = None
    if args.plan is not None:
        plan = SpanPlan.load(args.plan)
        try:
            check_plan(plan)
        except UserError as exc:
            raise UserError(exc.message, args.plan) from exc
        if args.range or args.range_percentile or args.global_range:
            raise UserError("--plan fixes the depth range; drop --range / --range-percentile / --global-range")
    if args.out_dir is not None:
        if args.out_dir.exists() and not args.out_dir.is_dir():
            raise UserError("--out-dir is not a folder", args.out_dir)
        try:
            args.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create the output folder ({exc.strerror or exc})", args.out_dir) from exc
    spec = OutputSpec(args.out_dir, args.mask, args.exr, args.histogram_png)
    check_outputs(args.files, spec)  # no output may be an input or collide with another file's output

    def jobs_for(options: NormaliseOptions) -> list[_Job]:
        return [_Job(f, args.channel, options, plan, spec, args.histogram) for f in args.files]

    progress = not args.quiet
    if args.global_range and len(args.files) > 0:
        opts = _global_range(opts, jobs_for, args.jobs, progress)

    done, errors, lo_all, hi_all, units = 0, [], float("inf"), float("-inf"), ""
    jobs = jobs_for(opts)
    for job, (status, text, rng, unit) in zip(jobs, _map(_process, jobs, args.jobs, progress, "normalise")):
        if status == "error":
            errors.append(text)
            continue
        done += 1
        if rng is None:
            print(
                f"depthcore normalise: warning: {job.path}: every pixel is background; the map is all black",
                file=sys.stderr,
            )
        units = units or (unit if unit != "unknown" else "")
        if text:
            print(text)
        if rng is not None:
            lo_all, hi_all = min(lo_all, rng[0]), max(hi_all, rng[1])
    for line in errors:
        print(f"depthcore normalise: error: {line}", file=sys.stderr)
    if not args.quiet and done:
        where = args.out_dir if args.out_dir is not None else "next to the inputs"
        span = f"range {lo_all:.6g} to {hi_all:.6g} {units}".rstrip() if lo_all <= hi_all else "all background"
        failed = f", {len(errors)} failed" if errors else ""
        print(
            f"normalised {done} of {len(args.files)} file(s){failed}: {args.bits}-bit, {span}, "
            f"written {where} in {time.perf_counter() - t0:.2f} s"
        )
    return 2 if errors else 0
