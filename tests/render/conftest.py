"""Render-core tests drive the real bpy module in-process (Cycles CPU, tiny images, few samples)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # blender_addon is not part of the depthcore wheel
# bpy must never write to the user's ~/.config/blender: set before anything imports it.
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="depthcore-bur-"))

import pytest  # noqa: E402

bpy = pytest.importorskip("bpy")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/render/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.blender)
