"""Compare the last estimate with the rendered depth: ``depthcore eval`` in the estimator Python."""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

import bpy

from depthcore.atomic import atomic_write_bytes
from depthcore.errors import UserError

from .. import results
from ..estimate_process import run_eval
from .estimate_depth import estimator_python


def metrics_line(metrics: dict) -> str:
    """AbsRel / delta1 / RMSE as the panel shows them."""
    return (f"AbsRel {metrics['abs_rel']:.4f}  delta1 {metrics['delta1']:.4f}  RMSE {metrics['rmse']:.4f} "
            f"(align {metrics['align']})")


class DEPTHCORE_OT_compare_with_render(bpy.types.Operator):
    """Accuracy of the last estimate against the last render's depth (AbsRel, delta1, RMSE) with depthcore eval"""

    bl_idname = "depthcore.compare_with_render"
    bl_label = "Compare with Render"
    bl_options = {"REGISTER"}

    def execute(self, context):
        scene = context.scene
        est = results.get_estimate(scene)
        tmp = Path(tempfile.mkdtemp(prefix="depthcore_eval_"))
        try:
            if est is None:
                raise UserError("nothing estimated yet: press Estimate Depth first")
            python = estimator_python(context)
            gt = results.rendered_depth_exr(scene, tmp / "rendered.depth.exr")
            pred = tmp / est.exr_name
            atomic_write_bytes(pred, est.exr_bytes)
            metrics = run_eval(python, pred, gt, scene.depthcore.estimate_align)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        est.metrics = metrics
        finite = all(math.isfinite(float(metrics[k])) for k in ("abs_rel", "delta1", "rmse"))
        self.report({"INFO"} if finite else {"WARNING"}, metrics_line(metrics))
        for area in context.screen.areas if context.screen is not None else ():
            if area.type == "VIEW_3D":
                area.tag_redraw()
        return {"FINISHED"}


classes = (DEPTHCORE_OT_compare_with_render,)
