"""Helpers for the `depthcore daz` / shell tests: legacy-API EXR writer, in-process and subprocess runners."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import Imath
import numpy as np
import OpenEXR
import pytest
from PIL import Image

from depthcore.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def write_exr(path: Path, values, channel: str = "Y", half: bool = False, origin: tuple[int, int] = (0, 0)) -> Path:
    """A single-part scanline EXR with one channel, written with OpenEXR's legacy (InputFile-era) API."""
    arr = np.asarray(values, dtype=np.float16 if half else np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    h, w = arr.shape
    header = OpenEXR.Header(w, h)
    x0, y0 = origin
    box = Imath.Box2i(Imath.V2i(x0, y0), Imath.V2i(x0 + w - 1, y0 + h - 1))
    header["dataWindow"] = box
    header["displayWindow"] = box
    kind = Imath.PixelType.HALF if half else Imath.PixelType.FLOAT
    header["channels"] = {channel: Imath.Channel(Imath.PixelType(kind))}
    out = OpenEXR.OutputFile(str(path), header)
    out.writePixels({channel: arr.tobytes()})
    out.close()
    return path


def png(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img).copy()


def png_mode(path: Path) -> str:
    with Image.open(path) as img:
        return img.mode


class Runner:
    """Run `depthcore ...` in-process (fast) with a working directory and optional stdin text."""

    def __init__(self, capsys, monkeypatch, cwd: Path) -> None:
        self.capsys, self.monkeypatch, self.cwd = capsys, monkeypatch, cwd

    def __call__(self, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        self.monkeypatch.chdir(self.cwd)
        if stdin is not None:
            self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        rc = main([str(a) for a in argv])
        out, err = self.capsys.readouterr()
        return rc, out, err


@pytest.fixture
def run(capsys, monkeypatch, tmp_path) -> Runner:
    return Runner(capsys, monkeypatch, tmp_path)


def run_process(*argv: str, cwd: Path, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    """The real command in a child process (exit codes, EOF on a pipe)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "depthcore", *map(str, argv)],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def shell_lines(out: str) -> list[str]:
    """Shell stdout as lines, with the prompts taken off."""
    return [line for line in out.replace("> ", "").splitlines()]
