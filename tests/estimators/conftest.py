"""Fixtures: tiny random-weight models saved like real checkpoints, a small image, a small synthetic video."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> None:
    """One CPU thread: on a shared 2-core machine torch's thread pool makes tiny ops many times slower."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One saved tiny model folder per kind (built once per session)."""
    pytest.importorskip("torch")
    from .tiny_models import KINDS, save_tiny

    root = tmp_path_factory.mktemp("tiny_models")
    return {k: save_tiny(k, root / k) for k in KINDS}


@pytest.fixture(scope="session")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 48x80 RGB PNG with structure (gradient + a bright square)."""
    from PIL import Image

    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:48, 0:80]
    img = np.stack([x * 3, y * 5, (x + y) * 2], axis=2).astype(np.float64)
    img[10:30, 20:50] = 230
    img += rng.normal(0, 8, img.shape)
    path = tmp_path_factory.mktemp("img") / "photo.png"
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)
    return path


def make_video(
    path: Path, frames: int, size: tuple[int, int] = (64, 48), fps: float = 10.0, cut_at: int | None = None
) -> Path:
    """Write a synthetic H.264 mp4 with imageio-ffmpeg's bundled ffmpeg: a square moving over a gradient."""
    import imageio_ffmpeg

    w, h = size
    writer = imageio_ffmpeg.write_frames(
        str(path), (w, h), fps=fps, macro_block_size=1, quality=8, ffmpeg_log_level="error"
    )
    writer.send(None)
    y, x = np.mgrid[0:h, 0:w]
    for i in range(frames):
        img = np.stack([x * 255 // w, y * 255 // h, np.full_like(x, 80)], axis=2).astype(np.uint8)
        if cut_at is not None and i >= cut_at:  # a different shot: a black and white checkerboard
            img = np.repeat((((x // 8 + y // 8) % 2) * 255).astype(np.uint8)[:, :, None], 3, axis=2)
        c = 5 + (i * 3) % (w - 20)
        img[15:30, c : c + 12] = (250, 240, 40)
        writer.send(np.ascontiguousarray(img).tobytes())
    writer.close()
    return path


@pytest.fixture(scope="session")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("vid") / "clip.mp4", 12)
