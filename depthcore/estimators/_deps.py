"""Optional dependencies of the estimators: torch and transformers, imported only when needed."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import UserError

INSTALL_HINT = 'pip install "depthcore[estimators]"'


def require(module: str = "torch") -> ModuleType:
    """Import ``module`` or raise a one-line UserError saying how to install the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        name = module.split(".")[0]
        raise UserError(f"depth estimators need {name}, which is not installed: {INSTALL_HINT}") from exc
