"""Streaming frame reading through imageio-ffmpeg: one frame in memory at a time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..estimators.imaging import resize_rgb

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".gif")


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    fps: float
    width: int
    height: int
    duration: float

    @property
    def frame_count(self) -> int:
        return max(round(self.fps * self.duration), 0)


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Frame rate, size and duration; UserError when ffmpeg cannot read the file."""
    import imageio_ffmpeg

    path = Path(path)
    if not path.is_file():
        raise UserError("file does not exist", path)
    gen = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(gen)
    except (RuntimeError, OSError, StopIteration) as exc:
        raise UserError("not a readable video", path) from exc
    finally:
        gen.close()
    w, h = meta["size"]
    return VideoInfo(path, float(meta.get("fps") or 0.0) or 30.0, int(w), int(h), float(meta.get("duration") or 0.0))


def output_size(width: int, height: int, max_res: int | None) -> tuple[int, int]:
    """(width, height) after limiting the longer side to ``max_res`` (aspect kept, even numbers)."""
    if not max_res or max(width, height) <= max_res:
        return width, height
    s = max_res / max(width, height)
    return max(2, round(width * s / 2) * 2), max(2, round(height * s / 2) * 2)


def frame_stride(fps: float, target_fps: float | None) -> int:
    """Keep every n-th frame to get close to ``target_fps`` (never above the source rate)."""
    if not target_fps or target_fps <= 0 or target_fps >= fps:
        return 1
    return max(1, round(fps / target_fps))


def iter_frames(
    path: str | os.PathLike[str],
    *,
    target_fps: float | None = None,
    max_res: int | None = None,
    max_frames: int | None = None,
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield (output index, source frame index, uint8 HxWx3 RGB), streaming."""
    import imageio_ffmpeg

    info = probe(path)
    stride = frame_stride(info.fps, target_fps)
    ow, oh = output_size(info.width, info.height, max_res)
    gen = imageio_ffmpeg.read_frames(str(info.path), pix_fmt="rgb24")
    try:
        meta = next(gen)
        w, h = meta["size"]
        out = 0
        for src, raw in enumerate(gen):
            if src % stride:
                continue
            if max_frames is not None and out >= max_frames:
                break
            frame = np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3)
            if (ow, oh) != (w, h):
                frame = resize_rgb(frame, oh, ow, "area")
            yield out, src, frame
            out += 1
    finally:
        gen.close()
