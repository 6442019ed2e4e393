"""Remove a span (its neighbour grows over it)."""

from __future__ import annotations

import bpy
from bpy.props import IntProperty

from .. import results


class DEPTHCORE_OT_span_remove(bpy.types.Operator):
    """Remove the active span; its neighbour takes over its depth range"""

    bl_idname = "depthcore.span_remove"
    bl_label = "Remove Span"
    bl_options = {"REGISTER", "UNDO"}

    index: IntProperty(name="Index", description="Span to remove (-1 = the active one)", default=-1, min=-1)

    def execute(self, context):
        index = context.scene.depthcore.span_index if self.index < 0 else self.index
        return results.edit_plan(self, context, lambda plan: plan.remove(index))


classes = (DEPTHCORE_OT_span_remove,)
