"""The "Depth" tab of the 3D viewport sidebar: a main panel and one subpanel per task."""

from __future__ import annotations

import bpy

from .. import images, preferences, results


class DepthPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Depth"


class DEPTHCORE_PT_main(DepthPanel, bpy.types.Panel):
    """Depth maps for ControlNet and datasets."""

    bl_label = "Depth"

    def draw(self, context):
        layout = self.layout
        last = results.get(context.scene)
        if last is None:
            layout.label(text="No depth rendered yet", icon="INFO")
        else:
            layout.label(text=last.summary(), icon="CHECKMARK")


class DEPTHCORE_PT_render(DepthPanel, bpy.types.Panel):
    bl_label = "Render"
    bl_parent_id = "DEPTHCORE_PT_main"

    def draw(self, context):
        layout = self.layout
        scene = context.scene
        s = scene.depthcore
        layout.use_property_split = True
        layout.prop(s, "engine")
        layout.prop(s, "samples")
        layout.prop(s, "distance_from")
        r = scene.render
        pct = r.resolution_percentage
        layout.label(text=f"Resolution {r.resolution_x * pct // 100} x {r.resolution_y * pct // 100} (scene)")
        layout.prop(s, "output_dir")
        col = layout.column(align=True)
        col.operator("depthcore.render_depth", icon="RENDER_STILL")
        col.operator("depthcore.render_depth_animation", icon="RENDER_ANIMATION")


class DEPTHCORE_PT_backplane(DepthPanel, bpy.types.Panel):
    bl_label = "Backplane"
    bl_parent_id = "DEPTHCORE_PT_main"

    def draw_header(self, context):
        self.layout.prop(context.scene.depthcore, "use_backplane", text="")

    def draw(self, context):
        layout = self.layout
        s = context.scene.depthcore
        layout.use_property_split = True
        layout.active = s.use_backplane
        layout.prop(s, "backplane_auto")
        row = layout.row()
        row.enabled = not s.backplane_auto
        row.prop(s, "backplane_depth")
        layout.prop(s, "backplane_margin")
        shown = results.backplane_preview(context.scene) is not None
        layout.operator(
            "depthcore.backplane_preview", text="Hide Preview" if shown else "Show Preview",
            icon="HIDE_OFF" if shown else "HIDE_ON", depress=shown,
        )


class DEPTHCORE_PT_normalise(DepthPanel, bpy.types.Panel):
    bl_label = "Normalise"
    bl_parent_id = "DEPTHCORE_PT_main"

    def draw(self, context):
        layout = self.layout
        s = context.scene.depthcore
        row = layout.row()
        row.template_list("DEPTHCORE_UL_spans", "", s, "spans", s, "span_index", rows=4)
        col = row.column(align=True)
        col.operator("depthcore.span_add_split", icon="ADD", text="")
        col.operator("depthcore.span_remove", icon="REMOVE", text="")
        col.separator()
        col.operator("depthcore.plan_load", icon="FILEBROWSER", text="")
        col.operator("depthcore.plan_save", icon="FILE_TICK", text="")

        layout.prop(s, "plan_auto")
        total = sum(span.levels for span in s.spans)
        row = layout.row()
        row.alert = total > s.plan_budget
        row.label(
            text=f"{total} of {s.plan_budget} levels" + (" (over-allocated)" if total > s.plan_budget else ""),
            icon="ERROR" if total > s.plan_budget else "NONE",
        )
        row = layout.row(align=True)
        row.prop(s, "split_depth")
        row.operator("depthcore.span_add_split", text="Split").depth = s.split_depth
        row = layout.row(align=True)
        row.prop(s, "allocate_levels")
        row.operator("depthcore.span_allocate", text="Allocate").levels = s.allocate_levels

        col = layout.column()
        col.use_property_split = True
        row = col.row(heading="Cutoff")
        row.prop(s, "use_cutoff", text="")
        sub = row.row()
        sub.active = s.use_cutoff
        sub.prop(s, "cutoff", text="")
        row = col.row(heading="Near Clip")
        row.prop(s, "use_near_clip", text="")
        sub = row.row()
        sub.active = s.use_near_clip
        sub.prop(s, "near_clip", text="")
        col.prop(s, "compression")
        col.prop(s, "curve")
        if s.curve == "gamma":
            col.prop(s, "gamma")
        col.prop(s, "bits", expand=True)
        col.prop(s, "invert")
        col.prop(s, "write_mask", text="Mask")
        row = col.row(heading="Noise")
        row.prop(s, "noise", text="")
        sub = row.row()
        sub.active = s.noise
        sub.prop(s, "seed")
        col.prop(s, "global_range")
        layout.operator("depthcore.apply_normalise", icon="CHECKMARK")

        box = layout.box()
        box.label(text="Object-Aware Levels", icon="OBJECT_DATA")
        box.prop(s, "selection_collection")
        row = box.row(align=True)
        row.prop(s, "selection_levels")
        row.operator("depthcore.selection_levels", text="Give Selection Levels").levels = s.selection_levels


class DEPTHCORE_PT_histogram(DepthPanel, bpy.types.Panel):
    bl_label = "Histogram"
    bl_parent_id = "DEPTHCORE_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        img = images.find(results.HISTOGRAM_IMAGE)
        if img is None:
            self.layout.label(text="Render depth to see its histogram")
            return
        img.preview_ensure()
        self.layout.template_icon(icon_value=img.preview.icon_id, scale=10.0)


class DEPTHCORE_PT_output(DepthPanel, bpy.types.Panel):
    bl_label = "Output"
    bl_parent_id = "DEPTHCORE_PT_main"

    def draw(self, context):
        layout = self.layout
        s = context.scene.depthcore
        col = layout.column(heading="Write", align=True)
        col.use_property_split = True
        for name in ("write_depth_exr", "write_distance_exr", "write_png", "write_mask", "write_plan",
                     "write_intrinsics"):
            col.prop(s, name)
        layout.operator("depthcore.save_outputs", icon="FILE_TICK")


class DEPTHCORE_PT_estimate(DepthPanel, bpy.types.Panel):
    bl_label = "Estimate"
    bl_parent_id = "DEPTHCORE_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        scene = context.scene
        s = scene.depthcore
        addon = context.preferences.addons.get(preferences.DEPTHCORE_AP_preferences.bl_idname)
        if addon is not None and not addon.preferences.estimator_python.strip():
            box = layout.box()
            box.alert = True
            box.label(text="Set the Estimator Python in the add-on preferences", icon="ERROR")
        col = layout.column()
        col.use_property_split = True
        col.prop(s, "estimate_source")
        if s.estimate_source == "RENDER":
            col.prop(s, "estimate_keep_color")
            last = results.get(scene)
            if last is not None and last.result.color is None:
                col.label(text="Last render has no colour: render again", icon="INFO")
        col.prop(s, "estimate_image")
        col.prop(s, "estimate_model")
        col.prop(s, "estimate_model_folder")
        col.prop(s, "estimate_device")
        col.prop(s, "estimate_fp32")
        col.prop(s, "estimate_resolution")
        col.prop(s, "estimate_input_size")
        col.prop(s, "estimate_align")
        row = layout.row(align=True)
        row.operator("depthcore.estimate_depth", icon="IMAGE_ZDEPTH")
        row.operator("depthcore.estimate_normalise", icon="FILE_REFRESH", text="")
        est = results.get_estimate(scene)
        if est is None:
            return
        layout.label(text=est.summary(), icon="CHECKMARK")
        layout.operator("depthcore.compare_with_render", icon="ORIENTATION_VIEW")
        if est.metrics is not None:
            box = layout.box()
            m = est.metrics
            box.label(text=f"AbsRel {m['abs_rel']:.4f}")
            box.label(text=f"delta1 {m['delta1']:.4f}")
            box.label(text=f"RMSE {m['rmse']:.4f}")
            box.label(text=f"align {m['align']} ({m.get('space', '')}), {m.get('pixels', 0)} px")


classes = (
    DEPTHCORE_PT_main,
    DEPTHCORE_PT_render,
    DEPTHCORE_PT_backplane,
    DEPTHCORE_PT_normalise,
    DEPTHCORE_PT_histogram,
    DEPTHCORE_PT_output,
    DEPTHCORE_PT_estimate,
)
