"""Render Depth Animation as a job of small steps, driven by the modal operator (or a plain loop headless).

Each step renders one frame through the render core, which restores the scene after every frame, so
cancelling between steps leaves the scene exactly as it was. With a global range and the automatic plan,
frames are kept as temporary .npy files and normalised with one range over all frames at the end.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import bpy
import numpy as np

from depthcore.normalise import observed_range

from . import results
from .render import render_depth_frame


class AnimationJob:
    """Render a frame range step by step; :meth:`step` returns True when every frame is done."""

    def __init__(self, scene: bpy.types.Scene) -> None:
        self.scene = scene
        self.frames = list(range(scene.frame_start, scene.frame_end + 1, max(1, scene.frame_step)))
        self.done = 0
        self.written: list[Path] = []
        s = scene.depthcore
        self.deferred = bool(s.global_range and (s.plan_auto or not len(s.spans)))
        self.tmp = Path(tempfile.mkdtemp(prefix="depthcore_anim_")) if self.deferred else None
        self.ranges: list[tuple[float, float]] = []
        self.kept: list[results.LastRender] = []
        if results.wants_files(scene):
            results.output_folder(scene)  # fail before the first frame, not after it

    @property
    def total(self) -> int:
        return len(self.frames)

    def step(self) -> bool:
        """Render the next frame; normalise and write it now unless the global range must wait."""
        frame = self.frames[self.done]
        result = render_depth_frame(self.scene, frame, results.render_options(self.scene))
        last = results.store(self.scene, result)
        self.done += 1
        if self.deferred:
            opts = results.normalise_options(self.scene, result.backplane_depth)
            if (rng := observed_range(result.depth, opts)) is not None:
                self.ranges.append(rng)
            np.save(self.tmp / f"{frame}.depth.npy", result.depth)
            if result.distance is not None:
                np.save(self.tmp / f"{frame}.distance.npy", result.distance)
            self.kept.append(last)
            result.depth = np.empty((0, 0), np.float32)  # keep only the small fields in memory
            result.distance = result.object_index = None
        else:
            self._finish_frame(last)
        return self.done == self.total

    def finish(self) -> None:
        """Normalise deferred frames with one range over the animation; clean up."""
        try:
            if self.deferred and self.kept:
                value_range = (min(r[0] for r in self.ranges), max(r[1] for r in self.ranges)) if self.ranges else None
                for last in self.kept:
                    frame = last.result.frame
                    last.result.depth = np.load(self.tmp / f"{frame}.depth.npy")
                    if (self.tmp / f"{frame}.distance.npy").is_file():
                        last.result.distance = np.load(self.tmp / f"{frame}.distance.npy")
                    last.value_range = value_range
                    self._finish_frame(last)
        finally:
            self.cleanup()

    def cancel(self) -> None:
        """Stop: frames already written stay (each file is complete), temporary data goes."""
        self.cleanup()

    def cleanup(self) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def _finish_frame(self, last: results.LastRender) -> None:
        results.normalise_last(self.scene, last)
        if results.wants_files(self.scene):
            self.written += results.write_outputs(self.scene, last)
        results.show_frame(last)
