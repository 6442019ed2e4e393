"""Add-on tests: the extension zip driven in a subprocess, plus in-process checks of its bpy-free helpers."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # blender_addon is not part of the depthcore wheel
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="depthcore-bur-"))
