"""Load a span plan from JSON."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ImportHelper

from depthcore.errors import UserError
from depthcore.plan import SpanPlan

from .. import results
from ..properties import plan_to_settings


class DEPTHCORE_OT_plan_load(bpy.types.Operator, ImportHelper):
    """Load a span plan saved by the panel, the CLI or the interactive shell"""

    bl_idname = "depthcore.plan_load"
    bl_label = "Load Plan"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        try:
            plan = SpanPlan.load(self.filepath)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        plan_to_settings(plan, context.scene.depthcore)
        context.scene.depthcore.plan_auto = False
        results.refresh(context.scene)
        return {"FINISHED"}


classes = (DEPTHCORE_OT_plan_load,)
