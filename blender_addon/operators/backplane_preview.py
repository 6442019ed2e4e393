"""Show or hide the backplane preview object."""

from __future__ import annotations

import bpy

from depthcore.errors import UserError

from .. import results


class DEPTHCORE_OT_backplane_preview(bpy.types.Operator):
    """Show where the backplane will be (a wireframe plane that never renders), or hide it again"""

    bl_idname = "depthcore.backplane_preview"
    bl_label = "Backplane Preview"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        if results.backplane_preview(context.scene) is not None:
            results.remove_backplane_preview()
            return {"FINISHED"}
        try:
            ob = results.add_backplane_preview(context.scene)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Backplane preview shown ({ob.name})")
        return {"FINISHED"}


classes = (DEPTHCORE_OT_backplane_preview,)
