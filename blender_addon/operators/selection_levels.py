"""Object-aware grey levels: give the selected objects' depth range its own span."""

from __future__ import annotations

import bpy
from bpy.props import IntProperty

from depthcore.errors import UserError

from .. import results


class DEPTHCORE_OT_selection_levels(bpy.types.Operator):
    """Give the selected objects (or the chosen collection) a span of their own with this many levels,
    found from their pixels in the last depth render"""

    bl_idname = "depthcore.selection_levels"
    bl_label = "Give Selection Levels"
    bl_options = {"REGISTER", "UNDO"}

    levels: IntProperty(name="Levels", default=64, min=1)

    def execute(self, context):
        scene = context.scene
        coll = scene.depthcore.selection_collection
        objects = list(coll.all_objects) if coll is not None else list(context.selected_objects)
        if not objects:
            self.report({"ERROR"}, "select objects or pick a collection first")
            return {"CANCELLED"}
        last = results.get(scene)
        if last is None:
            self.report({"ERROR"}, "nothing rendered yet: press Render Depth first")
            return {"CANCELLED"}
        label = coll.name if coll is not None else ", ".join(sorted(o.name for o in objects))[:60]
        try:
            start, end = results.selection_depth_range(last.result, {o.name_full for o in objects})
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}

        def edit(plan):
            index = plan.give_range(start, end, self.levels, label)
            scene.depthcore.span_index = index

        outcome = results.edit_plan(self, context, edit)
        if "FINISHED" in outcome:
            self.report({"INFO"}, f"{label}: {self.levels} levels over {start:.4g} to {end:.4g}")
        return outcome


classes = (DEPTHCORE_OT_selection_levels,)
