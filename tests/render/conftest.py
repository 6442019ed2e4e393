"""Render-core tests drive the real bpy module in-process (Cycles CPU, tiny images, few samples)."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # blender_addon is not part of the depthcore wheel
# bpy must never write to the user's ~/.config/blender: set before anything imports it.
if "BLENDER_USER_RESOURCES" not in os.environ:
    _resources = tempfile.mkdtemp(prefix="depthcore-bur-")
    os.environ["BLENDER_USER_RESOURCES"] = _resources
    atexit.register(shutil.rmtree, _resources, ignore_errors=True)

import pytest  # noqa: E402

bpy = pytest.importorskip("bpy")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/render/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.blender)
