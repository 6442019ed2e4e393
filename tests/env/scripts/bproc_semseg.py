# BlenderProc's semantic segmentation example scene, rendered small: 64x64, 4 samples.
# Run with: blenderproc run --custom-blender-path .blender tests/env/scripts/bproc_semseg.py SCENE CAMERAS OUTPUT_DIR
import blenderproc as bproc  # noqa: I001  (BlenderProc requires this import first)
import sys

import numpy as np

scene_path, camera_path, output_dir = sys.argv[1:4]
bproc.init()
objs = bproc.loader.load_blend(scene_path)

bproc.camera.set_resolution(64, 64)
with open(camera_path, encoding="utf-8") as cameras:
    for line in cameras:
        values = [float(x) for x in line.split()]
        if values:
            bproc.camera.add_camera_pose(bproc.math.build_transformation_mat(values[:3], values[3:6]))

bproc.renderer.set_max_amount_of_samples(4)
bproc.renderer.enable_depth_output(activate_antialiasing=False)
bproc.renderer.enable_distance_output(activate_antialiasing=True)
bproc.renderer.enable_normals_output()
bproc.renderer.enable_segmentation_output(map_by=["category_id", "instance", "name"])
data = bproc.renderer.render()

# The older segmentation path (a second render with the segmentation colour pass), still in 2.8.0's API.
seg = bproc.renderer.render_segmap(map_by=["instance", "class"], default_values={"class": 0},
                                   file_prefix="legacy_segmap_", output_key="legacy_segmap")
data["class_segmaps_legacy"] = seg["class_segmaps"]

bproc.writer.write_hdf5(output_dir, data)
print("SEMSEG_OK", len(objs), {key: np.asarray(value[0]).shape for key, value in data.items()})
