"""Render depth for every frame of the scene's frame range (modal: progress, Esc cancels)."""

from __future__ import annotations

import bpy

from depthcore.errors import UserError

from ..animation import AnimationJob
from ..render import RenderCancelled
from . import modal_progress


class DEPTHCORE_OT_render_depth_animation(bpy.types.Operator):
    """Render depth, distance and normalised maps for the frame range; Esc cancels, the scene stays as it was"""

    bl_idname = "depthcore.render_depth_animation"
    bl_label = "Render Depth Animation"
    bl_options = {"REGISTER"}

    _job: AnimationJob | None = None
    _timer = None

    def _start(self, context) -> bool:
        try:
            self._job = AnimationJob(context.scene)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return False
        return True

    def _step(self, context) -> set[str] | None:
        """One frame; the operator's result when the job has ended, else None."""
        job = self._job
        try:
            if not job.step():
                return None
            job.finish()
        except RenderCancelled as exc:
            job.cancel()
            self.report({"WARNING"}, str(exc))
            return {"CANCELLED"}
        except UserError as exc:
            job.cancel()
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except BaseException:
            job.cancel()
            raise
        self.report({"INFO"}, f"Rendered {job.total} frames, wrote {len(job.written)} files")
        return {"FINISHED"}

    def execute(self, context):
        """Headless / scripted: every frame in one call."""
        if not self._start(context):
            return {"CANCELLED"}
        while (outcome := self._step(context)) is None:
            pass
        return outcome

    def invoke(self, context, event):
        if not self._start(context):
            return {"CANCELLED"}
        modal_progress.begin(self, context, 0.01, self._job.total)
        self._status(context)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self._job.cancel()
            self._end(context)
            self.report({"WARNING"}, f"Cancelled after {self._job.done} of {self._job.total} frames")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            outcome = self._step(context)
        except BaseException:
            self._end(context)
            raise
        if outcome is None:
            context.window_manager.progress_update(self._job.done)
            self._status(context)
            return {"RUNNING_MODAL"}
        self._end(context)
        return outcome

    def _status(self, context) -> None:
        job = self._job
        frame = job.frames[min(job.done, job.total - 1)]
        modal_progress.status(context, f"Depth: frame {frame} ({job.done + 1} of {job.total}), Esc to cancel")

    def _end(self, context) -> None:
        modal_progress.end(self, context)


classes = (DEPTHCORE_OT_render_depth_animation,)
