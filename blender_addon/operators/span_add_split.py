"""Split the span plan at a depth."""

from __future__ import annotations

import bpy
from bpy.props import FloatProperty

from .. import results


class DEPTHCORE_OT_span_add_split(bpy.types.Operator):
    """Split the span holding this depth; the new far part starts with 0 levels"""

    bl_idname = "depthcore.span_add_split"
    bl_label = "Add Split"
    bl_options = {"REGISTER", "UNDO"}

    depth: FloatProperty(name="Depth", description="Where to split (scene units)", unit="LENGTH")
    levels: bpy.props.IntProperty(name="Levels", description="Levels of the new span", default=0, min=0)

    def invoke(self, context, event):
        if not self.properties.is_property_set("depth"):
            self.depth = context.scene.depthcore.split_depth
        return self.execute(context)

    def execute(self, context):
        return results.edit_plan(self, context, lambda plan: plan.split_at(self.depth, self.levels))


classes = (DEPTHCORE_OT_span_add_split,)
