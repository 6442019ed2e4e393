"""Render depth, distance and the normalised map of the current frame."""

from __future__ import annotations

import bpy

from depthcore.errors import UserError

from .. import results
from ..render import RenderCancelled, render_depth_frame


class DEPTHCORE_OT_render_depth(bpy.types.Operator):
    """Render depth and distance of the current frame (with the backplane), normalise, show and write them"""

    bl_idname = "depthcore.render_depth"
    bl_label = "Render Depth"
    bl_options = {"REGISTER"}

    def execute(self, context):
        scene = context.scene
        try:
            result = render_depth_frame(scene, scene.frame_current, results.render_options(scene))
        except RenderCancelled as exc:
            self.report({"WARNING"}, str(exc))
            return {"CANCELLED"}
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        last = results.store(scene, result)
        results.show_frame(last)
        try:
            results.normalise_last(scene, last)
        except UserError as exc:
            self.report({"ERROR"}, f"depth rendered, but: {exc}")
            return {"CANCELLED"}
        written = []
        if results.wants_files(scene):
            try:
                written = results.write_outputs(scene, last)
            except UserError as exc:
                self.report({"WARNING"}, f"results shown as images; files not written: {exc}")
                return {"FINISHED"}
        self.report({"INFO"}, f"{last.summary()}; {len(written)} files written")
        return {"FINISHED"}


classes = (DEPTHCORE_OT_render_depth,)
