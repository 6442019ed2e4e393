"""The original's 20-bucket text histogram (shared with ``depthcore normalise``) and its header line."""

from __future__ import annotations

import numpy as np

from ..histogram import text_histogram

HISTO_HEADER = "** providing cutting histogram advice, but leaving depthmap unchanged"


def histogram_lines(values: np.ndarray) -> list[str]:
    """``** - 07 - 12.50% - 241.0 to 252.35`` lines over ``values`` (background already left out)."""
    return text_histogram(np.asarray(values, dtype=np.float64).ravel(), buckets=20)
