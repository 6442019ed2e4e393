"""Running a driver script (real bpy in a subprocess, the extension installed as a user would) from a test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def run_driver(driver: str, args: list[str], cwd: Path, report: Path, timeout: int = 900) -> dict:
    """Run a driver script (real bpy, the zip installed as a user would) and return the report it wrote.

    PYTHONPATH is dropped so the bundled depthcore wheel, not the repository, is what the extension imports.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [PY, str(REPO / "tests" / "addon" / driver), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    assert report.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(report.read_text())
