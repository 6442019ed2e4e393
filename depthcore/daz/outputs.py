"""Writing the original's files: ``<stub>.depth.png`` (+ ``.mask.png``, ``.regions.png``) or ``<stub>.test.png``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..atomic import refuse_overwrite_input
from ..io import write_png
from ..plan import SpanPlan
from . import rules


def over_allocated(plan: SpanPlan) -> bool:
    """Print the original's failure text when the plan shares out more than 256 levels."""
    total = plan.total_levels()
    if total <= rules.MAX_LEVELS:
        return False
    print(f"mapping status was: Failure to map: {total} levels allocated.")
    print("as the mapping process was unsuccessful, no files will be written")
    print("(did you allocate too many levels?)")
    return True


def write_daz_outputs(
    stub: str,
    v: np.ndarray,
    plan: SpanPlan,
    options: rules.DazOptions,
    rng: np.random.Generator,
    *,
    test: bool = False,
    inputs: Iterable[str | Path] = (),
) -> list[Path] | None:
    """Map ``v`` (float64, background NaN) with ``plan`` and write the files; None when over-allocated.

    Every image is computed before anything is written, so a bad flag leaves no files; each file is atomic.
    """
    if over_allocated(plan):
        return None
    mapped = rules.mapped_levels(v, plan, options.compress)
    grey_map = rules.grey(mapped)
    images: list[tuple[str, np.ndarray]] = []
    if test:
        images.append((f"{stub}.test.png", rules.test_image(v, plan, grey_map)))
    else:
        if options.regions:
            images.append((f"{stub}.regions.png", rules.regions_image(v, plan, grey_map)))
        if options.mask:
            images.append((f"{stub}.mask.png", rules.mask(mapped)))
        if options.noise:
            grey_map = rules.add_noise(grey_map, mapped, rng)
        images.append((f"{stub}.depth.png", grey_map))
    print("mapping status was: Success")
    inputs = list(inputs)
    for name, _ in images:
        refuse_overwrite_input(name, inputs)
    return [write_png(name, image) for name, image in images]
