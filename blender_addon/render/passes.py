"""Render passes: switch them on, point the output at a multilayer EXR, read them back from that file.

Passes are always read from the written file (``depthcore.io.read_exr_channels``, one read), never from
the Viewer node or ``Render Result`` (both are empty headless).
"""

from __future__ import annotations

import os
from pathlib import Path

import bpy
import numpy as np

from depthcore.io import read_exr_channels

from .. import compat
from ..compat import PASS_CHANNELS, PASS_SWITCHES
from .scene_state import SceneState

CYCLES_BACKGROUND_Z = 1e9  # Cycles writes 1e10 where a camera ray hits nothing
MIST_BACKGROUND = 1.0 - 1e-6  # Mist pass saturates at 1 for the world background


def enable_passes(state: SceneState, view_layer: bpy.types.ViewLayer, outputs: set[str]) -> None:
    """Switch on the view-layer passes for ``outputs`` (keys of ``compat.PASS_CHANNELS``); only this view
    layer renders."""
    for other in view_layer.id_data.view_layers:
        if other != view_layer and other.use:
            state.set(other, "use", False)
    state.set(view_layer, "use", True)
    for name in outputs:
        switch = PASS_SWITCHES[name]
        if switch:
            state.set(view_layer, switch, True)


def set_linear_mist(state: SceneState, scene: bpy.types.Scene, mist_depth: float) -> None:
    """Mist = radial distance / ``mist_depth`` (linear falloff from 0). Adds a temporary world if none."""
    if scene.world is None:
        world = bpy.data.worlds.new("depthcore_tmp_world")
        world.color = (0.0, 0.0, 0.0)  # what Cycles shows with no world
        state.set(scene, "world", world)
    mist = scene.world.mist_settings
    state.set(mist, "start", 0.0)
    state.set(mist, "depth", float(mist_depth))
    state.set(mist, "falloff", "LINEAR")


def set_exr_output(state: SceneState, scene: bpy.types.Scene, path: Path) -> None:
    """Write the raw passes (no compositor, no sequencer) as a float32 lossless multilayer EXR at ``path``."""
    r = scene.render
    state.set(r, "filepath", str(path))
    state.set(r, "use_file_extension", False)
    state.set(r, "use_compositing", False)
    state.set(r, "use_sequencer", False)
    state.set(r, "use_border", False)
    state.set(r, "use_motion_blur", False)  # data passes come from one moment
    state.set(r, "use_multiview", False)  # stereo would rename the channels per view
    img = r.image_settings
    # A format change resets these: record them first so they come back after the format does.
    for owner, attr in compat.format_dependent_settings(img):
        state.remember(owner, attr)
    for attr, value in compat.MULTILAYER_FORMAT:
        state.set(img, attr, value)
    state.set(img, "color_depth", "32")
    state.set(img, "exr_codec", "ZIP")  # lossless; PXR24/DWA* would round float32 depth


def read_passes(path: str | os.PathLike[str], layer: str, outputs: set[str]) -> dict[str, np.ndarray]:
    """Read ``outputs`` from the multilayer EXR in one go: {output: float32 HxW or HxWxC}."""
    wanted = {name: [f"{layer}.{ch}" for ch in PASS_CHANNELS[name]] for name in outputs}
    channels = read_exr_channels(path, [c for names in wanted.values() for c in names])
    out: dict[str, np.ndarray] = {}
    for name, names in wanted.items():
        arrays = [channels[c] for c in names]
        out[name] = arrays[0] if len(arrays) == 1 else np.stack(arrays, axis=-1)
    return out


def linear_to_srgb8(rgb: np.ndarray) -> np.ndarray:
    """Linear float RGB -> uint8 sRGB (standard transfer function, no view transform)."""
    c = np.clip(np.nan_to_num(rgb, nan=0.0), 0.0, 1.0)
    s = np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1.0 / 2.4) - 0.055)
    return np.round(s * 255.0).astype(np.uint8)
