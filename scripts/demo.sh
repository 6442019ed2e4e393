#!/usr/bin/env bash
# The README's main command: install everything, build the demo scene by code, render it through real
# BlenderProc (`blenderproc run pipelines/render_depth.py`), and normalise a Daz-style demo EXR.
# Usage: bash scripts/demo.sh [OUTPUT_DIR]   (default: outputs/demo)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-outputs/demo}
py=.blender/4.2/python/bin/python

bash scripts/install.sh
mkdir -p "$out"

echo "== 1/4 building the demo scene (pipelines/make_demo_scene.py)"
.blender/blender -b --python pipelines/make_demo_scene.py -- "$out/demo.blend" --frames 8

echo "== 2/4 rendering it through BlenderProc (pipelines/render_depth.py)"
.venvs/blenderproc/bin/blenderproc run --custom-blender-path .blender pipelines/render_depth.py \
    "$out/demo.camera_positions" "$out/demo.blend" "$out/dataset" --resolution 256x256 --samples 16

echo "== 3/4 preview of frame 0 (colour | grey map | classes | instances)"
"$py" -m depthcore.dataset.preview "$out/dataset/0.hdf5" "$out/preview.png"

echo "== 4/4 a Daz/iRay-style depth EXR, normalised with the backplane cut and a histogram"
"$py" scripts/demo_exr.py "$out/daz_demo.exr"
.blender/4.2/python/bin/depthcore normalise "$out/daz_demo.exr" --far-clip 399 --mask --histogram-png
mkdir -p "$out/with_plan"   # the same EXR with a span plan: more grey levels for the head and the hand
.blender/4.2/python/bin/depthcore normalise "$out/daz_demo.exr" --far-clip 399 --plan docs/examples/daz_demo.plan.json \
    --out-dir "$out/with_plan" --histogram-png

cat <<DONE

Demo outputs in $out/:
  dataset/<frame>.hdf5       BlenderProc HDF5: colors, depth, distance, antialiased_depth, segmaps
  dataset/grey/<frame>.png   ControlNet grey maps (near = white)
  dataset/camera/<frame>.json intrinsics + camera pose
  preview.png                colour | grey map | classes | instances of frame 0
  daz_demo.depth.png         the normalised Daz-style EXR (+ .mask.png, .histogram.png)
  with_plan/                 the same with docs/examples/daz_demo.plan.json (head 176 levels, hand 48)
Open one in BlenderProc's viewer:  .venvs/blenderproc/bin/blenderproc vis hdf5 $out/dataset/0.hdf5 --save $out/vis
DONE
