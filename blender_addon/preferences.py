"""Add-on preferences: settings that belong to the user, not to a scene."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty


class DEPTHCORE_AP_preferences(bpy.types.AddonPreferences):
    """Preferences of the Depthcore extension."""

    bl_idname = __package__

    estimator_python: StringProperty(
        name="Estimator Python",
        description=(
            "Python interpreter with depthcore[estimators] (torch) installed; monocular estimators run in "
            "that separate process, never inside Blender"
        ),
        subtype="FILE_PATH",
        default="",
    )

    weights_dir: StringProperty(
        name="Weights Folder",
        description="Folder with one sub-folder of weights per model name (passed as --weights-dir); empty = "
        "the Hugging Face cache",
        subtype="DIR_PATH",
        default="",
    )

    def draw(self, context: bpy.types.Context) -> None:
        self.layout.prop(self, "estimator_python")
        if not self.estimator_python.strip():
            self.layout.label(text="Set a Python with: pip install 'depthcore[estimators]'", icon="INFO")
        self.layout.prop(self, "weights_dir")


classes = (DEPTHCORE_AP_preferences,)
