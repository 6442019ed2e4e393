"""Apply the span plan and normalise options to the last render."""

from __future__ import annotations

import bpy

from depthcore.errors import UserError

from .. import results


class DEPTHCORE_OT_apply_normalise(bpy.types.Operator):
    """Normalise the last depth render with the span plan and options; updates the result image at once"""

    bl_idname = "depthcore.apply_normalise"
    bl_label = "Apply"
    bl_options = {"REGISTER"}

    def execute(self, context):
        try:
            res = results.normalise_last(context.scene)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"{results.NORMALISED_IMAGE}: {res.bits}-bit, plan of {len(res.plan)} spans")
        return {"FINISHED"}


classes = (DEPTHCORE_OT_apply_normalise,)
