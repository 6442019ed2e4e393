"""Test helpers: EXR files written with OpenEXR directly (independent of depthcore's writer), running the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import OpenEXR

ROOT = Path(__file__).resolve().parents[2]


def raw_exr(
    path: Path,
    channels: dict[str, np.ndarray],
    *,
    half: bool = False,
    data_window: tuple[tuple[int, int], tuple[int, int]] | None = None,
    display_window: tuple[tuple[int, int], tuple[int, int]] | None = None,
) -> Path:
    """Single-part scanline EXR via the OpenEXR package."""
    dtype = np.float16 if half else np.float32
    header: dict = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    if data_window is not None:
        header["dataWindow"] = data_window
    if display_window is not None:
        header["displayWindow"] = display_window
    OpenEXR.File(header, {k: np.ascontiguousarray(v, dtype=dtype) for k, v in channels.items()}).write(str(path))
    return path


def multipart_exr(path: Path, parts: list[tuple[str, dict[str, np.ndarray]]]) -> Path:
    def as_f32(ch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: np.ascontiguousarray(v, np.float32) for k, v in ch.items()}

    objs = [OpenEXR.Part({"type": OpenEXR.scanlineimage}, as_f32(ch), n) for n, ch in parts]
    OpenEXR.File(objs).write(str(path))
    return path


def read_exr_raw(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    f = OpenEXR.File(str(path), separate_channels=True)
    return dict(f.header()), {k: np.asarray(c.pixels) for k, c in f.parts[0].channels.items()}


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m depthcore ARGS`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "depthcore", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, no traceback, and the last stderr line names the problem."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines, "no error printed"
    last = lines[-1]
    for needle in needles:
        assert needle in last, (needle, last)
    return last
