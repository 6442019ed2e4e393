"""Depthcore Blender extension: depth/distance rendering with a backplane and span-plan grey maps.

Thin entry point (Node Wrangler style): every class lives in its own module; ``classes`` is registered in
order and unregistered in reverse. The render core is in ``render/``; ``results`` holds the session state.
"""

from __future__ import annotations

import bpy

from . import preferences, properties, results
from .operators import (
    apply_normalise,
    backplane_preview,
    compare_with_render,
    estimate_depth,
    plan_load,
    plan_save,
    render_depth,
    render_depth_animation,
    save_outputs,
    selection_levels,
    span_add_split,
    span_allocate,
    span_remove,
    span_rename,
)
from .ui import panels, span_list

classes: tuple[type, ...] = (
    *properties.classes,
    *preferences.classes,
    *render_depth.classes,
    *render_depth_animation.classes,
    *apply_normalise.classes,
    *save_outputs.classes,
    *span_add_split.classes,
    *span_remove.classes,
    *span_allocate.classes,
    *span_rename.classes,
    *plan_save.classes,
    *plan_load.classes,
    *selection_levels.classes,
    *backplane_preview.classes,
    *estimate_depth.classes,
    *compare_with_render.classes,
    *span_list.classes,
    *panels.classes,
)


def register() -> None:
    for cls in classes:
        bpy.utils.register_class(cls)
    properties.register_scene_property()
    bpy.app.handlers.load_post.append(results.clear_on_load)


def unregister() -> None:
    if results.clear_on_load in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(results.clear_on_load)
    results.remove_backplane_preview()
    results.clear()
    properties.unregister_scene_property()
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
