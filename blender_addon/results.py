"""The add-on's session state: the last render per scene, normalising it, showing and writing results.

Operators stay thin: they gather inputs and call these functions, which call :mod:`depthcore` (span plan,
normaliser, I/O) and the render core. Float arrays of the last render stay in memory here, keyed by scene;
they are shown as Blender images and written to the output folder when the user asks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np

from depthcore.camera import write_camera_json
from depthcore.errors import UserError
from depthcore.histogram import histogram_png
from depthcore.io import read_png, write_exr, write_png
from depthcore.normalise import NormaliseOptions, NormaliseResult, normalise, options_for_file
from depthcore.plan import PlanError, SpanPlan

from . import images
from .properties import plan_from_settings, plan_to_settings
from .render import FrameResult, RenderOptions

NORMALISED_IMAGE = "Depth Normalised"
DEPTH_IMAGE = "Depth"
DISTANCE_IMAGE = "Distance"
MASK_IMAGE = "Depth Mask"
HISTOGRAM_IMAGE = "Depth Histogram"
RESULT_IMAGES = (NORMALISED_IMAGE, DEPTH_IMAGE, DISTANCE_IMAGE, MASK_IMAGE, HISTOGRAM_IMAGE)
PREVIEW_NAME = "Depthcore Backplane Preview"


@dataclass
class LastRender:
    """One scene's last rendered frame and what was made from it."""

    result: FrameResult
    normalised: NormaliseResult | None = None  # depthcore NormaliseResult of the last Apply
    value_range: tuple[float, float] | None = None  # global range over an animation, when one was used
    written: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        r = self.result
        h, w = r.depth.shape
        fg = int((~r.background).sum())
        bp = f", backplane {r.backplane_depth:.4g}" if r.backplane_depth is not None else ""
        return f"Frame {r.frame}: {w}x{h}, {fg} surface px{bp}"


_LAST: dict[str, LastRender] = {}


def get(scene: bpy.types.Scene) -> LastRender | None:
    return _LAST.get(scene.name_full)


def store(scene: bpy.types.Scene, result: FrameResult) -> LastRender:
    last = LastRender(result)
    _LAST[scene.name_full] = last
    return last


def clear() -> None:
    _LAST.clear()
    _ESTIMATES.clear()


@bpy.app.handlers.persistent
def clear_on_load(_dummy: object = None) -> None:
    """A newly loaded .blend has other scenes: forget the last renders (load_post handler)."""
    clear()


# -- settings -> depthcore inputs --------------------------------------------------------------------------
def render_options(scene: bpy.types.Scene, *, object_index: bool = True) -> RenderOptions:
    """The render core's options from the panel."""
    s = scene.depthcore
    outputs = {"depth", "distance"}
    if object_index:
        outputs.add("object_index")
    if s.estimate_keep_color:
        outputs.add("color")  # kept for the Estimate subpanel
    backplane: float | str | None = None
    if s.use_backplane:
        backplane = "auto" if s.backplane_auto else float(s.backplane_depth)
    engine = scene.render.engine if s.engine == "SCENE" else "CYCLES"
    return RenderOptions(
        engine=engine, samples=int(s.samples), outputs=frozenset(outputs), distance_from=s.distance_from,
        backplane=backplane, backplane_margin=float(s.backplane_margin),
    )


def normalise_options(
    scene: bpy.types.Scene, backplane: float | None, value_range: tuple[float, float] | None = None
) -> NormaliseOptions:
    """depthcore's NormaliseOptions from the panel (the same options the CLI takes)."""
    s = scene.depthcore
    return NormaliseOptions(
        bits=int(s.bits),
        invert=bool(s.invert),
        curve=s.curve,
        gamma=float(s.gamma),
        far_clip=float(s.cutoff) if s.use_cutoff else None,
        near_clip=float(s.near_clip) if s.use_near_clip else None,
        range=value_range,
        compression=bool(s.compression),
        noise=bool(s.noise),
        seed=int(s.seed),
        backplane=backplane,
    )


def current_plan(scene: bpy.types.Scene) -> SpanPlan:
    """The scene's plan (the automatic one is stored after each render, so it can be edited)."""
    plan = plan_from_settings(scene.depthcore)
    if plan is None:
        raise UserError("no span plan yet: render depth or load a plan first")
    return plan


# -- normalising and showing ---------------------------------------------------------------------------------
def normalise_last(scene: bpy.types.Scene, last: LastRender | None = None) -> NormaliseResult:
    """Normalise the last render with the panel's plan and options; show the grey map and histogram."""
    last = last or get(scene)
    if last is None:
        raise UserError("nothing rendered yet: press Render Depth first")
    r = last.result
    s = scene.depthcore
    auto = s.plan_auto or not len(s.spans)
    options = normalise_options(scene, r.backplane_depth, last.value_range)
    res = normalise(r.depth, options, plan=None if auto else plan_from_settings(s))
    last.normalised = res
    if auto:
        plan_to_settings(res.plan, s)  # the automatic plan is shown and becomes editable
        s.plan_auto = True
    images.put_grey(NORMALISED_IMAGE, res.grey)
    images.put_grey(MASK_IMAGE, np.where(res.background, 0, 255).astype(np.uint8))
    show_histogram(scene, last)
    return res


def show_histogram(scene: bpy.types.Scene, last: LastRender) -> None:
    """Draw depthcore's histogram plot (foreground depths, span boundaries) into the histogram image."""
    plan = last.normalised.plan if last.normalised is not None else plan_from_settings(scene.depthcore)
    if plan is None:
        return
    r = last.result
    with tempfile.TemporaryDirectory(prefix="depthcore_hist_") as tmp:
        path = histogram_png(r.depth, plan, Path(tmp) / "histogram.png", background=r.background,
                             size=(600, 280), units=r.units)
        rgb = read_png(path)
    rgba = np.ones((*rgb.shape[:2], 4), np.float32)
    rgba[..., :3] = rgb[..., :3] / np.float32(255.0)
    images.put_rgba(HISTOGRAM_IMAGE, rgba, float_buffer=False)


def show_frame(last: LastRender) -> None:
    """Depth and distance as float images (the Image Editor shows the numbers)."""
    r = last.result
    images.put_values(DEPTH_IMAGE, np.where(r.background, 0.0, r.depth))
    if r.distance is not None:
        images.put_values(DISTANCE_IMAGE, np.where(r.background, 0.0, r.distance))


def refresh(scene: bpy.types.Scene) -> str | None:
    """Re-normalise after a plan/option edit when a render is there; return an error message or None."""
    if get(scene) is None:
        return None
    try:
        normalise_last(scene)
        if (est := get_estimate(scene)) is not None:
            normalise_estimate(scene, est)  # the estimate follows the same plan
    except (UserError, PlanError, ValueError) as exc:
        return str(exc)
    return None


def edit_plan(
    op: bpy.types.Operator, context: bpy.types.Context, edit: Callable[[SpanPlan], object], refresh_after=True
) -> set[str]:
    """Apply ``edit`` to the scene's plan (all or nothing), store it, re-normalise; the operator's result."""
    scene = context.scene
    try:
        plan = current_plan(scene)
        edit(plan)
        plan.validate()
    except (UserError, PlanError) as exc:
        op.report({"ERROR"}, str(exc))
        return {"CANCELLED"}
    plan_to_settings(plan, scene.depthcore)
    scene.depthcore.plan_auto = False
    if refresh_after and (error := refresh(scene)):
        op.report({"WARNING"}, error)
    return {"FINISHED"}


# -- files ---------------------------------------------------------------------------------------------------
def output_folder(scene: bpy.types.Scene) -> Path:
    """The output folder as an absolute path (created if missing)."""
    raw = scene.depthcore.output_dir.strip()
    if not raw:
        raise UserError("no output folder set")
    if raw.startswith("//") and not bpy.data.filepath:
        raise UserError("save the .blend file first or choose an absolute output folder", raw)
    folder = Path(bpy.path.abspath(raw))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output folder ({exc.strerror})", folder) from exc
    return folder


def output_stem(scene: bpy.types.Scene, frame: int) -> str:
    return f"{bpy.path.clean_name(scene.name)}_{frame:04d}"


def wants_files(scene: bpy.types.Scene) -> bool:
    s = scene.depthcore
    return any((s.write_depth_exr, s.write_distance_exr, s.write_png, s.write_mask, s.write_plan,
                s.write_intrinsics))


def write_outputs(scene: bpy.types.Scene, last: LastRender) -> list[Path]:
    """Write the files the Output panel asks for; return their paths."""
    s = scene.depthcore
    r = last.result
    folder = output_folder(scene)
    stem = output_stem(scene, r.frame)
    meta = r.meta()
    written: list[Path] = []
    if s.write_depth_exr:
        written.append(write_exr(folder / f"{stem}.depth.exr", {"depth": r.depth}, {**meta, "kind": "depth"}))
    if s.write_distance_exr and r.distance is not None:
        written.append(
            write_exr(folder / f"{stem}.distance.exr", {"distance": r.distance}, {**meta, "kind": "distance"})
        )
    res = last.normalised
    if res is not None:
        png_meta = {"kind": "depth", "units": r.units, "frame": r.frame, "near": "white"}
        if s.write_png:
            written.append(write_png(folder / f"{stem}.depth.png", res.grey, png_meta))
        if s.write_mask:
            written.append(write_png(folder / f"{stem}.mask.png", np.where(res.background, 0, 255).astype(np.uint8)))
    if s.write_plan:
        written.append(current_plan(scene).save(folder / f"{stem}.plan.json"))
    if s.write_intrinsics:
        path = folder / f"{stem}.camera.json"
        write_camera_json(path, r.intrinsics, r.pose, units=r.units)
        written.append(path)
    last.written = written
    return written


# -- backplane preview ---------------------------------------------------------------------------------------
PREVIEW_MARKER = "depthcore_backplane_preview"


def _preview_object() -> bpy.types.Object | None:
    return next((ob for ob in bpy.data.objects if ob.get(PREVIEW_MARKER)), None)


def backplane_preview(scene: bpy.types.Scene) -> bpy.types.Object | None:
    ob = _preview_object()
    return ob if ob is not None and scene.objects.get(ob.name) is not None else None


def add_backplane_preview(scene: bpy.types.Scene) -> bpy.types.Object:
    """Show where the backplane goes: a wireframe plane parented to the camera that never renders."""
    from .render import active_camera, camera_pose, scene_intrinsics
    from .render import backplane as bp
    from .render.scene_state import SceneState

    remove_backplane_preview()
    s = scene.depthcore
    camera = active_camera(scene)
    pose, K = camera_pose(camera), scene_intrinsics(scene, camera)
    wanted = "auto" if s.backplane_auto else float(s.backplane_depth)
    depth = bp.resolve_depth(scene, scene.view_layers[0], camera, pose, K, wanted)
    ob = bp.add_backplane(SceneState(scene), scene, camera, pose, K, depth, float(s.backplane_margin))
    ob.name = ob.data.name = ob.data.materials[0].name = PREVIEW_NAME
    ob[PREVIEW_MARKER] = True
    ob.hide_render = True
    ob.hide_select = True
    ob.display_type = "WIRE"
    return ob


def remove_backplane_preview() -> None:
    ob = _preview_object()
    if ob is None:
        return
    mesh = ob.data
    mats = [m for m in mesh.materials if m is not None]
    bpy.data.objects.remove(ob, do_unlink=True)
    if mesh.users == 0:
        bpy.data.meshes.remove(mesh)
    for mat in mats:
        if mat.users == 0:
            bpy.data.materials.remove(mat)



# -- object-aware levels -------------------------------------------------------------------------------------
def selection_depth_range(result: FrameResult, names: set[str]) -> tuple[float, float]:
    """Nearest and farthest depth of the named objects' pixels in a render (object-index pass)."""
    if result.object_index is None:
        raise UserError("the last render has no object index pass: render depth again")
    ids = [i for i, name in result.object_names.items() if name in names]
    hit = np.isin(result.object_index, ids) & ~result.background
    if not ids or not hit.any():
        raise UserError("the selected objects cover no pixels in the last render")
    d = result.depth[hit]
    return float(d.min()), float(d.max())


# -- monocular estimate (Estimate subpanel) ----------------------------------------------------------------
ESTIMATED_IMAGE = "Depth Estimated"
ESTIMATED_NORMALISED_IMAGE = "Depth Estimated Normalised"
ESTIMATE_IMAGES = (ESTIMATED_IMAGE, ESTIMATED_NORMALISED_IMAGE)


@dataclass
class Estimate:
    """One scene's last monocular estimate, kept in memory like the last render.

    ``values`` are the estimator's raw output (``kind`` "depth" or "disparity", ``units`` "m" or "relative").
    ``depth`` is what the span plan normalises: planar depth in scene units, either the metric estimate itself
    or a relative one aligned to the last render's depth (``alignment`` = (mode, scale, shift, space)); None when
    neither is possible (the estimate is then normalised over its own range).
    """

    values: np.ndarray
    kind: str
    units: str
    model: str
    source: str
    exr_bytes: bytes  # the estimator's own EXR, kept to hand it to `depthcore eval` unchanged
    exr_name: str = "estimate.depth.exr"
    depth: np.ndarray | None = None
    alignment: tuple[str, float, float, str] | None = None
    normalised: NormaliseResult | None = None
    metrics: dict | None = None  # `depthcore eval --json` of the last Compare with Render

    def summary(self) -> str:
        h, w = self.values.shape
        how = "own range" if self.depth is None else ("metric" if self.alignment is None else "aligned to render")
        return f"{self.model}: {w}x{h} {self.kind} ({self.units}), {how}"


_ESTIMATES: dict[str, Estimate] = {}


def get_estimate(scene: bpy.types.Scene) -> Estimate | None:
    return _ESTIMATES.get(scene.name_full)


def clear_estimates() -> None:
    _ESTIMATES.clear()


def render_color_png(scene: bpy.types.Scene, dest: Path) -> tuple[Path, str]:
    """Write the picture to estimate as an 8-bit sRGB PNG: the last render's colour, else the chosen image."""
    s = scene.depthcore
    last = get(scene)
    if s.estimate_source == "RENDER" and last is not None:
        if last.result.color is None:
            raise UserError("the last render kept no colour: tick 'Keep Colour' under Estimate and render depth "
                            "again, or estimate an image")
        write_png(dest, np.ascontiguousarray(last.result.color[..., :3]))
        return dest, "render"
    img = s.estimate_image
    if img is None:
        raise UserError("nothing to estimate: render depth (with 'Keep Colour') or choose an image")
    w, h = img.size
    if w == 0 or h == 0:
        raise UserError(f"image '{img.name}' has no pixels", bpy.path.abspath(img.filepath) or None)
    rgba = images.read_rgba(img)
    if img.is_float:
        from .render.passes import linear_to_srgb8

        rgb = linear_to_srgb8(rgba[..., :3])
    else:
        rgb = np.round(np.clip(rgba[..., :3], 0.0, 1.0) * 255.0).astype(np.uint8)
    write_png(dest, np.ascontiguousarray(rgb))
    return dest, img.name


def load_estimate(scene: bpy.types.Scene, exr: Path, model: str, source: str) -> Estimate:
    """Read the estimator's EXR, align it to the last render when useful, normalise and show it."""
    from depthcore.io import read_depth

    image = read_depth(exr)
    kind = "disparity" if image.kind == "disparity" or image.channel == "disparity" else "depth"
    est = Estimate(values=np.asarray(image.values, np.float32), kind=kind, units=str(image.units), model=model,
                   source=source, exr_bytes=exr.read_bytes(), exr_name=exr.name)
    estimate_depth_for_plan(scene, est)
    _ESTIMATES[scene.name_full] = est
    show_estimate(scene, est)
    return est


def show_estimate(scene: bpy.types.Scene, est: Estimate) -> NormaliseResult:
    """The values the plan sees as a float image (scene-unit depth, or the raw estimate) and the grey map."""
    images.put_values(ESTIMATED_IMAGE, est.depth if est.depth is not None else est.values)
    return normalise_estimate(scene, est)


def estimate_depth_for_plan(scene: bpy.types.Scene, est: Estimate) -> None:
    """Give ``est`` a planar depth in scene units when the span plan can apply to it.

    A relative estimate of the render is aligned to the rendered depth (foreground pixels, the panel's
    alignment, in disparity space for disparity) with depthcore's own ``align_prediction``; a metric estimate
    is used as it is when alignment is off or no render of the same size is there.
    """
    from depthcore.eval import align_prediction

    s = scene.depthcore
    last = get(scene)
    metric = est.kind == "depth" and est.units not in ("relative", "unknown")
    est.depth, est.alignment = None, None
    if last is not None and s.estimate_align != "none" and last.result.depth.shape == est.values.shape:
        r = last.result
        mask = ~r.background & np.isfinite(r.depth) & np.isfinite(est.values)
        if mask.any():
            depth, scale, shift, space = align_prediction(est.values, r.depth, mask, est.kind, s.estimate_align)
            est.depth = depth.astype(np.float32)
            est.alignment = (s.estimate_align, float(scale), float(shift), space)
            return
    if metric:
        est.depth = est.values


def normalise_estimate(scene: bpy.types.Scene, est: Estimate | None = None) -> NormaliseResult:
    """Normalise the estimate with the panel's span plan and options (exactly as ``depthcore normalise``).

    Depth in scene units gets the scene's plan (the one shown in the panel, automatic or edited); an estimate
    without scene units gets an automatic plan over its own range, inverted for disparity so near stays white.
    """
    est = est or get_estimate(scene)
    if est is None:
        raise UserError("nothing estimated yet: press Estimate Depth first")
    s = scene.depthcore
    options = normalise_options(scene, None)
    if est.depth is not None:
        res = normalise(est.depth, options, plan=plan_from_settings(s))
    else:
        res = normalise(est.values, options_for_file(options, est.kind, {}), plan=None)
    est.normalised = res
    images.put_grey(ESTIMATED_NORMALISED_IMAGE, res.grey)
    return res


def rendered_depth_exr(scene: bpy.types.Scene, dest: Path) -> Path:
    """The last render's planar depth as an EXR for ``depthcore eval`` (background and backplane = inf)."""
    last = get(scene)
    if last is None:
        raise UserError("nothing rendered yet: press Render Depth first")
    r = last.result
    depth = np.where(r.background, np.inf, r.depth).astype(np.float32)
    return write_exr(dest, {"Z": depth}, {**r.meta(), "kind": "depth"})
