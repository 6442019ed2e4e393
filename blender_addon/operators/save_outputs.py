"""Write the last render's files (the Output panel's choices) to the output folder."""

from __future__ import annotations

import bpy

from depthcore.errors import UserError

from .. import results


class DEPTHCORE_OT_save_outputs(bpy.types.Operator):
    """Write the chosen files of the last depth render to the output folder"""

    bl_idname = "depthcore.save_outputs"
    bl_label = "Save Outputs"
    bl_options = {"REGISTER"}

    def execute(self, context):
        last = results.get(context.scene)
        if last is None:
            self.report({"ERROR"}, "nothing rendered yet: press Render Depth first")
            return {"CANCELLED"}
        try:
            written = results.write_outputs(context.scene, last)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"Wrote {len(written)} files to {results.output_folder(context.scene)}")
        return {"FINISHED"}


classes = (DEPTHCORE_OT_save_outputs,)
