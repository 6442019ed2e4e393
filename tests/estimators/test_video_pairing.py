"""Video models see the clip: estimates from ``predict_video`` (which reads ahead) stay paired with their frames."""

from __future__ import annotations

import numpy as np

from depthcore.estimators.result import DepthEstimate
from depthcore.video.pipeline import estimates


class ReadAheadModel:
    """Consumes frames in windows of 4 before yielding their estimates, like an offline video model."""

    def predict_video(self, frames, K=None):
        window = []
        for rgb in frames:
            window.append(rgb)
            if len(window) == 4:
                yield from (DepthEstimate(w[..., 0].astype(np.float32), "disparity", "relative") for w in window)
                window = []
        yield from (DepthEstimate(w[..., 0].astype(np.float32), "disparity", "relative") for w in window)


class PerFrameModel:
    def predict(self, rgb, K=None):
        return DepthEstimate(rgb[..., 0].astype(np.float32), "disparity", "relative")


def _frames(n):
    for i in range(n):
        yield i, 10 * i, np.full((2, 3, 3), i, np.uint8)


def test_read_ahead_model_estimates_stay_with_their_frames():
    got = list(estimates(_frames(10), ReadAheadModel(), None))
    assert [(idx, src) for idx, src, _, _ in got] == [(i, 10 * i) for i in range(10)]
    assert all(est.values[0, 0] == idx and rgb[0, 0, 0] == idx for idx, _, rgb, est in got)


def test_per_frame_model_is_called_once_per_frame():
    got = list(estimates(_frames(3), PerFrameModel(), None))
    assert [est.values[0, 0] for *_, est in got] == [0, 1, 2]
