"""Rename a span (the list also renames on double-click)."""

from __future__ import annotations

import bpy
from bpy.props import IntProperty, StringProperty

from .. import results


class DEPTHCORE_OT_span_rename(bpy.types.Operator):
    """Rename the active span"""

    bl_idname = "depthcore.span_rename"
    bl_label = "Rename Span"
    bl_options = {"REGISTER", "UNDO"}

    name: StringProperty(name="Name")
    index: IntProperty(name="Index", description="Span to rename (-1 = the active one)", default=-1, min=-1)

    def execute(self, context):
        index = context.scene.depthcore.span_index if self.index < 0 else self.index
        return results.edit_plan(self, context, lambda plan: plan.rename(index, self.name), refresh_after=False)


classes = (DEPTHCORE_OT_span_rename,)
