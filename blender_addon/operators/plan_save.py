"""Save the span plan as JSON."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ExportHelper

from depthcore.errors import UserError

from .. import results


class DEPTHCORE_OT_plan_save(bpy.types.Operator, ExportHelper):
    """Save the span plan as JSON (apply it to other frames with depthcore normalise --plan)"""

    bl_idname = "depthcore.plan_save"
    bl_label = "Save Plan"
    bl_options = {"REGISTER"}

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        try:
            results.current_plan(context.scene).save(self.filepath)
        except (UserError, OSError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Saved plan to {self.filepath}")
        return {"FINISHED"}


classes = (DEPTHCORE_OT_plan_save,)
