"""Adapter for a user-provided Video Depth Anything checkout (no transformers class exists).

The checkout (``--vda-repo DIR``: github.com/DepthAnything/Video-Depth-Anything) supplies the model code and its
requirements (torchvision, opencv, easydict, einops, xformers). Two modes:

- ``offline`` (default, best quality): ``video_depth.VideoDepthAnything.infer_video_depth(frames, fps, input_size=,
  device=, fp32=)`` over 32-frame windows. Upstream keeps the whole clip in memory, so depthcore feeds it chunks of
  ``chunk_frames`` frames that overlap by ``CHUNK_OVERLAP``; each chunk is fitted to the previous one on the shared
  frames (scale and shift for relative models, none for metric ones) and blended across them.
- ``stream``: ``video_depth_stream.VideoDepthAnything.infer_video_depth_one(frame, input_size=, device=, fp32=)``,
  one frame at a time with a bounded cache of past frames (checkouts from mid-2025 on).

Weights are ``(metric_)video_depth_anything_{vits,vitb,vitl}.pth`` state dicts, loaded with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..camera import Intrinsics
from ..errors import UserError
from ._deps import require
from .base import Estimator, Prepared
from .catalogue import NON_COMMERCIAL
from .hf_base import intrinsics_for
from .result import DepthEstimate

MODEL_CONFIGS = {  # the constructor arguments upstream's run.py uses per encoder
    "vits": {"encoder": "vits", "features": 64, "out_channels": [48, 96, 192, 384]},
    "vitb": {"encoder": "vitb", "features": 128, "out_channels": [96, 192, 384, 768]},
    "vitl": {"encoder": "vitl", "features": 256, "out_channels": [256, 512, 1024, 1024]},
}
LICENCES = {"vits": "Apache-2.0", "vitb": NON_COMMERCIAL, "vitl": NON_COMMERCIAL}
MODES = ("offline", "stream")
WINDOW_STEP = 22  # upstream: 32-frame windows overlapping by 10, so each window adds 22 frames
CHUNK_FRAMES = 6 * WINDOW_STEP  # frames per offline call: six windows, none of them padding
CHUNK_OVERLAP = 10  # frames shared by consecutive chunks (fitted, then blended)
Clip = Callable[[np.ndarray], np.ndarray]  # N x H x W x 3 uint8 -> N x H x W float32


def licence_notice(encoder: str) -> str | None:
    """The notice to show before Base/Large are used (None for Small)."""
    if LICENCES.get(encoder) != NON_COMMERCIAL:
        return None
    return (
        f"Video Depth Anything {encoder} weights are licensed {NON_COMMERCIAL}: "
        "you may not use them or their outputs commercially."
    )


def checkpoint_name(encoder: str, metric: bool) -> str:
    """Upstream's file name for a checkpoint."""
    return f"{'metric_' if metric else ''}video_depth_anything_{encoder}.pth"


def checkpoint_path(path: Path, encoder: str, metric: bool) -> Path:
    """The ``.pth`` file to load: ``path`` itself, or in a folder upstream's name for it, or the only ``.pth``."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise UserError("no such weights file or folder", path)
    wanted = path / checkpoint_name(encoder, metric)
    if wanted.is_file():
        return wanted
    found = sorted(path.glob("*.pth"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise UserError(f"no .pth weights (expected {wanted.name})", path)
    raise UserError(f"several .pth files and none is {wanted.name}; pass the file itself", path)


def load_state(path: Path) -> dict[str, Any]:
    """A state dict of tensors, read with ``weights_only=True`` (nothing else is unpickled)."""
    torch = require("torch")
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UserError("not a plain state dict (refusing to unpickle anything else)", path) from exc
    except (RuntimeError, ValueError, OSError, EOFError) as exc:
        raise UserError(f"cannot read the weights ({str(exc).splitlines()[0][:120]})", path) from exc
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise UserError("not a state dict of tensors", path)
    return state


def load_weights(model: Any, path: Path, encoder: str) -> None:
    """Load ``path`` into ``model`` strictly; a mismatch says what did not fit."""
    state = load_state(path)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    shape = sorted(k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(state[k].shape))
    if missing or extra or shape:
        first = (shape or missing or extra)[0]
        raise UserError(
            f"the weights do not fit the {encoder} model ({len(missing)} missing, {len(extra)} unexpected, "
            f"{len(shape)} of another shape, e.g. {first!r}); is the encoder right?",
            path,
        )
    model.load_state_dict(state, strict=True)


def import_checkout(repo: str | Path | None, module: str = "video_depth") -> Any:
    """Import ``video_depth_anything.<module>`` from the user's checkout; a clear error when that fails."""
    if not repo:
        raise UserError(
            "Video Depth Anything needs its code: clone https://github.com/DepthAnything/Video-Depth-Anything "
            "and pass --vda-repo DIR"
        )
    root = Path(repo).expanduser().resolve()
    if not (root / "video_depth_anything" / "video_depth.py").is_file():
        raise UserError("not a Video-Depth-Anything checkout (no video_depth_anything/video_depth.py)", root)
    if not (root / "video_depth_anything" / f"{module}.py").is_file():
        raise UserError(f"this checkout has no video_depth_anything/{module}.py (update it: git pull)", root)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # upstream imports its own top-level ``utils`` package
    try:
        return importlib.import_module(f"video_depth_anything.{module}")
    except ImportError as exc:
        raise UserError(
            f"cannot import the checkout ({exc}); install its requirements: pip install -r requirements.txt", root
        ) from exc


def accepts(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` takes a keyword ``name`` (upstream added ``fp32`` and ``metric`` over time)."""
    params = inspect.signature(fn).parameters
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def model_kwargs(cls: type, encoder: str, metric: bool) -> dict[str, Any]:
    """Constructor arguments for ``cls`` (``metric`` only where the class has it)."""
    kwargs: dict[str, Any] = copy.deepcopy(MODEL_CONFIGS[encoder])
    if metric and accepts(cls.__init__, "metric"):
        kwargs["metric"] = True
    return kwargs


def call_kwargs(fn: Callable[..., Any], input_size: int, device: str, fp32: bool) -> dict[str, Any]:
    """Keyword arguments for ``infer_video_depth(_one)``: ``device`` is a type (autocast needs 'cuda', not 'cuda:0')."""
    kwargs: dict[str, Any] = {"input_size": int(input_size), "device": device.split(":")[0]}
    if accepts(fn, "fp32"):
        kwargs["fp32"] = bool(fp32)
    return kwargs


def check_metric_support(cls: type, repo: str | Path | None, metric: bool, mode: str) -> None:
    """Offline, metric weights need a class with ``metric=`` (or upstream's older ``metric_depth/`` copy, which
    never rescales its windows); relative weights must not run in ``metric_depth/``. Streams never rescale."""
    if mode != "offline":
        return
    metric_package = Path(str(repo)).expanduser().resolve().name == "metric_depth"
    if metric_package and not metric:
        raise UserError("metric_depth/ is upstream's code for metric weights; pass the checkout itself as --vda-repo")
    if metric and not (metric_package or accepts(cls.__init__, "metric")):
        raise UserError(
            "this checkout's offline model has no metric mode: update it (git pull) or pass --vda-repo DIR/metric_depth"
        )


def fit_seam(new: np.ndarray, old: np.ndarray, max_samples: int = 200_000) -> tuple[float, float]:
    """Least-squares scale and shift taking ``new`` onto ``old`` (the frames two chunks share)."""
    from ..eval import fit_scale_shift

    x, y = new.reshape(-1), old.reshape(-1)
    step = max(1, x.size // max_samples)
    ok = np.isfinite(x[::step]) & np.isfinite(y[::step])
    if ok.sum() < 2:
        return 1.0, 0.0
    s, t = fit_scale_shift(x[::step][ok], y[::step][ok])
    return (s, t) if np.isfinite(s) and np.isfinite(t) and s > 0 else (1.0, 0.0)


def chunked(
    frames: Iterable[np.ndarray],
    clip: Clip,
    align: bool,
    chunk_frames: int = CHUNK_FRAMES,
    overlap: int = CHUNK_OVERLAP,
) -> Iterator[np.ndarray]:
    """Depth per frame, in order, from ``clip`` run on overlapping chunks (memory bounded by ``chunk_frames``).

    Each chunk after the first is fitted to the previous one's output on the ``overlap`` shared frames
    (``align``: scale and shift; otherwise left as is), clamped at 0, and blended linearly across them.
    """
    if overlap < 1 or chunk_frames <= overlap:
        raise UserError(f"chunk_frames ({chunk_frames}) must be larger than the overlap ({overlap})")
    buf: list[np.ndarray] = []
    tail: np.ndarray | None = None  # fitted depths of the last chunk's shared frames, not yet given out

    def run(last: bool) -> Iterator[np.ndarray]:
        nonlocal tail
        depths = np.asarray(clip(np.stack(buf)), dtype=np.float32)
        if tail is not None:
            k = len(tail)
            s, t = fit_seam(depths[:k], tail) if align else (1.0, 0.0)
            depths = np.maximum(depths * np.float32(s) + np.float32(t), 0.0)
            w = (np.arange(1, k + 1, dtype=np.float32) / (k + 1))[:, None, None]
            depths[:k] = (1 - w) * tail + w * depths[:k]
        keep = 0 if last else overlap
        yield from depths[: len(depths) - keep]
        tail = depths[len(depths) - keep :] if keep else None

    for rgb in frames:
        buf.append(rgb)
        if len(buf) == chunk_frames:
            yield from run(last=False)
            buf = buf[-overlap:]
    if tail is None or len(buf) > len(tail):
        if buf:
            yield from run(last=True)
    else:
        yield from tail


class VideoDepthAnythingEstimator(Estimator):
    """``predict`` takes one picture; ``predict_video`` takes a clip's frames in order (the temporal model)."""

    backend = "video_depth_anything"
    per_frame = False

    def __init__(
        self,
        name: str,
        model: Any,
        *,
        metric: bool,
        mode: str,
        device: str,
        fp32: bool,
        input_size: int,
        chunk_frames: int = CHUNK_FRAMES,
    ) -> None:
        super().__init__(name, "depth" if metric else "disparity", "m" if metric else "relative", device, None)
        self.model, self.mode, self.fp32, self.input_size = model, mode, fp32, input_size
        self.chunk_frames = int(chunk_frames)
        self.meta.update(mode=mode, input_size=input_size)
        if mode == "offline":
            self.meta["chunk_frames"] = self.chunk_frames
        self._fresh = stream_state(model)

    # one picture: a one-frame clip (upstream pads it to a window) or a one-frame stream
    def prepare(self, rgb: np.ndarray) -> Prepared:
        return Prepared(rgb, rgb.shape[0], rgb.shape[1])

    def forward(self, inputs: np.ndarray) -> np.ndarray:
        if self.mode == "stream":
            self.reset()
            try:
                return self._one(inputs)
            finally:
                self.reset()
        return self._clip(inputs[None])[0]

    def postprocess(self, outputs: Any, prep: Prepared, intrinsics: Intrinsics | None) -> DepthEstimate:
        values = np.asarray(outputs, dtype=np.float32).reshape(prep.height, prep.width)
        return DepthEstimate(values, self.kind, self.units, intrinsics_for(prep, intrinsics))

    def predict_video(
        self, frames: Iterable[np.ndarray], intrinsics: Intrinsics | None = None
    ) -> Iterator[DepthEstimate]:
        """One estimate per frame, in order, with the model's temporal context (frames: uint8 HxWx3 RGB)."""
        if self.mode == "stream":
            self.reset()
            depths: Iterable[np.ndarray] = (self._one(rgb) for rgb in frames)
        else:
            depths = chunked(frames, self._clip, align=not self.metric, chunk_frames=self.chunk_frames)
        for d in depths:
            prep = Prepared(None, d.shape[0], d.shape[1])
            est = self.postprocess(d, prep, intrinsics)
            est.meta = dict(self.meta)
            yield est

    def reset(self) -> None:
        """Forget the stream's past frames (its constructor's plain attributes are put back)."""
        for key, value in self._fresh.items():
            setattr(self.model, key, copy.deepcopy(value))

    def _clip(self, frames: np.ndarray) -> np.ndarray:
        torch = require("torch")
        fn = self.model.infer_video_depth
        with torch.inference_mode():
            depths, _ = fn(frames, -1, **call_kwargs(fn, self.input_size, self.device, self.fp32))
            if not self.fp32 and not np.all(np.isfinite(depths)):
                self._to_fp32()
                depths, _ = fn(frames, -1, **call_kwargs(fn, self.input_size, self.device, self.fp32))
        return np.asarray(depths, dtype=np.float32)

    def _one(self, rgb: np.ndarray) -> np.ndarray:
        torch = require("torch")
        fn = self.model.infer_video_depth_one
        with torch.inference_mode():
            depth = np.asarray(fn(rgb, **call_kwargs(fn, self.input_size, self.device, self.fp32)), np.float32)
        if not self.fp32 and not np.all(np.isfinite(depth)):
            self._to_fp32()  # the stream's cache already holds this frame: only later frames benefit
        return depth

    def _to_fp32(self) -> None:
        print(f"depthcore: {self.name} gave non-finite values in float16; using float32", file=sys.stderr)
        self.fp32 = True
        self.meta["fp32_fallback"] = True

    def close(self) -> None:
        self.model = None


def stream_state(model: Any) -> dict[str, Any]:
    """A copy of the plain (non-tensor, non-module) attributes a freshly built model has."""
    plain = (type(None), bool, int, float, str, list, dict, tuple)
    return {
        k: copy.deepcopy(v)
        for k, v in vars(model).items()
        if not k.startswith("_") and k != "training" and isinstance(v, plain)
    }


def load(folder: Path, name: str, device: str, dtype: Any, options: dict[str, Any]) -> VideoDepthAnythingEstimator:
    encoder = str(options.get("encoder") or "vits")
    if encoder not in MODEL_CONFIGS:
        raise UserError(f"unknown Video Depth Anything encoder {encoder!r} (vits, vitb, vitl)")
    notice = licence_notice(encoder)
    if notice and not options.get("accept_licence"):
        raise UserError(notice + " Pass --accept-licence to go on.")
    mode = str(options.get("vda_mode") or "offline")
    if mode not in MODES:
        raise UserError(f"unknown Video Depth Anything mode {mode!r} ({', '.join(MODES)})")
    metric = bool(options.get("metric")) or folder.name.startswith("metric_")
    weights = checkpoint_path(folder, encoder, metric)
    metric = metric or weights.name.startswith("metric_")
    module = import_checkout(options.get("vda_repo"), "video_depth_stream" if mode == "stream" else "video_depth")
    cls = module.VideoDepthAnything
    check_metric_support(cls, options.get("vda_repo"), metric, mode)
    model = cls(**model_kwargs(cls, encoder, metric))
    if encoder not in getattr(model, "intermediate_layer_idx", {encoder: None}):
        raise UserError(f"this checkout does not support the {encoder} encoder (update it: git pull)")
    load_weights(model, weights, encoder)
    torch = require("torch")
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is not None:
        torch.cuda.set_device(dev)  # upstream moves inputs to the bare device type
    fp32 = bool(options.get("fp32")) or dev.type == "cpu"  # autocast on cpu would mean bfloat16
    est = VideoDepthAnythingEstimator(
        name,
        model.to(device).eval(),
        metric=metric,
        mode=mode,
        device=device,
        fp32=fp32,
        input_size=int(options.get("input_size") or 518),
        chunk_frames=int(options.get("chunk_frames") or CHUNK_FRAMES),
    )
    est.meta["checkpoint"] = weights.name
    if notice:
        est.meta["licence"] = NON_COMMERCIAL
    return est
