"""Device and precision: cuda -> mps -> cpu, fp16 on GPUs unless fp32 is asked for."""

from __future__ import annotations

from ..errors import UserError
from ._deps import require

DEVICES = ("auto", "cuda", "mps", "cpu")


def pick_device(requested: str | None = "auto") -> str:
    """The torch device name to run on; ``auto`` picks cuda, then mps, then cpu."""
    torch = require("torch")
    name = (requested or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    base = name.split(":")[0]
    if base not in DEVICES:
        raise UserError(f"unknown device {requested!r} (use one of {', '.join(DEVICES)})")
    if base == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda asked for, but torch sees no CUDA device")
    if base == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UserError("--device mps asked for, but MPS is not available")
    return name


def pick_dtype(device: str, fp32: bool = False):
    """float16 on cuda/mps (unless ``fp32``), float32 on cpu."""
    torch = require("torch")
    if fp32 or device.startswith("cpu"):
        return torch.float32
    return torch.float16
