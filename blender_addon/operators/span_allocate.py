"""Give a span a number of grey levels."""

from __future__ import annotations

import bpy
from bpy.props import IntProperty

from .. import results


class DEPTHCORE_OT_span_allocate(bpy.types.Operator):
    """Give the active span this many grey levels"""

    bl_idname = "depthcore.span_allocate"
    bl_label = "Allocate Levels"
    bl_options = {"REGISTER", "UNDO"}

    levels: IntProperty(name="Levels", default=64, min=0)
    index: IntProperty(name="Index", description="Span to change (-1 = the active one)", default=-1, min=-1)

    def execute(self, context):
        index = context.scene.depthcore.span_index if self.index < 0 else self.index
        return results.edit_plan(self, context, lambda plan: plan.allocate(index, self.levels))


classes = (DEPTHCORE_OT_span_allocate,)
