"""Real-weight runs, only where a weights folder is configured (``DEPTHCORE_WEIGHTS_DIR``); skipped otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from depthcore.estimators.catalogue import CATALOGUE
from depthcore.estimators.weights import find_local

pytestmark = [pytest.mark.weights, pytest.mark.estimators]
ROOT = os.environ.get("DEPTHCORE_WEIGHTS_DIR")
PRESENT = [
    e.name
    for e in CATALOGUE.values()
    if ROOT and e.backend not in ("video_depth_anything", "metric3d") and find_local(e, ROOT)
]


@pytest.mark.skipif(not PRESENT, reason="no real weights configured (set DEPTHCORE_WEIGHTS_DIR)")
@pytest.mark.parametrize("name", PRESENT or ["none"])
def test_real_model_orders_a_tilted_plane(name: str, tmp_path: Path) -> None:
    """A floor that recedes upwards: real models put the bottom rows nearer than the top rows."""
    from depthcore.estimators import load_estimator

    y, x = np.mgrid[0:240, 0:320]
    checker = ((x // (8 + y // 8) + y // 12) % 2).astype(np.uint8) * 180 + 40
    rgb = np.repeat(checker[:, :, None], 3, axis=2)
    est = load_estimator(name, weights_dir=ROOT)
    r = est.predict(rgb)
    top, bottom = r.values[:40].mean(), r.values[-40:].mean()
    assert (bottom > top) if r.kind == "disparity" else (bottom < top)
