"""Metric3D v2: canonical-camera inference from an ONNX export, a torch.export ``.pt2`` or a TorchScript file.

Pre-processing: resize keeping aspect into 616x1064, pad with the ImageNet mean, ImageNet normalisation.
Post-processing: crop the padding, resize back, metric depth = prediction * (fx * s) / 1000 with the REAL fx
(ComfyUI's node computes this factor and never applies it). Without intrinsics, fx = 1000 px is assumed and
said so in the metadata; no intrinsics are then attached (no point clouds from a guessed camera).
The model's normals (first 3 channels of its second output) are returned when it has them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..camera import Intrinsics
from ..errors import UserError
from ._deps import require
from .base import Estimator, Prepared
from .canonical_camera import CANONICAL_FOCAL, VIT_INPUT_SIZE, canonical_to_metric, crop_pad, fit, pad_image
from .hf_base import intrinsics_for
from .imaging import IMAGENET_MEAN, IMAGENET_STD, resize_float, resize_rgb
from .result import DepthEstimate

MODEL_SUFFIXES = (".onnx", ".pt2", ".pt", ".ts", ".torchscript")


class Metric3DEstimator(Estimator):
    backend = "metric3d"

    def __init__(self, name: str, runner: Any, input_size: tuple[int, int], device: str, dtype: Any) -> None:
        super().__init__(name, "depth", "m", device, dtype)
        self.runner, self.input_size = runner, input_size
        self.meta.update(input_size=list(input_size), canonical_focal=CANONICAL_FOCAL)

    def prepare(self, rgb: np.ndarray) -> Prepared:
        h, w = rgb.shape[:2]
        f = fit(h, w, self.input_size)
        padded = pad_image(resize_rgb(rgb, f.resized[0], f.resized[1], "bilinear").astype(np.float32), f)
        mean = np.asarray(IMAGENET_MEAN, np.float32) * 255.0
        std = np.asarray(IMAGENET_STD, np.float32) * 255.0
        x = ((padded - mean) / std).transpose(2, 0, 1)[None]
        return Prepared(np.ascontiguousarray(x, dtype=np.float32), h, w, {"fit": f})

    def forward(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return self.runner(inputs)

    def postprocess(self, outputs: Any, prep: Prepared, intrinsics: Intrinsics | None) -> DepthEstimate:
        depth, normal = outputs
        f = prep.ctx["fit"]
        K = intrinsics_for(prep, intrinsics)
        canon = resize_float(crop_pad(depth, f), prep.height, prep.width, "bilinear")
        fx = K.fx if K is not None else CANONICAL_FOCAL
        meta = {
            "fx_used": fx,
            "resize_scale": f.scale,
            "focal_source": "user" if K is not None else "assumed 1000 px (give --fx or --camera)",
        }
        n = None
        if normal is not None:
            n = resize_float(crop_pad(normal.transpose(1, 2, 0)[:, :, :3], f), prep.height, prep.width, "bilinear")
            n /= np.maximum(np.linalg.norm(n, axis=2, keepdims=True), 1e-8)
        return DepthEstimate(canonical_to_metric(canon, fx, f), "depth", "m", K, normal=n, meta=meta)


def _split(outputs: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """(depth HxW, normal CxHxW or None) from a model's output(s)."""
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    arrays = [np.asarray(o.detach().float().cpu().numpy() if hasattr(o, "detach") else o) for o in outs]
    depth = arrays[0].reshape(arrays[0].shape[-2:])
    normal = None
    for a in arrays[1:]:
        if a.ndim >= 3 and a.reshape(-1, *a.shape[-2:]).shape[0] >= 3:
            normal = a.reshape(-1, *a.shape[-2:]).astype(np.float32)
            break
    return depth.astype(np.float32), normal


def _exported_input_size(program: Any) -> tuple[int, int] | None:
    """(H, W) of the first user input of a torch.export program, when static."""
    names = set(program.graph_signature.user_inputs)
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in names:
            shape = getattr(node.meta.get("val"), "shape", None)
            if shape is not None and all(isinstance(d, int) for d in shape[-2:]):
                return int(shape[-2]), int(shape[-1])
            return None
    return None


def _find_model_file(path: Path) -> Path:
    if path.is_file():
        return path
    files = sorted(p for p in path.iterdir() if p.suffix in MODEL_SUFFIXES)
    if not files:
        raise UserError(f"no Metric3D model file ({', '.join(MODEL_SUFFIXES)}) in the folder", path)
    return files[0]


def load(folder: Path, name: str, device: str, dtype: Any, options: dict[str, Any]) -> Metric3DEstimator:
    f = _find_model_file(folder)
    size = tuple(options.get("metric3d_input_size") or VIT_INPUT_SIZE)
    if f.suffix == ".onnx":
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise UserError("Metric3D ONNX models need onnxruntime: pip install onnxruntime", f) from exc
        session = ort.InferenceSession(str(f), providers=ort.get_available_providers())
        inp = session.get_inputs()[0]
        if all(isinstance(d, int) for d in inp.shape[-2:]):
            size = (int(inp.shape[-2]), int(inp.shape[-1]))

        def runner(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
            return _split(session.run(None, {inp.name: x}))

        return Metric3DEstimator(name, runner, size, "cpu", None)
    torch = require("torch")
    try:
        if f.suffix == ".pt2":  # torch.export archive: its input size is fixed at export time; runs on CPU here
            program = torch.export.load(str(f))
            size = _exported_input_size(program) or size
            module = program.module()
            device = "cpu"
        else:
            module = torch.jit.load(str(f), map_location=device).eval()
    except (RuntimeError, ValueError, OSError) as exc:
        raise UserError(f"not a torch.export / TorchScript model ({str(exc).splitlines()[0]})", f) from exc

    def run_torch(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        with torch.inference_mode():
            return _split(module(torch.from_numpy(x).to(device)))

    return Metric3DEstimator(name, run_torch, size, device, torch.float32)
