"""Render one frame's depth data: :class:`RenderOptions` in, :class:`FrameResult` out, scene untouched."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import bpy
import numpy as np

from depthcore.atomic import atomic_path
from depthcore.background import background_mask
from depthcore.camera import Intrinsics, camera_record, depth_to_distance
from depthcore.errors import UserError

from .. import compat
from . import backplane as bp
from . import passes
from .camera_data import active_camera, camera_pose, scene_intrinsics, unit_label
from .scene_state import SceneState, preserved_scene

OUTPUTS = frozenset(compat.PASS_CHANNELS)  # depth, distance, object_index, color, normal
ENGINES = ("CYCLES",)


class RenderCancelled(Exception):
    """Blender cancelled the render (the scene has been restored)."""


@dataclass
class RenderOptions:
    """What to render. Defaults: Cycles, the scene's samples and resolution, depth + distance."""

    engine: str = "CYCLES"
    samples: int | None = None  # None: the scene's Cycles samples
    resolution: tuple[int, int] | None = None  # None: the scene's resolution x percentage
    outputs: frozenset[str] = frozenset({"depth", "distance"})
    distance_from: Literal["mist", "depth"] = "mist"  # antialiased Mist pass, or exact conversion of depth
    backplane: float | Literal["auto"] | None = None
    backplane_margin: float = 0.05  # fraction of the frame added on every side
    view_layer: str | None = None  # None: the first view layer
    tmp_dir: str | None = None  # where the temporary EXR goes (None: system temp)
    keep_exr: str | None = None  # move the raw multilayer EXR here (atomic) instead of deleting it

    def validate(self) -> None:
        if self.engine not in ENGINES:
            raise UserError(
                f"render engine {self.engine!r} is not supported (supported: {', '.join(ENGINES)})"
            )
        unknown = set(self.outputs) - OUTPUTS
        if unknown:
            raise UserError(
                f"unknown output {sorted(unknown)[0]!r} (choose from {', '.join(sorted(OUTPUTS))})"
            )
        if self.samples is not None and self.samples < 1:
            raise UserError("samples must be at least 1")
        if self.resolution is not None and min(self.resolution) < 1:
            raise UserError("resolution must be at least 1x1")
        if self.distance_from not in ("mist", "depth"):
            raise UserError(f"distance_from must be 'mist' or 'depth', not {self.distance_from!r}")
        if isinstance(self.backplane, str) and self.backplane != "auto":
            raise UserError(f"backplane must be a depth or 'auto', not {self.backplane!r}")
        if not 0.0 <= self.backplane_margin <= 10.0:
            raise UserError("backplane margin must be between 0 and 10")
        if self.tmp_dir is not None and not Path(self.tmp_dir).is_dir():
            raise UserError("temporary folder does not exist", self.tmp_dir)


@dataclass
class FrameResult:
    """One rendered frame. Arrays are HxW (row 0 = image top); background depth/distance is +inf.

    ``background`` is True where the camera ray hit nothing or hit the backplane (at or beyond
    ``backplane_depth``); depth keeps the backplane's finite depth there so the data stays as rendered.
    ``distance`` is antialiased (Mist, filtered over the pixel footprint) when ``distance_from="mist"``:
    silhouette pixels blend object and backplane distances. For orthographic cameras distance == depth.
    """

    frame: int
    depth: np.ndarray  # float32 planar depth (Z pass, one sample at the pixel centre)
    background: np.ndarray  # bool
    intrinsics: Intrinsics
    pose: np.ndarray  # 4x4 float64 camera-to-world, Blender camera axes (+X right, +Y up, looks along -Z)
    units: str
    distance: np.ndarray | None = None  # float32 radial distance
    object_index: np.ndarray | None = None  # int32; 0 = background/backplane
    object_names: dict[int, str] = field(default_factory=dict)  # object_index id -> object name
    color: np.ndarray | None = None  # uint8 HxWx3 sRGB of the linear Combined pass (no view transform)
    alpha: np.ndarray | None = None  # float32 HxW Combined alpha
    normal: np.ndarray | None = None  # float32 HxWx3 world-space normals
    backplane_depth: float | None = None
    camera: str = ""
    exr_path: Path | None = None

    def object_mask(self, names: Iterable[str]) -> np.ndarray:
        """bool HxW: pixels whose first hit is one of the named objects (needs the object_index output)."""
        if self.object_index is None:
            raise UserError("render has no object index pass (add 'object_index' to the outputs)")
        wanted = set(names)
        ids = [i for i, n in self.object_names.items() if n in wanted]
        return np.isin(self.object_index, ids) & ~self.background

    def depth_range(self, names: Iterable[str]) -> tuple[float, float] | None:
        """(nearest, farthest) planar depth of the named objects' pixels; None if none are visible."""
        values = self.depth[self.object_mask(names)]
        return None if values.size == 0 else (float(values.min()), float(values.max()))

    def meta(self) -> dict[str, object]:
        """Metadata for output files (units, frame, camera, backplane, intrinsics with conventions)."""
        return {
            "units": self.units,
            "frame": self.frame,
            "camera": self.camera,
            "backplane_depth": self.backplane_depth,
            "blender": ".".join(map(str, compat.VERSION)),
            "camera_record": camera_record(self.intrinsics, self.pose, units=self.units),
        }


def render_depth_frame(
    scene: bpy.types.Scene, frame: int | None = None, options: RenderOptions | None = None
) -> FrameResult:
    """Render ``frame`` (default: current) of ``scene`` and return its depth data.

    Every setting the render needs is changed through :func:`preserved_scene` and put back afterwards,
    on success, error or KeyboardInterrupt. Raises UserError for scene/option mistakes and
    RenderCancelled when Blender cancels the render.
    """
    options = options or RenderOptions()
    options.validate()
    outputs = set(options.outputs) | {"depth"}  # Z is always needed: background mask and backplane
    tmp = Path(tempfile.mkdtemp(prefix="depthcore_render_", dir=options.tmp_dir))
    try:
        with preserved_scene(scene) as state:
            return _render(scene, state, frame, options, outputs, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def render_depth_frames(
    scene: bpy.types.Scene, frames: Iterable[int], options: RenderOptions | None = None
) -> Iterator[FrameResult]:
    """Render each frame in turn; each frame restores the scene before the next one starts.

    Stopping the iteration (a cancel) leaves the scene as it was: no frame is half set up between yields.
    """
    for f in frames:
        yield render_depth_frame(scene, f, options)


def _view_layer(scene: bpy.types.Scene, name: str | None) -> bpy.types.ViewLayer:
    if name is None:
        return scene.view_layers[0]
    layer = scene.view_layers.get(name)
    if layer is None:
        have = ", ".join(v.name for v in scene.view_layers)
        raise UserError(f"scene {scene.name!r} has no view layer {name!r} (view layers: {have})")
    return layer


def _number_objects(state: SceneState, scene: bpy.types.Scene) -> dict[int, str]:
    """Give every object that can render a unique pass_index (restored later); id -> name.

    Call before the backplane exists: it keeps pass_index 0, like the world background.
    """
    objs = {o for o in scene.objects if o.type in bp.GEOMETRY_TYPES}
    for o in list(scene.objects):
        if o.instance_type == "COLLECTION" and o.instance_collection is not None:
            objs |= {x for x in o.instance_collection.all_objects if x.type in bp.GEOMETRY_TYPES}
    names: dict[int, str] = {}
    for i, ob in enumerate(sorted(objs, key=lambda o: o.name_full), start=1):
        state.set(ob, "pass_index", i)
        names[i] = ob.name_full
    if len(names) > 32767:
        raise UserError("more than 32767 objects: object index pass cannot number them")
    return names


def _render(
    scene: bpy.types.Scene,
    state: SceneState,
    frame: int | None,
    options: RenderOptions,
    outputs: set[str],
    tmp: Path,
) -> FrameResult:
    if frame is not None:
        state.set_frame(frame)
    camera = active_camera(scene)
    compat.check_render_support(scene)
    layer = _view_layer(scene, options.view_layer)
    state.set(scene.render, "engine", options.engine)
    if options.resolution is not None:
        state.set(scene.render, "resolution_x", int(options.resolution[0]))
        state.set(scene.render, "resolution_y", int(options.resolution[1]))
        state.set(scene.render, "resolution_percentage", 100)
    if options.samples is not None:
        state.set(scene.cycles, "samples", int(options.samples))
    if "color" not in outputs:
        state.set(scene.cycles, "use_denoising", False)  # denoising only touches the colour pass
    if camera.data.dof.use_dof:
        state.set(camera.data.dof, "use_dof", False)  # rays from one point: depth matches the intrinsics
    K = scene_intrinsics(scene, camera)
    pose = camera_pose(camera)

    use_mist = "distance" in outputs and options.distance_from == "mist"
    render_passes = outputs - ({"distance"} if not use_mist else set())
    passes.enable_passes(state, layer, render_passes)
    names = _number_objects(state, scene) if "object_index" in outputs else {}
    backplane_depth = None
    if options.backplane is not None:
        backplane_depth = bp.resolve_depth(scene, layer, camera, pose, K, options.backplane)
        bp.add_backplane(state, scene, camera, pose, K, backplane_depth, options.backplane_margin)
    mist_depth = max(camera.data.clip_end, (backplane_depth or 0.0) * 1.01)
    if use_mist:
        passes.set_linear_mist(state, scene, mist_depth)
    exr = tmp / "passes.exr"
    passes.set_exr_output(state, scene, exr)

    result = _run_render(scene, layer)
    if "FINISHED" not in result or not exr.is_file():
        raise RenderCancelled(f"render of frame {scene.frame_current} was cancelled")
    raw = passes.read_passes(exr, layer.name, render_passes)
    res = _post_process(raw, K, backplane_depth, mist_depth, options)
    res.update(
        frame=scene.frame_current,
        intrinsics=K,
        pose=pose,
        units=unit_label(scene),
        camera=camera.name,
        backplane_depth=backplane_depth,
        object_names=names,
    )
    if options.keep_exr:
        with atomic_path(options.keep_exr) as dest:
            shutil.move(exr, dest)
        res["exr_path"] = Path(options.keep_exr)
    return FrameResult(**res)


def _run_render(scene: bpy.types.Scene, layer: bpy.types.ViewLayer) -> set[str]:
    """Blender's own still render of one view layer, written to the output path set up before."""
    return bpy.ops.render.render(write_still=True, layer=layer.name, scene=scene.name)


def _post_process(
    raw: dict[str, np.ndarray],
    K: Intrinsics,
    backplane_depth: float | None,
    mist_depth: float,
    options: RenderOptions,
) -> dict:
    """Turn raw pass arrays into FrameResult fields (vectorised, no copies beyond what dtype needs)."""
    z = raw["depth"]
    nothing = background_mask(z)  # Cycles' 1e10, inf, NaN
    depth = np.where(nothing, np.float32(np.inf), z).astype(np.float32, copy=False)
    out: dict = {"depth": depth, "background": nothing | background_mask(depth, backplane=backplane_depth)}
    if "distance" in options.outputs:
        if "distance" in raw:
            mist = raw["distance"]
            far = nothing | (mist >= passes.MIST_BACKGROUND)
            out["distance"] = np.where(far, np.float32(np.inf), mist * np.float32(mist_depth)).astype(
                np.float32
            )
        else:
            out["distance"] = depth_to_distance(depth, K)
    if "object_index" in raw:
        out["object_index"] = np.rint(np.nan_to_num(raw["object_index"])).astype(np.int32)
    if "color" in raw:
        out["color"] = passes.linear_to_srgb8(raw["color"][..., :3])
        out["alpha"] = raw["color"][..., 3].astype(np.float32, copy=False)
    if "normal" in raw:
        out["normal"] = raw["normal"].astype(np.float32, copy=False)
    return out
