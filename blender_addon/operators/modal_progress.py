"""What the modal operators share: a timer, the window's progress cursor and the status bar text."""

from __future__ import annotations

import bpy


def begin(op: bpy.types.Operator, context: bpy.types.Context, interval: float, total: int = 100) -> None:
    """Start ``op``'s timer and the progress cursor (0 to ``total``), and register it as a modal handler."""
    wm = context.window_manager
    op._timer = wm.event_timer_add(interval, window=context.window)
    wm.progress_begin(0, total)
    wm.modal_handler_add(op)


def status(context: bpy.types.Context, text: str | None) -> None:
    """Show ``text`` in the status bar (None clears it)."""
    if context.workspace is not None:
        context.workspace.status_text_set(text)


def end(op: bpy.types.Operator, context: bpy.types.Context) -> None:
    """Remove the timer, end the progress cursor, clear the status bar and redraw the views that show results."""
    wm = context.window_manager
    if getattr(op, "_timer", None) is not None:
        wm.event_timer_remove(op._timer)
        op._timer = None
    wm.progress_end()
    status(context, None)
    for area in context.screen.areas if context.screen is not None else ():
        if area.type in {"VIEW_3D", "IMAGE_EDITOR"}:
            area.tag_redraw()
