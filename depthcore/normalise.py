"""The normaliser: raw depth values -> a ControlNet grey map (near = white, far = black).

Steps: one explicit background mask (sentinels, backplane, threshold, far clip); the range (observed foreground
min/max, a percentile range, or an explicit / global range, narrowed by the near and far clips); a span plan
(given, or one span over the range with every level); the level engine of :mod:`depthcore.mapping`; grey values;
optional seeded noise in the background.

Memory and speed: the image is processed in blocks of rows by :mod:`depthcore.mapping`'s engine (span by span
with scalar bounds; map compression from one argsort), so full-size arrays are only the input, the background mask
(bool) and the grey output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np

from .background import background_mask
from .errors import UserError
from .mapping import CURVES, block_levels, block_rows, compressed_levels, span_table
from .plan import PlanError, SpanPlan


@dataclass
class NormaliseOptions:
    """How depth becomes grey. Depths are in the input's units (scene units, usually metres)."""

    bits: int = 8
    invert: bool = False  # near black, far/background white
    curve: str = "linear"  # linear | inverse (linear in disparity) | gamma
    gamma: float = 1.0
    near_clip: float | None = None  # nearer values are clamped to it (white)
    far_clip: float | None = None  # farther values are cut: background (the depth cutoff)
    range: tuple[float, float] | None = None  # explicit (min, max) mapped range; values outside are clamped
    range_percentile: tuple[float, float] | None = None  # e.g. (1, 99) of the foreground
    compression: bool = False  # spread each span's distinct depths evenly over its levels
    noise: bool = False  # fill the background with noise
    seed: int | None = 0
    backplane: float | None = None  # depth of a backplane: at or beyond it is background
    threshold: float | None = None  # anything at or beyond is background (user override)
    sentinels: bool = True  # 1e10 / 65504 / FLT_MAX are background
    blenderproc_distance: bool = False  # 10000 (BlenderProc distance background) is background
    mapped: bool = False  # also return the float32 mapped image (grey / maxval)

    @property
    def maxval(self) -> int:
        return (1 << self.bits) - 1

    def validate(self) -> None:
        """Raise UserError for contradictory or impossible settings."""
        if self.bits not in (8, 16):
            raise UserError(f"bits must be 8 or 16, not {self.bits}")
        if self.curve not in CURVES:
            raise UserError(f"unknown curve {self.curve!r} (curves: {', '.join(CURVES)})")
        if not (self.gamma > 0 and np.isfinite(self.gamma)):
            raise UserError(f"gamma must be a positive number, not {self.gamma}")
        if self.range is not None:
            lo, hi = self.range
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise UserError(f"range must be two finite numbers MIN < MAX, not {lo} {hi}")
        if self.range_percentile is not None:
            lo, hi = self.range_percentile
            if not 0 <= lo < hi <= 100:
                raise UserError(f"percentiles must satisfy 0 <= LO < HI <= 100, not {lo} {hi}")
        for name in ("near_clip", "far_clip", "backplane", "threshold"):
            value = getattr(self, name)
            if value is not None and not np.isfinite(value):
                raise UserError(f"{name.replace('_', ' ')} must be a finite number, not {value}")
        if self.near_clip is not None and self.far_clip is not None and not self.near_clip < self.far_clip:
            raise UserError(f"near clip {self.near_clip} must be nearer than far clip {self.far_clip}")


@dataclass
class NormaliseResult:
    """A grey map and how it was made."""

    grey: np.ndarray  # uint8 or uint16 HxW, near = white (unless inverted)
    background: np.ndarray  # bool HxW, True = background (incl. cut and unmapped pixels)
    plan: SpanPlan  # the plan actually used
    range: tuple[float, float] | None  # depths mapped (plan start, plan end); None when all is background
    bits: int = 8
    mapped: np.ndarray | None = None  # float32 grey / maxval when asked for
    meta: dict[str, object] = field(default_factory=dict)


def background_of(values: np.ndarray, options: NormaliseOptions) -> np.ndarray:
    """The background mask for ``values`` under ``options`` (sentinels, backplane, threshold, far clip)."""
    bg = background_mask(
        values,
        backplane=options.backplane,
        threshold=options.threshold,
        sentinels=options.sentinels,
        blenderproc_distance=options.blenderproc_distance,
    )
    if options.far_clip is not None:
        with np.errstate(invalid="ignore"):
            bg |= values > options.far_clip
    return bg


def observed_range(
    values: np.ndarray, options: NormaliseOptions, background: np.ndarray | None = None
) -> tuple[float, float] | None:
    """The (min, max) depth range to map for one image, or None when every pixel is background.

    An explicit ``range`` wins. Otherwise the foreground min/max (or percentiles), with the near clip raising the
    minimum and the far clip lowering the maximum. Callers wanting one range over many files (``--global-range``)
    take the min of the mins and the max of the maxes and pass it back as ``range``.
    """
    v = np.asarray(values)
    if background is None:
        background, lo, hi = _scan(v, options)
    else:
        lo, hi = _min_max(v, background)
    return _range(v, options, background, lo, hi)


POOL_BINS = 1 << 16  # pooled percentiles over many files are exact to (max - min) / 65536


def foreground_histogram(
    values: np.ndarray, options: NormaliseOptions, lo: float, hi: float, bins: int = POOL_BINS
) -> np.ndarray:
    """Counts of one image's foreground over ``[lo, hi]`` (values outside are counted at the ends).

    Summed over many files, :func:`histogram_percentiles` turns them into one pooled percentile range
    (``--global-range --range-percentile``) while holding a single image in memory at a time.
    """
    v = np.asarray(values)
    bg, _, _ = _scan(v, options)
    fg = np.clip(v[~bg], lo, hi)
    return np.histogram(fg, bins=bins, range=(lo, hi))[0].astype(np.int64)


def histogram_percentiles(
    counts: np.ndarray, lo: float, hi: float, percentiles: tuple[float, float]
) -> tuple[float, float]:
    """Percentiles of the values behind ``counts`` (bins over ``[lo, hi]``), interpolated inside a bin."""
    cdf = np.cumsum(counts)
    total = int(cdf[-1]) if cdf.size else 0
    if total == 0:
        raise UserError("no foreground pixels in any file: cannot take percentiles")
    width = (hi - lo) / len(counts)
    out = []
    for p in percentiles:
        target = p / 100.0 * total
        i = min(int(np.searchsorted(cdf, target, side="left")), len(counts) - 1)
        before = int(cdf[i - 1]) if i else 0
        frac = (target - before) / counts[i] if counts[i] else 0.0
        out.append(lo + (i + min(max(frac, 0.0), 1.0)) * width)
    return out[0], out[1]


def _min_max(v: np.ndarray, bg: np.ndarray) -> tuple[float, float]:
    """Foreground min and max (inf, -inf when there is none)."""
    if not bg.any():
        return (float(v.min()), float(v.max())) if v.size else (np.inf, -np.inf)
    keep = ~bg
    return float(v.min(where=keep, initial=np.inf)), float(v.max(where=keep, initial=-np.inf))


def _scan(v: np.ndarray, options: NormaliseOptions) -> tuple[np.ndarray, float, float]:
    """One cache-friendly pass: the background mask and the foreground min / max."""
    bg = np.empty(v.shape, dtype=bool)
    lo, hi = np.inf, -np.inf
    rows = block_rows(v.shape)
    for r0 in range(0, v.shape[0], rows):
        block = v[r0 : r0 + rows]
        b = background_of(block, options)
        bg[r0 : r0 + rows] = b
        mn, mx = _min_max(block, b)
        lo, hi = min(lo, mn), max(hi, mx)
    return bg, lo, hi


def _range(
    v: np.ndarray, options: NormaliseOptions, bg: np.ndarray, lo: float, hi: float
) -> tuple[float, float] | None:
    if options.range is not None:
        return float(options.range[0]), float(options.range[1])
    if not lo <= hi:  # no foreground
        return None
    if options.range_percentile is not None:
        fg = v[~bg] if bg.any() else v.reshape(-1).copy()
        lo, hi = (float(x) for x in np.percentile(fg, options.range_percentile, overwrite_input=True))
    if options.near_clip is not None:
        lo = max(lo, float(options.near_clip))
    if options.far_clip is not None:
        hi = min(hi, float(options.far_clip))
    return lo, max(lo, hi)


def options_for_file(options: NormaliseOptions, kind: str, meta: dict[str, object]) -> NormaliseOptions:
    """Options adjusted to what a file says it holds.

    Disparity grows toward the camera, so its grey ramp flips (near stays white; ``invert`` flips it back). A
    backplane depth recorded by a depthcore render (``depthcore:backplane_depth``) is used unless one was given.
    """
    changes: dict[str, object] = {}
    if kind == "disparity":
        changes["invert"] = not options.invert
    if options.backplane is None and (plane := _meta_number(meta.get("depthcore:backplane_depth"))) is not None:
        changes["backplane"] = plane
    return replace(options, **changes) if changes else options


def _meta_number(value: object) -> float | None:
    try:
        number = json.loads(value.decode() if isinstance(value, bytes) else str(value))
    except (TypeError, ValueError):
        return None
    return float(number) if isinstance(number, int | float) and np.isfinite(number) and number > 0 else None


def check_plan(plan: SpanPlan) -> None:
    """Raise UserError unless the plan is valid and not over-allocated."""
    try:
        plan.validate()
    except PlanError as exc:
        raise UserError(f"invalid span plan: {exc}") from exc
    if plan.over_allocated():
        raise UserError(
            f"the plan allocates {plan.total_levels()} levels, more than the {plan.budget} available (nothing written)"
        )


def normalise(
    values: np.ndarray, options: NormaliseOptions | None = None, plan: SpanPlan | None = None
) -> NormaliseResult:
    """Map raw depth ``values`` (HxW) to grey levels.

    Without a ``plan``: one span over the range with every level. With a plan, its spans are absolute depths;
    foreground values are clamped onto ``[plan.start, plan.end]`` and 0-level spans render as background.
    Over-allocation raises UserError before anything is computed.
    """
    opts = options or NormaliseOptions()
    opts.validate()
    v = np.asarray(values)
    if v.ndim != 2 or v.size == 0:
        raise UserError(f"expected a non-empty 2-D depth image, got shape {v.shape}")
    if not np.issubdtype(v.dtype, np.floating):
        v = v.astype(np.float32)
    bg, obs_lo, obs_hi = _scan(v, opts)
    if plan is None:
        rng = _range(v, opts, bg, obs_lo, obs_hi)
        plan = SpanPlan.single(*(rng or (0.0, 1.0)), levels=256)
        if rng is None:
            rng_used = None
        else:
            rng_used = (plan.start, plan.end)
    else:
        check_plan(plan)
        plan = plan.copy()
        rng_used = (plan.start, plan.end) if not bool(bg.all()) else None
    if opts.curve == "inverse" and plan.start <= 0:
        raise UserError(f"the inverse-depth curve needs depths above 0 (the range starts at {plan.start:g})")

    out_levels = 1 << opts.bits
    dtype = np.uint8 if opts.bits == 8 else np.uint16
    grey = np.empty(v.shape, dtype=dtype)
    lo, hi = plan.start, plan.end
    if rng_used is None:
        grey.fill(opts.maxval if opts.invert else 0)
    elif opts.compression:
        levels = compressed_levels(v, bg, span_table(plan, out_levels=out_levels), clamp=(lo, hi))
        bg |= levels < 0
        _grey_into(levels, grey, opts)
    else:
        spans = span_table(plan, out_levels=out_levels)
        rows = block_rows(v.shape)
        # Background pixels are unmapped whatever their value, so only foreground outside the plan needs clamping.
        clamp = not (lo <= obs_lo and obs_hi <= hi)
        may_unmap = any(row.levels <= 0 for row in spans)
        for r0 in range(0, v.shape[0], rows):
            block_bg = bg[r0 : r0 + rows]
            f = _prepare_block(v[r0 : r0 + rows], lo, hi, clamp)
            levels = block_levels(f, spans, curve=opts.curve, gamma=opts.gamma, inside=True)
            levels[block_bg] = -1
            if may_unmap:  # a 0-level span or a gap: pixels beyond the background become unmapped
                block_bg |= levels < 0
            _grey_into(levels, grey[r0 : r0 + rows], opts)

    mapped = grey.astype(np.float32) / np.float32(opts.maxval) if opts.mapped else None
    if opts.noise:
        n = int(np.count_nonzero(bg))
        if n:
            rng_gen = np.random.default_rng(opts.seed)
            grey[bg] = rng_gen.integers(0, opts.maxval, size=n, dtype=dtype, endpoint=True)
    return NormaliseResult(grey, bg, plan, rng_used, opts.bits, mapped)


def _prepare_block(block: np.ndarray, lo: float, hi: float, clamp: bool) -> np.ndarray:
    """float64 copy of a block, clamped onto [lo, hi] when ``clamp`` (NaN stays NaN)."""
    f = block.astype(np.float64)
    if clamp:  # copyto-where is several times faster than np.clip / np.maximum here
        np.copyto(f, lo, where=f < lo)
        np.copyto(f, hi, where=f > hi)
    return f


def _grey_into(levels: np.ndarray, grey: np.ndarray, opts: NormaliseOptions) -> None:
    """Modern ``levels_to_grey`` written into ``grey``: maxval - level, unmapped (-1) -> 0; invert flips.

    Levels are -1 .. maxval (the plan is not over-allocated), and the integer cast to the unsigned grey type wraps
    modulo 2**bits, so unmapped pixels land on 0 (maxval - -1 = 2**bits) or, inverted, on maxval (-1) by themselves.
    """
    if opts.invert:
        np.copyto(grey, levels, casting="unsafe")
    else:
        np.subtract(opts.maxval, levels, out=grey, casting="unsafe")
