"""Writing the original's files: ``<stub>.depth.png`` (+ ``.mask.png``, ``.regions.png``) or ``<stub>.test.png``."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..atomic import refuse_overwrite_input
from ..errors import UserError
from ..io import write_png
from ..plan import SpanPlan
from . import rules


def over_allocated(plan: SpanPlan, budget: int = rules.MAX_LEVELS) -> bool:
    """Print the original's failure text when the plan shares out more than ``budget`` (256) levels."""
    total = plan.total_levels()
    if total <= budget:
        return False
    print(f"mapping status was: Failure to map: {total} levels allocated.")
    print("as the mapping process was unsuccessful, no files will be written")
    print("(did you allocate too many levels?)")
    return True


def check_outputs(names: Iterable[str | Path], inputs: Iterable[str | Path]) -> None:
    """Refuse, before anything is written or reported: a missing or unwritable folder, a folder in the way, an input."""
    inputs = list(inputs)
    for name in names:
        folder = Path(name).parent
        if not folder.is_dir():
            raise UserError("output folder does not exist", folder)
        try:
            tempfile.TemporaryFile(dir=folder).close()  # permissions and read-only mounts alike
        except OSError as exc:
            raise UserError(f"output folder is not writable ({exc.strerror})", folder) from None
        if Path(name).is_dir():
            raise UserError("is a folder: cannot write the output there", name)
        refuse_overwrite_input(name, inputs)


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
            images.append((f"{stub}.mask.png", rules.mask(mapped, np.isnan(v))))
        if options.noise:
            grey_map = rules.add_noise(grey_map, mapped, rng)
        images.append((f"{stub}.depth.png", grey_map))
    check_outputs([name for name, _ in images], inputs)
    print("mapping status was: Success")
    return [write_png(name, image) for name, image in images]
