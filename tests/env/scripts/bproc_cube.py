# BlenderProc smoke scene: a cube, one camera pose, 32x32 at 4 samples, depth + distance, written as HDF5.
# Run with: blenderproc run --custom-blender-path .blender tests/env/scripts/bproc_cube.py OUTPUT_DIR
# (BlenderProc 2.8.0 rejects scripts whose first statement is not the blenderproc import, docstrings included.)

import blenderproc as bproc  # noqa: I001  (BlenderProc must be imported first)
import sys

import numpy as np

output_dir = sys.argv[1]
bproc.init()

cube = bproc.object.create_primitive("CUBE")
cube.set_location([0, 0, 0])
light = bproc.types.Light()
light.set_location([2, -2, 3])
light.set_energy(300)

bproc.camera.set_resolution(32, 32)
bproc.camera.add_camera_pose(bproc.math.build_transformation_mat([0, -5, 0], [np.pi / 2, 0, 0]))
bproc.renderer.set_max_amount_of_samples(4)
bproc.renderer.set_noise_threshold(0)
bproc.renderer.set_denoiser(None)
bproc.renderer.enable_depth_output(activate_antialiasing=False)
bproc.renderer.enable_distance_output(activate_antialiasing=True)

data = bproc.renderer.render()
bproc.writer.write_hdf5(output_dir, data)
print("SMOKE_OK", {key: np.asarray(value[0]).shape for key, value in data.items()})
