"""Shared fixtures for the environment tests: paths of the installed launcher and the blenderproc CLI."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / ".blender" / "blender"
BLENDERPROC = ROOT / ".venvs" / "blenderproc" / "bin" / "blenderproc"
SCRIPTS = Path(__file__).resolve().parent / "scripts"


@pytest.fixture
def launcher() -> Path:
    if not os.access(LAUNCHER, os.X_OK):
        pytest.skip(f"{LAUNCHER} missing: run scripts/install.sh")
    return LAUNCHER


@pytest.fixture
def blenderproc() -> Path:
    if not os.access(BLENDERPROC, os.X_OK) or not os.access(LAUNCHER, os.X_OK):
        pytest.skip("blenderproc CLI or launcher missing: run scripts/install.sh")
    return BLENDERPROC


def make_env(folder: Path) -> dict[str, str]:
    """The caller's environment with bpy's user folder under `folder` and the workarounds at their default."""
    resources = folder / "blender-user"
    resources.mkdir(exist_ok=True)
    environ = dict(os.environ, BLENDER_USER_RESOURCES=str(resources), MPLBACKEND="Agg")
    environ.pop("DEPTHCORE_LAUNCHER_WORKAROUNDS", None)
    return environ


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return make_env(tmp_path)


def run(
    args: list[str | Path], env: dict[str, str], cwd: Path = ROOT, timeout: int = 300
) -> subprocess.CompletedProcess:
    """Runs a command, capturing text output; never raises on a non-zero exit."""
    return subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)
