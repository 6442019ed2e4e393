"""Fixtures for the pipeline tests: real BlenderProc 2.8.0 through the project's bpy-backed launcher."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pipe_paths import BLENDER_DIR, BLENDERPROC, BPY_PYTHON, DEMO_FRAMES, LAUNCHER, REPO


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BLENDER_USER_RESOURCES"] = str(tmp / "blender-user")
    env.pop("SLURM_ARRAY_TASK_ID", None)
    env.pop("SLURM_ARRAY_TASK_COUNT", None)
    env["OMP_NUM_THREADS"] = "2"
    return env


def need_blenderproc() -> None:
    if not BLENDERPROC.exists() or not LAUNCHER.exists():
        pytest.skip("BlenderProc CLI venv or .blender launcher missing (run scripts/install.sh)")


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipelines")


@pytest.fixture(scope="session")
def run_bproc(session_tmp: Path):
    """Run ``blenderproc run --custom-blender-path .blender pipelines/render_depth.py ARGS``."""
    need_blenderproc()

    def run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 300):
        cmd = [str(BLENDERPROC), "run", "--custom-blender-path", str(BLENDER_DIR),
               str(REPO / "pipelines" / "render_depth.py"), *map(str, args)]
        return subprocess.run(cmd, cwd=REPO, env={**_env(session_tmp), **(env or {})}, capture_output=True,
                              text=True, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def run_blender(session_tmp: Path):
    """Run ``.blender/blender ARGS`` (the bpy-backed launcher; real Blender's command line)."""
    if not LAUNCHER.exists():
        pytest.skip(".blender/blender launcher missing (run scripts/install.sh)")

    def run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 300):
        return subprocess.run([str(LAUNCHER), *map(str, args)], cwd=REPO, env={**_env(session_tmp), **(env or {})},
                              capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def demo_scene(session_tmp: Path) -> tuple[Path, Path]:
    """(demo.blend, demo.camera_positions) built by pipelines/make_demo_scene.py with the bpy module."""
    blend = session_tmp / "demo" / "demo.blend"
    blend.parent.mkdir(exist_ok=True)
    python = BPY_PYTHON if BPY_PYTHON.exists() else Path(sys.executable)
    proc = subprocess.run([str(python), str(REPO / "pipelines" / "make_demo_scene.py"), str(blend),
                           "--frames", str(DEMO_FRAMES)], cwd=REPO, env=_env(session_tmp),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return blend, blend.with_suffix(".camera_positions")


@pytest.fixture(scope="session")
def demo_render(run_bproc, demo_scene, session_tmp: Path) -> Path:
    """The demo scene rendered once through BlenderProc at 64x64, 4 samples (shared by several tests)."""
    blend, cams = demo_scene
    out = session_tmp / "demo-out"
    proc = run_bproc(cams, blend, out, "--resolution", "64x48", "--samples", "4", "--outputs",
                     "colors,depth,distance,normals,segmaps,grey,camera")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out
