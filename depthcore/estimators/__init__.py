"""Monocular depth estimators (optional extra: ``pip install "depthcore[estimators]"``).

Importing this package needs neither torch nor transformers; loading a model does, and says how to install
them when they are missing. Every backend returns a :class:`DepthEstimate` that says what its values are.
"""

from .base import Estimator, Prepared
from .catalogue import CATALOGUE, ModelEntry, lookup
from .registry import BACKENDS, detect_backend, load_estimator
from .result import DepthEstimate, scaled_to_metric

__all__ = [
    "BACKENDS",
    "CATALOGUE",
    "DepthEstimate",
    "Estimator",
    "ModelEntry",
    "Prepared",
    "detect_backend",
    "load_estimator",
    "lookup",
    "scaled_to_metric",
]
