"""Make docs/images/addon_normalised.png from a real render through the add-on's operators.

Three panels side by side: the Cycles colour render, the normalised map with the automatic plan (one span,
256 levels), and the map after "Give Selection Levels" gave the monkey 128 levels.

    .blender/4.2/python/bin/python scripts/make_addon_readme_image.py [--size 256] [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="depthcore_readme_"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from render_depth import build_scene  # noqa: E402

import blender_addon  # noqa: E402
from depthcore.io import read_png, write_png  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images" / "addon_normalised.png")
    args = parser.parse_args()
    blender_addon.register()
    with tempfile.TemporaryDirectory() as tmp:
        scene = build_scene(args.size, 32, Path(tmp))
        scene.view_settings.exposure = -1.5  # the colour panel only: white objects under a sun read better
        bpy.ops.render.render(write_still=True)
        colour = read_png(Path(tmp) / "plain.png")[..., :3]
        s = scene.depthcore
        s.output_dir = str(Path(tmp) / "auto") + "/"
        bpy.ops.depthcore.render_depth()
        auto = read_png(Path(tmp) / "auto" / "Scene_0001.depth.png")
        bpy.ops.object.select_all(action="DESELECT")
        bpy.data.objects["Suzanne"].select_set(True)
        bpy.ops.depthcore.selection_levels(levels=128)
        s.output_dir = str(Path(tmp) / "monkey") + "/"
        bpy.ops.depthcore.save_outputs()
        monkey = read_png(Path(tmp) / "monkey" / "Scene_0001.depth.png")
    blender_addon.unregister()
    gap = np.full((args.size, 6, 3), 255, np.uint8)
    strip = np.concatenate([colour, gap, np.repeat(auto[..., None], 3, 2), gap,
                            np.repeat(monkey[..., None], 3, 2)], axis=1)
    write_png(args.out, strip, {"source": "scripts/make_addon_readme_image.py"})
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
