"""Scene safety: every change a render makes is journaled and undone, whatever happens.

Use :func:`preserved_scene` and make every change through the yielded :class:`SceneState`::

    with preserved_scene(scene) as state:
        state.set(scene.render, "engine", "CYCLES")   # old value recorded first, restored on exit
        state.set_frame(12)                           # frame restored with scene.frame_set on exit
        plane = bpy.data.objects.new(...)             # new datablocks are removed on exit ...
        state.keep(result_image)                      # ... unless kept

On exit (normal return, exception, KeyboardInterrupt) properties are restored in reverse order, then every
datablock created inside the block in the tracked collections is removed. Nothing is pushed on the undo
stack and the scene's state at the end equals the state at the start, so undo keeps working.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import bpy

# Datablock collections swept for leftovers, in removal order (users before what they use).
TRACKED_COLLECTIONS = (
    "objects",
    "meshes",
    "materials",
    "node_groups",
    "images",
    "textures",
    "worlds",
    "cameras",
    "lights",
    "collections",
    "actions",
)


class RestoreError(RuntimeError):
    """Some scene settings could not be put back (lists them)."""


class SceneState:
    """Journal of property changes and new datablocks; :meth:`restore` undoes them."""

    def __init__(self, scene: bpy.types.Scene) -> None:
        self.scene = scene
        self._journal: list[tuple[Any, str, Any]] = []
        self._seen: set[tuple[int, str]] = set()
        self._kept: set[int] = set()
        self._frame: tuple[int, float] | None = None
        self._before = {
            name: {i.as_pointer() for i in getattr(bpy.data, name)} for name in TRACKED_COLLECTIONS
        }

    def remember(self, owner: Any, *attrs: str) -> None:
        """Record properties before changing something they depend on (e.g. colour depth before format)."""
        for attr in attrs:
            key = (owner.as_pointer(), attr)
            if key not in self._seen:
                self._seen.add(key)
                self._journal.append((owner, attr, _get(owner, attr)))  # vectors copied as tuples

    def set(self, owner: Any, attr: str, value: Any) -> None:
        """Set ``owner.attr = value``, recording the old value the first time this property is touched."""
        self.remember(owner, attr)
        setattr(owner, attr, value)

    def set_frame(self, frame: int) -> None:
        """Go to ``frame`` (full evaluation); the original frame and subframe come back on exit."""
        if self._frame is None:
            self._frame = (self.scene.frame_current, self.scene.frame_subframe)
        self.scene.frame_set(int(frame))

    def keep(self, id_block: bpy.types.ID) -> None:
        """Keep a datablock created inside the block (e.g. a result image the user asked for)."""
        self._kept.add(id_block.as_pointer())

    def restore(self) -> None:
        """Undo everything; raise RestoreError naming what could not be restored."""
        failed = self._restore_properties()
        if self._frame is not None:
            frame, sub = self._frame
            self.scene.frame_set(frame, subframe=sub)  # re-evaluates animation at the user's frame
            self._frame = None
        self._remove_new_datablocks()
        if failed:
            raise RestoreError("could not restore " + ", ".join(failed))

    def _restore_properties(self) -> list[str]:
        # Reverse order, then verify: some settings depend on others (restoring the file format clamps the
        # colour depth), so rounds repeat until every recorded value reads back as it was.
        pending = list(reversed(self._journal))
        self._journal.clear()
        self._seen.clear()
        for _ in range(4):
            for owner, attr, old in pending:
                try:
                    if _get(owner, attr) != old:
                        setattr(owner, attr, old)
                except (ReferenceError, TypeError, ValueError, AttributeError):
                    pass
            pending = [(o, a, v) for o, a, v in pending if _differs(o, a, v)]
            if not pending:
                return []
        return [f"{_describe(owner)}.{attr}" for owner, attr, _ in pending]

    def _remove_new_datablocks(self) -> None:
        for name in TRACKED_COLLECTIONS:
            coll = getattr(bpy.data, name)
            before = self._before[name]
            for block in [
                b for b in coll if b.as_pointer() not in before and b.as_pointer() not in self._kept
            ]:
                if name == "objects":
                    coll.remove(block, do_unlink=True)
                else:
                    coll.remove(block)


def _get(owner: Any, attr: str) -> Any:
    value = getattr(owner, attr)
    if hasattr(value, "__len__") and not isinstance(value, str) and not isinstance(value, bpy.types.ID):
        return tuple(value)
    return value


def _differs(owner: Any, attr: str, old: Any) -> bool:
    try:
        return _get(owner, attr) != old
    except ReferenceError:
        return False  # owner was a temporary datablock, already gone


def _describe(owner: Any) -> str:
    try:
        return owner.path_from_id() if not isinstance(owner, bpy.types.ID) else repr(owner)
    except Exception:
        return type(owner).__name__


@contextlib.contextmanager
def preserved_scene(scene: bpy.types.Scene) -> Iterator[SceneState]:
    """Yield a :class:`SceneState`; restore the scene on any exit, including KeyboardInterrupt."""
    state = SceneState(scene)
    try:
        yield state
    except BaseException:
        with contextlib.suppress(RestoreError):
            state.restore()  # the original error is the one to report
        raise
    state.restore()
