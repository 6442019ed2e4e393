"""Tiny transformers depth models with random (re-initialised) weights, saved like a real checkpoint.

Default initialisation gives outputs near zero; convolutions are re-initialised with kaiming so min-max and
normal maps get a usable signal. No accuracy is ever claimed from these.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import transformers as tf

KINDS = ("dpt-large", "dpt-hybrid", "da-relative", "da-metric", "zoedepth", "depth-pro")


def _reinit(model: torch.nn.Module, seed: int = 0) -> None:
    torch.manual_seed(seed)
    for mod in model.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.kaiming_normal_(mod.weight)
            if mod.bias is not None:
                torch.nn.init.zeros_(mod.bias)


def _dinov2(**kw: object) -> tf.Dinov2Config:
    base = dict(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        image_size=56,
        patch_size=14,
        out_features=["stage1", "stage2"],
        reshape_hidden_states=False,
    )
    base.update(kw)
    return tf.Dinov2Config(**base)


def build(kind: str) -> tuple[torch.nn.Module, dict]:
    """(model, preprocessor config) for one tiny model kind."""
    if kind == "dpt-large":
        cfg = tf.DPTConfig(
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            image_size=64,
            patch_size=16,
            backbone_out_indices=[0, 1],
            neck_hidden_sizes=[16, 32],
            fusion_hidden_size=16,
            reassemble_factors=[1, 0.5],
            head_in_index=-1,
        )
        return tf.DPTForDepthEstimation(cfg), {"image_mean": [0.5] * 3, "image_std": [0.5] * 3}
    if kind == "dpt-hybrid":
        bit = tf.BitConfig(
            global_padding="same",
            layer_type="bottleneck",
            depths=[1, 1, 1],
            hidden_sizes=[16, 32, 64],
            embedding_size=8,
            num_groups=4,
            out_features=["stage1", "stage2", "stage3"],
            embedding_dynamic_padding=True,
        )
        cfg = tf.DPTConfig(
            is_hybrid=True,
            backbone_config=bit,
            backbone_featmap_shape=[1, 64, 4, 4],
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            image_size=64,
            patch_size=16,
            backbone_out_indices=[0, 1, 0, 1],
            neck_hidden_sizes=[16, 32, 32, 32],
            fusion_hidden_size=16,
            reassemble_factors=[1, 1, 1, 0.5],
            neck_ignore_stages=[0, 1],
        )
        return tf.DPTForDepthEstimation(cfg), {"image_mean": [0.5] * 3, "image_std": [0.5] * 3}
    if kind in ("da-relative", "da-metric"):
        extra = {"depth_estimation_type": "metric", "max_depth": 20} if kind == "da-metric" else {}
        cfg = tf.DepthAnythingConfig(
            backbone_config=_dinov2(),
            reassemble_hidden_size=32,
            patch_size=14,
            neck_hidden_sizes=[16, 32],
            fusion_hidden_size=16,
            head_hidden_size=16,
            reassemble_factors=[1.0, 0.5],
            **extra,
        )
        prep = {
            "size": {"height": 56, "width": 56},
            "keep_aspect_ratio": True,
            "ensure_multiple_of": 14,
            "resample": 3,
            "image_mean": [0.485, 0.456, 0.406],
            "image_std": [0.229, 0.224, 0.225],
        }
        return tf.DepthAnythingForDepthEstimation(cfg), prep
    if kind == "zoedepth":
        cfg = tf.ZoeDepthConfig(
            backbone_config=_dinov2(image_size=64, patch_size=16),
            backbone=None,
            neck_hidden_sizes=[16, 32],
            fusion_hidden_size=16,
            bottleneck_features=16,
            num_out_features=[16, 16, 16, 16],
            reassemble_factors=[1.0, 0.5],
        )
        prep = {
            "size": {"height": 64, "width": 64},
            "keep_aspect_ratio": True,
            "ensure_multiple_of": 32,
            "do_pad": True,
            "image_mean": [0.5] * 3,
            "image_std": [0.5] * 3,
        }
        return tf.ZoeDepthForDepthEstimation(cfg), prep
    if kind == "depth-pro":
        cfg = tf.DepthProConfig(
            patch_size=16,
            fusion_hidden_size=16,
            intermediate_hook_ids=[1, 0],
            intermediate_feature_dims=[10, 8],
            scaled_images_ratios=[0.5, 1.0],
            scaled_images_overlap_ratios=[0.0, 0.2],
            scaled_images_feature_dims=[12, 12],
            use_fov_model=True,
            image_model_config={
                "model_type": "dinov2",
                "num_hidden_layers": 2,
                "hidden_size": 16,
                "num_attention_heads": 1,
                "patch_size": 4,
            },
            patch_model_config={
                "model_type": "vit",
                "num_hidden_layers": 2,
                "hidden_size": 24,
                "num_attention_heads": 2,
                "patch_size": 6,
            },
            fov_model_config={
                "model_type": "vit",
                "num_hidden_layers": 2,
                "hidden_size": 32,
                "num_attention_heads": 4,
                "patch_size": 8,
            },
        )
        return tf.DepthProForDepthEstimation(cfg, use_fov_model=True), {"size": {"height": 32, "width": 32}}
    raise ValueError(kind)


def save_tiny(kind: str, folder: Path, seed: int = 0) -> Path:
    """Build, re-initialise and ``save_pretrained`` a tiny model (safetensors + preprocessor config)."""
    model, prep = build(kind)
    _reinit(model, seed)
    if kind == "depth-pro":  # give the random FOV head a plausible output (~60 degrees)
        last = model.fov_model.head.layers[-1]
        with torch.no_grad():
            last.weight.mul_(1e-3)
            last.bias.fill_(60.0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "preprocessor_config.json").write_text(json.dumps(prep))
    return folder
