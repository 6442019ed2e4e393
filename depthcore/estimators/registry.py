"""One registry: a backend name -> the module that loads it; a model name or folder -> a ready estimator."""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import UserError
from ._deps import require
from .base import Estimator
from .catalogue import ModelEntry
from .weights import resolve

BACKENDS: dict[str, str] = {
    "midas": "midas",
    "depth_anything_v2": "depth_anything_v2",
    "zoedepth": "zoedepth",
    "depth_pro": "depth_pro",
    "metric3d": "metric3d",
    "video_depth_anything": "video_depth_anything",
}
_MODEL_TYPES = {"dpt": "midas", "depth_anything": "depth_anything_v2", "zoedepth": "zoedepth", "depth_pro": "depth_pro"}


def detect_backend(path: Path) -> str:
    """Which backend a local folder or file belongs to (config.json model_type, or the file type)."""
    if path.is_file():
        files = [path]
    else:
        cfg = path / "config.json"
        if cfg.is_file():
            try:
                model_type = json.loads(cfg.read_text()).get("model_type")
            except json.JSONDecodeError as exc:
                raise UserError("config.json is not valid JSON", cfg) from exc
            if model_type in _MODEL_TYPES:
                return _MODEL_TYPES[model_type]
            raise UserError(f"model type {model_type!r} is not supported ({', '.join(_MODEL_TYPES)})", cfg)
        files = list(path.iterdir())
    suffixes = {f.suffix for f in files}
    if suffixes & {".onnx", ".pt2", ".pt", ".ts", ".torchscript"}:
        return "metric3d"
    if ".pth" in suffixes:
        return "video_depth_anything"
    raise UserError("cannot tell which backend this model is for; pass --backend", path)


def _vda_encoder(path: Path) -> str | None:
    m = re.search(r"_(vit[sbl])\.pth$", path.name if path.is_file() else " ".join(p.name for p in path.glob("*.pth")))
    return m.group(1) if m else None


def load_estimator(
    model: str,
    *,
    backend: str | None = None,
    device: str | None = "auto",
    fp32: bool = False,
    weights_dir: str | os.PathLike[str] | None = None,
    options: dict[str, Any] | None = None,
    threads: int | None = None,
) -> Estimator:
    """Load ``model`` (a catalogue name or a local folder/file) on ``device``, ready for ``predict``.

    ``threads`` sets torch's CPU thread count (on a busy, shared machine 1 can be many times faster).
    """
    torch = require("torch")
    if threads:
        if threads < 1:
            raise UserError("--threads must be at least 1")
        torch.set_num_threads(int(threads))
    from .device import pick_device, pick_dtype

    path, entry = resolve(model, weights_dir)
    opts: dict[str, Any] = dict(entry.options) if entry else {}
    opts.update({k: v for k, v in (options or {}).items() if v is not None})
    opts["fp32"] = fp32
    name = entry.name if entry else path.name
    chosen = backend or (entry.backend if entry else detect_backend(path))
    if chosen not in BACKENDS:
        raise UserError(f"unknown backend {chosen!r} (use one of {', '.join(BACKENDS)})")
    if chosen == "video_depth_anything" and not opts.get("encoder"):
        opts["encoder"] = _vda_encoder(path) or "vits"
    _licence_notice(entry)
    dev = pick_device(device)
    module = importlib.import_module(f"{__package__}.{BACKENDS[chosen]}")
    est: Estimator = module.load(path, name, dev, pick_dtype(dev, fp32), opts)
    est.meta["weights"] = str(path)
    return est


def _licence_notice(entry: ModelEntry | None) -> None:
    if entry is not None and entry.non_commercial and entry.backend != "video_depth_anything":
        print(f"depthcore: note: {entry.name} is licensed {entry.licence}", file=sys.stderr)
