"""Estimate monocular depth for the last render (or an image) in the estimator Python (modal, Esc cancels)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import bpy

from depthcore.errors import UserError

from .. import preferences, results
from ..estimate_process import EstimateProcess, EstimateRequest, check_python
from . import modal_progress


def addon_preferences(context: bpy.types.Context) -> preferences.DEPTHCORE_AP_preferences:
    return context.preferences.addons[preferences.DEPTHCORE_AP_preferences.bl_idname].preferences


def estimator_python(context: bpy.types.Context) -> Path:
    """The estimator Python from the preferences, checked (UserError with what to do when it is unusable)."""
    return check_python(bpy.path.abspath(addon_preferences(context).estimator_python))


class EstimateJob:
    """One run of ``depthcore estimate`` on the scene's picture; :meth:`step` is True once the result is loaded."""

    def __init__(self, context: bpy.types.Context) -> None:
        self.scene = context.scene
        s = self.scene.depthcore
        python = estimator_python(context)
        folder = s.estimate_model_folder.strip()
        self.model = bpy.path.abspath(folder).rstrip("/\\") if folder else s.estimate_model.strip()
        if not self.model:
            raise UserError("choose a model name or a local weights folder")
        self.label = Path(self.model).name if folder else self.model
        self.estimate: results.Estimate | None = None
        self.tmp = Path(tempfile.mkdtemp(prefix="depthcore_estimate_"))
        try:
            png, self.source = results.render_color_png(self.scene, self.tmp / "estimate.png")
            request = EstimateRequest(
                image=png, model=self.model, out_dir=self.tmp / "out",
                weights_dir=bpy.path.abspath(addon_preferences(context).weights_dir),
                device=s.estimate_device, fp32=bool(s.estimate_fp32), resolution=int(s.estimate_resolution),
                input_size=int(s.estimate_input_size),
            )
            request.out_dir.mkdir()
            self.process = EstimateProcess(python, request)
        except BaseException:
            self.cleanup()
            raise

    def step(self) -> bool:
        """Read progress; when the process has ended load its EXR (True) or raise its one-line error."""
        code = self.process.poll()
        if code is None:
            return False
        if code != 0:
            raise UserError(self.process.failure(code))
        exr = next((p for p in self.process.outputs if p.name.endswith(".depth.exr")), None)
        if exr is None or not exr.is_file():
            raise UserError("the estimator finished without writing a depth EXR")
        self.estimate = results.load_estimate(self.scene, exr, self.label, self.source)
        return True

    def status(self) -> str:
        p = self.process
        return f"Estimating depth with {self.label}: {p.stage()} ({p.fraction():.0%}), Esc to cancel"

    def cancel(self) -> None:
        self.process.kill()
        self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


class DEPTHCORE_OT_estimate_depth(bpy.types.Operator):
    """Estimate depth for the last render's colour (or the chosen image) with a monocular model, in the Python
    set in the preferences; the result is normalised with the span plan. Esc cancels"""

    bl_idname = "depthcore.estimate_depth"
    bl_label = "Estimate Depth"
    bl_options = {"REGISTER"}

    _job: EstimateJob | None = None
    _timer = None

    def _start(self, context) -> bool:
        try:
            self._job = EstimateJob(context)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return False
        return True

    def _step(self) -> set[str] | None:
        """The operator's result once the job has ended, else None."""
        job = self._job
        try:
            if not job.step():
                return None
        except UserError as exc:
            job.cancel()
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except BaseException:
            job.cancel()
            raise
        job.cleanup()
        self.report({"INFO"}, f"{results.ESTIMATED_NORMALISED_IMAGE}: {job.estimate.summary()}")
        return {"FINISHED"}

    def execute(self, context):
        """Headless / scripted: wait for the process in one call."""
        if not self._start(context):
            return {"CANCELLED"}
        while (outcome := self._step()) is None:
            time.sleep(0.05)
        return outcome

    def invoke(self, context, event):
        if not self._start(context):
            return {"CANCELLED"}
        modal_progress.begin(self, context, 0.1, 100)
        self._status(context)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self._job.cancel()
            self._end(context)
            self.report({"WARNING"}, "Depth estimate cancelled")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            outcome = self._step()
        except BaseException:
            self._end(context)
            raise
        if outcome is None:
            context.window_manager.progress_update(int(100 * self._job.process.fraction()))
            self._status(context)
            return {"RUNNING_MODAL"}
        self._end(context)
        return outcome

    def _status(self, context) -> None:
        modal_progress.status(context, self._job.status())

    def _end(self, context) -> None:
        modal_progress.end(self, context)


class DEPTHCORE_OT_estimate_normalise(bpy.types.Operator):
    """Normalise the last estimate again with the current span plan and options"""

    bl_idname = "depthcore.estimate_normalise"
    bl_label = "Normalise Estimate"
    bl_options = {"REGISTER"}

    def execute(self, context):
        scene = context.scene
        est = results.get_estimate(scene)
        if est is None:
            self.report({"ERROR"}, "nothing estimated yet: press Estimate Depth first")
            return {"CANCELLED"}
        try:
            results.estimate_depth_for_plan(scene, est)
            results.show_estimate(scene, est)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"{results.ESTIMATED_NORMALISED_IMAGE}: {est.summary()}")
        return {"FINISHED"}


classes = (DEPTHCORE_OT_estimate_depth, DEPTHCORE_OT_estimate_normalise)
