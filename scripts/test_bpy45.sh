#!/usr/bin/env bash
# Optional second test run: the Blender-facing tests against Blender 4.5 LTS (bpy 4.5 in its own venv).
# Usage: bash scripts/test_bpy45.sh [pytest args]   (the first run downloads bpy 4.5, ~400 MB)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=.venvs/bpy45
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3.11}" -m venv "$venv"
fi
"$venv/bin/pip" install -q "bpy==4.5.*" numpy==1.26.4 OpenEXR Pillow h5py tqdm pytest hypothesis setuptools wheel
# Estimator/eval subprocesses run in the project venv, like a user's separate estimator Python.
if [ -x .blender/4.2/python/bin/python ]; then export DEPTHCORE_ESTIMATOR_PYTHON="$PWD/.blender/4.2/python/bin/python"; fi
export BLENDER_USER_RESOURCES="${BLENDER_USER_RESOURCES:-$(mktemp -d)}"
PYTHONPATH="$PWD" exec "$venv/bin/python" -m pytest tests/render tests/addon -q -m "not estimators" "$@"
