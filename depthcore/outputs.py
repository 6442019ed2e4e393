"""Writing a normalised map: ``<name>.depth.png``, ``<name>.mask.png``, ``<name>.mapped.exr``, ``<name>.histogram.png``.

Outputs go next to the input or into ``out_dir``; every file is written atomically and an input file is never
overwritten. Metadata (PNG text chunks / EXR header attributes): kind, units, range, bits, invert, curve, plan.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import refuse_overwrite_input
from .errors import UserError
from .io import DepthImage, write_exr, write_png
from .normalise import NormaliseOptions, NormaliseResult


@dataclass(frozen=True)
class OutputSpec:
    """Which files to write and where."""

    out_dir: Path | None = None
    mask: bool = False
    exr: bool = False
    histogram_png: bool = False


def stub_for(source: str | os.PathLike[str]) -> str:
    """The output name stem: the input's file name without its last suffix (``a/b.exr`` -> ``b``)."""
    return os.path.splitext(Path(source).name)[0]


def output_paths(source: str | os.PathLike[str], spec: OutputSpec) -> dict[str, Path]:
    """Destination of every requested output for one input, keyed depth/mask/exr/histogram."""
    folder = spec.out_dir if spec.out_dir is not None else Path(source).parent
    stub = stub_for(source)
    paths = {"depth": folder / f"{stub}.depth.png"}
    if spec.mask:
        paths["mask"] = folder / f"{stub}.mask.png"
    if spec.exr:
        paths["exr"] = folder / f"{stub}.mapped.exr"
    if spec.histogram_png:
        paths["histogram"] = folder / f"{stub}.histogram.png"
    return paths


def check_outputs(sources: Iterable[str | os.PathLike[str]], spec: OutputSpec) -> None:
    """Before anything is written: refuse outputs that would overwrite an input or collide with each other."""
    sources = [Path(s) for s in sources]
    inputs = {p.resolve() for p in sources}
    inodes = {(st.st_dev, st.st_ino) for st in (_stat(p) for p in sources) if st is not None}
    seen: dict[Path, Path] = {}
    for src in sources:
        for dest in output_paths(src, spec).values():
            key = dest.resolve()
            st = _stat(dest)
            if key in inputs or (st is not None and (st.st_dev, st.st_ino) in inodes):  # same path, link or hardlink
                raise UserError("refusing to overwrite an input file", dest)
            if key in seen and seen[key] != src.resolve():
                raise UserError(f"two inputs would write the same output ({seen[key].name} and {src.name})", dest)
            seen[key] = src.resolve()


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def output_meta(image: DepthImage, result: NormaliseResult, options: NormaliseOptions) -> dict[str, object]:
    """Metadata recorded with every output."""
    return {
        "kind": image.kind,
        "units": image.units,
        "source": image.name,
        "channel": image.channel or "",
        "range": list(result.range) if result.range else None,
        "bits": result.bits,
        "near": "black" if options.invert else "white",
        "curve": options.curve if options.curve != "gamma" else f"gamma {options.gamma:g}",
        "compression": options.compression,
        "plan": result.plan.to_dict(),
    }


def write_outputs(
    image: DepthImage,
    result: NormaliseResult,
    options: NormaliseOptions,
    spec: OutputSpec,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> dict[str, Path]:
    """Write the requested outputs for one normalised image; return their paths."""
    source = image.source or Path("depth")
    paths = output_paths(source, spec)
    inputs = [*inputs, *([image.source] if image.source else [])]
    for dest in paths.values():
        refuse_overwrite_input(dest, inputs)
    meta = output_meta(image, result, options)
    write_png(paths["depth"], result.grey, meta)
    if "mask" in paths:  # white = subject, black = background (cut, unmapped or marked)
        write_png(paths["mask"], np.where(result.background, np.uint8(0), np.uint8(255)), {"kind": "mask"})
    if "exr" in paths:
        mapped = result.mapped
        if mapped is None:
            mapped = result.grey.astype(np.float32) / np.float32((1 << result.bits) - 1)
        # The channel holds normalised grey, not depth: kind/units describe it, source_* the depth it came from.
        exr_meta = {**meta, "kind": "unknown", "units": "1", "source_kind": image.kind, "source_units": image.units}
        write_exr(paths["exr"], {"Y": mapped}, {**exr_meta, "mapped": "grey / maxval, near = 1"})
    if "histogram" in paths:
        from .histogram import histogram_png

        histogram_png(image.values, result.plan, paths["histogram"], background=result.background, units=image.units)
    return paths
