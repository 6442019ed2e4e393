"""Paths the pipeline tests use (the repo's launcher, venvs and the shared BlenderProc example data)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BLENDER_DIR = REPO / ".blender"
LAUNCHER = BLENDER_DIR / "blender"
BPY_PYTHON = BLENDER_DIR / "4.2" / "python" / "bin" / "python3.11"
BLENDERPROC = REPO / ".venvs" / "blenderproc" / "bin" / "blenderproc"
SHARED_DATA = REPO.parent / "shared" / "data" / "blenderproc_examples"
EXAMPLE_BLEND = SHARED_DATA / "semantic_segmentation" / "scene.blend"
EXAMPLE_CAMERAS = SHARED_DATA / "resources" / "camera_positions"
DEMO_FRAMES = 4
