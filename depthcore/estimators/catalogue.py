"""Known model names: which backend runs them, where their weights live, what they predict, their licence."""

from __future__ import annotations

from dataclasses import dataclass, field

NON_COMMERCIAL = "CC-BY-NC-4.0 (non-commercial use only)"


@dataclass(frozen=True)
class ModelEntry:
    """One downloadable (or user-provided) model."""

    name: str
    backend: str
    repo: str | None  # Hugging Face repo id; None = user-provided weights only
    kind: str  # "disparity" | "depth"
    units: str  # "relative" | "m"
    licence: str
    files: tuple[str, ...] = ()  # files to fetch from the repo; empty = the whole snapshot
    options: dict[str, object] = field(default_factory=dict)
    note: str = ""

    @property
    def non_commercial(self) -> bool:
        return "non-commercial" in self.licence


def _entries() -> list[ModelEntry]:
    e = [
        ModelEntry("dpt-hybrid-midas", "midas", "Intel/dpt-hybrid-midas", "disparity", "relative", "Apache-2.0"),
        ModelEntry("dpt-large", "midas", "Intel/dpt-large", "disparity", "relative", "Apache-2.0"),
    ]
    for size, lic in (("small", "Apache-2.0"), ("base", NON_COMMERCIAL), ("large", NON_COMMERCIAL)):
        cap = size.capitalize()
        e.append(
            ModelEntry(
                f"depth-anything-v2-{size}",
                "depth_anything_v2",
                f"depth-anything/Depth-Anything-V2-{cap}-hf",
                "disparity",
                "relative",
                lic,
            )
        )
        for scene in ("indoor", "outdoor"):
            e.append(
                ModelEntry(
                    f"depth-anything-v2-metric-{scene}-{size}",
                    "depth_anything_v2",
                    f"depth-anything/Depth-Anything-V2-Metric-{scene.capitalize()}-{cap}-hf",
                    "depth",
                    "m",
                    lic,
                )
            )
    for variant in ("nyu-kitti", "nyu", "kitti"):
        e.append(ModelEntry(f"zoedepth-{variant}", "zoedepth", f"Intel/zoedepth-{variant}", "depth", "m", "MIT"))
    e.append(
        ModelEntry("depth-pro", "depth_pro", "apple/DepthPro-hf", "depth", "m", "Apple sample code licence (see repo)")
    )
    for size in ("small", "large", "giant2"):
        e.append(
            ModelEntry(
                f"metric3d-vit-{size}",
                "metric3d",
                None,
                "depth",
                "m",
                "BSD-2-Clause",
                note="user-provided: an ONNX export (needs onnxruntime), a torch.export .pt2 or a TorchScript file",
            )
        )
    for size, enc, lic in (
        ("small", "vits", "Apache-2.0"),
        ("base", "vitb", NON_COMMERCIAL),
        ("large", "vitl", NON_COMMERCIAL),
    ):
        cap = size.capitalize()
        e.append(
            ModelEntry(
                f"video-depth-anything-{size}",
                "video_depth_anything",
                f"depth-anything/Video-Depth-Anything-{cap}",
                "disparity",
                "relative",
                lic,
                files=(f"video_depth_anything_{enc}.pth",),
                options={"encoder": enc},
                note="needs a Video-Depth-Anything checkout (--vda-repo)",
            )
        )
        e.append(
            ModelEntry(
                f"metric-video-depth-anything-{size}",
                "video_depth_anything",
                f"depth-anything/Metric-Video-Depth-Anything-{cap}",
                "depth",
                "m",
                lic,
                files=(f"metric_video_depth_anything_{enc}.pth",),
                options={"encoder": enc, "metric": True},
                note="needs a Video-Depth-Anything checkout (--vda-repo)",
            )
        )
    return e


CATALOGUE: dict[str, ModelEntry] = {m.name: m for m in _entries()}


def lookup(name: str) -> ModelEntry | None:
    """The entry named ``name`` (case-insensitive, ``_`` and ``-`` alike), or None."""
    return CATALOGUE.get(name.lower().replace("_", "-"))
