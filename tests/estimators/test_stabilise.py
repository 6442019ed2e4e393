"""Temporal stabilisation on a synthetic sequence with random per-frame scale and shift."""

from __future__ import annotations

import numpy as np

from depthcore.video.stabilise import Stabiliser, robust_fit


def _scene(n: int, h: int = 48, w: int = 64) -> list[np.ndarray]:
    """True disparity of a moving scene: a tilted floor plus a box sliding to the right."""
    y, _x = np.mgrid[0:h, 0:w].astype(np.float64)
    frames = []
    for i in range(n):
        d = 0.2 + 0.8 * y / h
        c = 5 + i % (w - 20)
        d[10:25, c : c + 12] = 1.5
        frames.append(d)
    return frames


def _scales(frames: list[np.ndarray], truth: list[np.ndarray]) -> np.ndarray:
    return np.array([np.polyfit(t.ravel(), f.ravel(), 1)[0] for f, t in zip(frames, truth)])


def _jitter(scales: np.ndarray) -> float:
    """Frame-to-frame relative scale change (mean |s_{i+1}/s_i - 1|)."""
    return float(np.mean(np.abs(scales[1:] / scales[:-1] - 1.0)))


def test_robust_fit_ignores_outliers() -> None:
    rng = np.random.default_rng(0)
    x = rng.random(1000)
    y = 3.0 * x - 0.5
    y[:100] += rng.normal(0, 50, 100)  # 10% wild outliers
    s, t = robust_fit(x, y, trim=0.2)
    assert abs(s - 3.0) < 1e-9 and abs(t + 0.5) < 1e-9


def test_jitter_reduced_at_least_tenfold() -> None:
    rng = np.random.default_rng(42)
    truth = _scene(60)
    raw = []
    for t in truth:
        s, b = rng.uniform(0.5, 1.5), rng.uniform(-0.2, 0.2)
        raw.append(s * t + b + rng.normal(0, 0.01, t.shape))
    stab = Stabiliser()
    out = [stab.update(f.astype(np.float32)) for f in raw]
    before, after = _jitter(_scales(raw, truth)), _jitter(_scales(out, truth))
    assert before > 0.2
    assert after * 10 <= before, (before, after)
    assert np.allclose(out[0], raw[0].astype(np.float32))  # the first frame is the reference


def test_scene_cut_resets_the_anchors() -> None:
    rng = np.random.default_rng(3)
    truth = _scene(10)
    grey = np.full((48, 64, 3), 40, np.uint8)
    bright = np.full((48, 64, 3), 220, np.uint8)
    stab = Stabiliser()
    for i, t in enumerate(truth):
        stab.update((rng.uniform(0.5, 1.5) * t).astype(np.float32), grey if i < 5 else bright)
    assert stab.cuts == [5]
