"""The only module with Blender-version-specific code (4.2 LTS, 4.5 LTS, 5.0).

- Multilayer EXR output: ``file_format = "OPEN_EXR_MULTILAYER"`` up to 4.5; from 5.0 the format enum has
  no multilayer entry and ``media_type = "MULTI_LAYER_IMAGE"`` selects it (:data:`MULTILAYER_FORMAT`).
  In every version ``write_still`` then carries all enabled view-layer passes (checked on 4.2.23, 4.5.15
  and 5.0.1).
- The object index pass is channel ``IndexOB.X`` up to 4.5 and ``Object Index.X`` from 5.0.
- 4.5 added ``image_settings.linear_colorspace_settings``, reset by format changes
  (:func:`format_dependent_settings`).
- 5.0.1 cannot save multilayer EXRs with non-square pixels: :func:`check_render_support` says so.
- Compositor node tree: ``scene.node_tree`` up to 4.5, ``scene.compositing_node_group`` from 5.0.
- EEVEE's engine id: ``BLENDER_EEVEE_NEXT`` in 4.2-4.5, ``BLENDER_EEVEE`` again from 5.0.
"""

from __future__ import annotations

import bpy

from depthcore.errors import UserError

VERSION: tuple[int, int, int] = tuple(bpy.app.version)  # type: ignore[assignment]
BLENDER_5 = VERSION >= (5, 0, 0)

# Channel names Blender gives passes in a multilayer EXR ("<view layer>.<pass>.<channel>").
PASS_CHANNELS: dict[str, tuple[str, ...]] = {
    "depth": ("Depth.Z",),
    "distance": ("Mist.Z",),
    "object_index": ("Object Index.X",) if BLENDER_5 else ("IndexOB.X",),
    "color": ("Combined.R", "Combined.G", "Combined.B", "Combined.A"),
    "normal": ("Normal.X", "Normal.Y", "Normal.Z"),
}

# View-layer switches for each output (Combined is always rendered).
PASS_SWITCHES: dict[str, str | None] = {
    "depth": "use_pass_z",
    "distance": "use_pass_mist",
    "object_index": "use_pass_object_index",
    "color": None,
    "normal": "use_pass_normal",
}

# (property, value) on ImageFormatSettings, in order, that select a multilayer OpenEXR.
MULTILAYER_FORMAT: tuple[tuple[str, str], ...] = (
    (("media_type", "MULTI_LAYER_IMAGE"),) if BLENDER_5 else (("file_format", "OPEN_EXR_MULTILAYER"),)
)


def format_dependent_settings(image_settings: bpy.types.ImageFormatSettings) -> list[tuple[object, str]]:
    """(owner, property) pairs that a format change resets: record them before :data:`MULTILAYER_FORMAT`.

    4.5 added ``linear_colorspace_settings``; a factory scene holds an unset value there (read as '') that
    Blender initialises on the first format change and that cannot be set back, so it is recorded only
    when it holds a real colour space.
    """
    names = (
        "media_type",
        "file_format",
        "color_depth",
        "color_mode",
        "exr_codec",
        "use_preview",
        "color_management",
    )
    pairs: list[tuple[object, str]] = [(image_settings, n) for n in names if hasattr(image_settings, n)]
    linear = getattr(image_settings, "linear_colorspace_settings", None)
    if linear is not None and linear.name:
        pairs.append((linear, "name"))
    return pairs


def compositor_tree(scene: bpy.types.Scene) -> bpy.types.NodeTree | None:
    """The scene's compositing node tree, or None."""
    if BLENDER_5:
        return getattr(scene, "compositing_node_group", None)
    return scene.node_tree


def eevee_engine_id() -> str:
    return "BLENDER_EEVEE" if BLENDER_5 else "BLENDER_EEVEE_NEXT"


def check_render_support(scene: bpy.types.Scene) -> None:
    """Raise UserError where this Blender cannot write the passes of ``scene``."""
    version = ".".join(map(str, VERSION))
    if VERSION < (4, 2, 0):
        raise UserError(f"Blender {version} is too old: depth rendering needs 4.2 or newer")
    r = scene.render
    if BLENDER_5 and r.pixel_aspect_x != r.pixel_aspect_y:
        # 5.0.1 fails to save any multilayer EXR with non-square pixels ("Error writing render result").
        raise UserError(
            f"Blender {version} cannot save multilayer EXR renders with non-square pixels "
            f"(pixel aspect {r.pixel_aspect_x:g} x {r.pixel_aspect_y:g}); use square pixels or Blender 4.5"
        )
