"""Entry scripts: ``blenderproc run pipelines/render_depth.py`` and ``blender -b --python batch_render.py``."""
