"""The UIList showing the span plan: name (double-click to rename), depth range and levels."""

from __future__ import annotations

import bpy


class DEPTHCORE_UL_spans(bpy.types.UIList):
    """One row per span: name, [start, end) and levels."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        row = layout.row(align=True)
        row.prop(item, "name", text="", emboss=False, icon="NONE" if item.name else "DOT")
        row.label(text=f"{item.start:.4g} - {item.end:.4g}")
        sub = row.row()
        sub.alert = item.levels == 0
        sub.prop(item, "levels", text="")


classes = (DEPTHCORE_UL_spans,)
