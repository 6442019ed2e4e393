"""Temporal stabilisation of per-frame relative (disparity) predictions.

Each new frame gets one scale and shift, fitted in disparity space by robust least squares (the worst 20% of
residuals trimmed, refitted) against an anchor set: the first key frame after the last reset plus the last 8
aligned frames. A scene cut (a large change in the picture) resets the anchors. Metric models skip this.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..estimators.imaging import resize_float


def robust_fit(x: np.ndarray, y: np.ndarray, trim: float = 0.2, iterations: int = 2) -> tuple[float, float]:
    """Scale and shift minimising squared residuals after dropping the worst ``trim`` fraction."""
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    keep = np.ones(x.shape, bool)
    s, t = 1.0, 0.0
    for it in range(iterations + 1):
        xs, ys = x[keep], y[keep]
        A = np.stack([xs, np.ones_like(xs)], axis=1)
        (s, t), *_ = np.linalg.lstsq(A, ys, rcond=None)
        if it == iterations:
            break
        r = np.abs(s * x + t - y)
        keep = r <= np.quantile(r, 1.0 - trim)
    return float(s), float(t)


def thumbnail(rgb: np.ndarray, size: int = 32) -> np.ndarray:
    """Small grey float thumbnail (0..1) for scene-cut detection."""
    grey = rgb.astype(np.float32).mean(axis=2) / 255.0
    return resize_float(grey, size, size, "area")


class Stabiliser:
    """Feed disparity frames in order; get them back on one common scale and shift."""

    def __init__(
        self, history: int = 8, trim: float = 0.2, samples: int = 4096, cut_threshold: float = 0.25, seed: int = 0
    ) -> None:
        self.history, self.trim, self.samples, self.cut_threshold = history, trim, samples, cut_threshold
        self._rng = np.random.default_rng(seed)
        self.reset()

    def reset(self) -> None:
        self.key: np.ndarray | None = None
        self.recent: deque[np.ndarray] = deque(maxlen=self.history)
        self._thumb: np.ndarray | None = None
        self._index: np.ndarray | None = None
        self.cuts: list[int] = []
        self._n = 0

    def is_cut(self, rgb: np.ndarray | None) -> bool:
        """True when the picture changed so much since the last frame that it is a new shot."""
        if rgb is None:
            return False
        thumb = thumbnail(rgb)
        prev, self._thumb = self._thumb, thumb
        return prev is not None and float(np.mean(np.abs(thumb - prev))) > self.cut_threshold

    def update(self, disparity: np.ndarray, rgb: np.ndarray | None = None) -> np.ndarray:
        """Aligned copy of ``disparity`` (float32); the first frame after a reset is the reference."""
        d = disparity.astype(np.float32)
        n = self._n
        self._n += 1
        if self.is_cut(rgb) and self.key is not None:
            self.cuts.append(n)
            self.key, self.recent = None, deque(maxlen=self.history)
        flat = d.ravel()
        if self._index is None or self._index.max(initial=-1) >= flat.size:
            k = min(self.samples, flat.size)
            self._index = self._rng.choice(flat.size, size=k, replace=False)
        sample = flat[self._index]
        if self.key is None:
            self.key = sample
            self.recent.append(sample)
            return d
        anchors = [self.key, *self.recent]
        x = np.concatenate([sample] * len(anchors))
        y = np.concatenate(anchors)
        ok = np.isfinite(x) & np.isfinite(y)
        s, t = robust_fit(x[ok], y[ok], self.trim)
        aligned = (s * d + t).astype(np.float32)
        self.recent.append(aligned.ravel()[self._index])
        return aligned
