"""Scene properties of the Depth panel (``scene.depthcore``) and the span-plan storage.

The span plan's single data model is :class:`depthcore.plan.SpanPlan`; the ``spans`` collection here is only
its storage inside the .blend file. :func:`plan_from_settings` / :func:`plan_to_settings` convert both ways.
"""

from __future__ import annotations

import json

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from depthcore.plan import Span, SpanPlan


def _edited_by_hand(span: bpy.types.PropertyGroup, _context: bpy.types.Context) -> None:
    """Editing a span in the list makes the plan the user's: renders no longer replace it."""
    span.id_data.depthcore.plan_auto = False


class DEPTHCORE_PG_span(bpy.types.PropertyGroup):
    """One span ``[start, end)`` of the plan; ``name`` (built in) is the span's name."""

    start: FloatProperty(name="Start", description="Nearest depth of the span (scene units)", unit="LENGTH")
    end: FloatProperty(name="End", description="Depth where the span ends, exclusive (scene units)", unit="LENGTH")
    levels: IntProperty(
        name="Levels", description="Grey levels given to this span", min=0, max=65536, update=_edited_by_hand
    )
    flags_json: StringProperty(name="Flags", description="Span flags as JSON", default="{}")


class DEPTHCORE_PG_settings(bpy.types.PropertyGroup):
    """Everything the Depth panel edits; stored per scene."""

    # -- Render ---------------------------------------------------------------------------------------
    engine: EnumProperty(
        name="Engine",
        description="Render engine for the depth passes",
        items=[
            ("CYCLES", "Cycles", "Render the passes with Cycles (CPU or GPU as the scene is set up)"),
            ("SCENE", "Scene Engine", "Use the scene's engine when it can give the Z and Mist passes"),
        ],
        default="CYCLES",
    )
    samples: IntProperty(name="Samples", description="Samples for the depth render", default=16, min=1, max=4096)
    distance_from: EnumProperty(
        name="Distance",
        description="Where the radial distance comes from",
        items=[
            ("mist", "Mist Pass", "Antialiased radial distance from the Mist pass (linear falloff from 0)"),
            ("depth", "From Depth", "Exact conversion of the Z pass with the camera's intrinsics"),
        ],
        default="mist",
    )
    output_dir: StringProperty(
        name="Output Folder", description="Where files are written", default="//depth/", subtype="DIR_PATH"
    )
    # -- Backplane ------------------------------------------------------------------------------------
    use_backplane: BoolProperty(
        name="Backplane", description="Put a plane behind everything during the depth render", default=True
    )
    backplane_auto: BoolProperty(
        name="Automatic Depth",
        description="Place the backplane just beyond the farthest object the camera sees",
        default=True,
    )
    backplane_depth: FloatProperty(
        name="Depth", description="Backplane depth from the camera plane", default=100.0, min=1e-4, unit="LENGTH"
    )
    backplane_margin: FloatProperty(
        name="Margin", description="Extra size of the backplane beyond the frame (fraction)",
        default=0.05, min=0.0, max=1.0,
    )
    # -- Normalise ------------------------------------------------------------------------------------
    spans: CollectionProperty(type=DEPTHCORE_PG_span)
    span_index: IntProperty(name="Active Span", default=0, min=0)
    plan_auto: BoolProperty(
        name="Automatic Plan",
        description="One span over each render's depth range with every level; editing the plan turns this off",
        default=True,
    )
    plan_budget: IntProperty(
        name="Budget", description="Grey levels the plan shares out (256 for 8 bits)", default=256, min=1
    )
    split_depth: FloatProperty(name="Split At", description="Depth of the new split", default=1.0, unit="LENGTH")
    allocate_levels: IntProperty(name="Levels", description="Levels for the active span", default=64, min=0)
    use_cutoff: BoolProperty(name="Cutoff", description="Treat everything beyond the cutoff as far")
    cutoff: FloatProperty(name="Cutoff", description="Depth beyond which all is far", default=10.0, unit="LENGTH")
    use_near_clip: BoolProperty(name="Near Clip", description="Treat everything nearer than this as near")
    near_clip: FloatProperty(name="Near Clip", description="Nearest depth mapped", default=0.1, unit="LENGTH")
    compression: BoolProperty(
        name="Compression", description="Give levels only to depths that occur (skip empty depth gaps)"
    )
    curve: EnumProperty(
        name="Curve",
        description="How depth maps to grey inside each span",
        items=[
            ("linear", "Linear", "Grey proportional to depth"),
            ("inverse", "Inverse", "Grey proportional to disparity (1 / depth)"),
            ("gamma", "Gamma", "Grey proportional to a power of the position in the span"),
        ],
        default="linear",
    )
    gamma: FloatProperty(name="Gamma", description="Exponent of the gamma curve", default=1.0, min=0.01)
    bits: EnumProperty(
        name="Bits", items=[("8", "8-bit", "256 grey levels"), ("16", "16-bit", "65536 grey levels")], default="8"
    )
    invert: BoolProperty(name="Invert", description="Near = black instead of white")
    noise: BoolProperty(name="Noise", description="Fill the background with random noise")
    seed: IntProperty(name="Seed", description="Seed of the background noise", default=0, min=0)
    global_range: BoolProperty(
        name="Global Range", description="One depth range over all frames of an animation", default=True
    )
    # -- Object-aware levels ---------------------------------------------------------------------------
    selection_levels: IntProperty(
        name="Levels", description="Grey levels given to the selection's depth range", default=64, min=1
    )
    selection_collection: PointerProperty(
        name="Collection", type=bpy.types.Collection,
        description="Use this collection's objects instead of the selection",
    )
    # -- Output ---------------------------------------------------------------------------------------
    write_depth_exr: BoolProperty(name="Depth EXR", description="Planar depth (Z pass) as EXR", default=True)
    write_distance_exr: BoolProperty(name="Distance EXR", description="Radial distance as EXR", default=False)
    write_png: BoolProperty(name="Normalised PNG", description="The ControlNet grey map", default=True)
    write_mask: BoolProperty(name="Mask", description="Foreground mask PNG (white = surface)", default=False)
    write_plan: BoolProperty(name="Plan JSON", description="The span plan used", default=False)
    write_intrinsics: BoolProperty(name="Intrinsics JSON", description="Camera K and pose", default=False)
    # -- Estimate (monocular depth in a separate Python) -------------------------------------------------
    estimate_source: EnumProperty(
        name="Source",
        description="What the estimator sees",
        items=[
            ("RENDER", "Last Render", "The colour of the last depth render (falls back to the image when none)"),
            ("IMAGE", "Image", "An image loaded in Blender"),
        ],
        default="RENDER",
    )
    estimate_keep_color: BoolProperty(
        name="Keep Colour",
        description="Render Depth also keeps the colour pass, so the estimator can see the render",
        default=False,
    )
    estimate_image: PointerProperty(name="Image", type=bpy.types.Image, description="Image to estimate depth for")
    estimate_model: StringProperty(
        name="Model",
        description="Model name (`depthcore weights list`), e.g. depth-anything-v2-small; ignored when a local "
        "folder is set",
        default="depth-anything-v2-small",
    )
    estimate_model_folder: StringProperty(
        name="Local Weights", description="A local model folder (wins over the model name)", subtype="DIR_PATH"
    )
    estimate_device: EnumProperty(
        name="Device",
        items=[
            ("auto", "Automatic", "CUDA, then MPS, then CPU"),
            ("cpu", "CPU", "Run on the CPU"),
            ("cuda", "CUDA", "Run on an NVIDIA GPU"),
            ("mps", "MPS", "Run on Apple silicon"),
        ],
        default="auto",
    )
    estimate_fp32: BoolProperty(name="FP32", description="Full precision on GPUs (fp16 is the GPU default)")
    estimate_resolution: IntProperty(
        name="Resolution", description="MiDaS detect resolution (ControlNet preprocessor)", default=512, min=64,
        max=4096,
    )
    estimate_input_size: IntProperty(
        name="Input Size", description="Model input size for Depth Anything models (0 = the model's own)",
        default=0, min=0, max=4096,
    )
    estimate_align: EnumProperty(
        name="Align",
        description="How a relative estimate is fitted to the rendered depth (for the plan and for Compare)",
        items=[
            ("scale-shift", "Scale and Shift", "Least-squares scale and shift (in disparity space for disparity)"),
            ("scale", "Scale", "Least-squares scale only"),
            ("none", "None", "Use the values as estimated (metric models)"),
        ],
        default="scale-shift",
    )


def plan_from_settings(settings: DEPTHCORE_PG_settings) -> SpanPlan | None:
    """The scene's span plan, or None when it has no spans yet (the normaliser then makes one)."""
    if not len(settings.spans):
        return None
    spans = [Span(s.start, s.end, s.levels, s.name, json.loads(s.flags_json or "{}")) for s in settings.spans]
    return SpanPlan(spans, settings.plan_budget)


def plan_to_settings(plan: SpanPlan, settings: DEPTHCORE_PG_settings) -> None:
    """Store ``plan`` in the scene's span collection (replacing what was there)."""
    settings.spans.clear()
    for span in plan.spans:
        item = settings.spans.add()
        item.start, item.end, item.levels, item.name = span.start, span.end, span.levels, span.name
        item.flags_json = json.dumps(span.flags)
    settings.plan_budget = plan.budget
    settings.span_index = min(settings.span_index, len(plan.spans) - 1)


classes = (DEPTHCORE_PG_span, DEPTHCORE_PG_settings)


def register_scene_property() -> None:
    bpy.types.Scene.depthcore = PointerProperty(type=DEPTHCORE_PG_settings)


def unregister_scene_property() -> None:
    del bpy.types.Scene.depthcore
