"""Add-on tests: the extension zip driven in a subprocess, plus in-process checks of its bpy-free helpers."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # blender_addon is not part of the depthcore wheel
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="depthcore-bur-"))


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory) -> Path:
    """The extension zip, built once per test session with scripts/build_extension.py (Linux wheels only)."""
    dist = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [PY, str(REPO / "scripts" / "build_extension.py"), "--platforms", "linux-x64", "--output-dir", str(dist)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    return Path(build.stdout.split()[-1])
