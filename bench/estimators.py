"""Estimator benchmark (CPU): pipeline overhead, streaming memory, frames/s. Ratios, never absolute targets.

1. A Depth-Anything-V2-Small-sized model (ViT-S/14 DINOv2 backbone, DPT head; random weights, saved and loaded
   through the real offline path) on a 518x518 image: ``predict`` (pre-processing + forward + post-processing)
   and predict + writing every image output, against the bare model forward measured in the same run
   (target: at most 1.15x).
2. The same model (input size 28 by default, so the run takes minutes) on a 1000-frame and a 100-frame synthetic
   64x48 video through ``depthcore estimate``, each in a fresh process: peak RSS ratio (target: at most 1.2x),
   and frames/s.

Run: ``PYTHONPATH=. .blender/4.2/python/bin/python bench/estimators.py`` (about 3-6 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["HF_HUB_OFFLINE"] = "1"


def build_da_v2_small(folder: Path) -> Path:
    """Depth-Anything-V2-Small architecture (transformers config of the -hf checkpoint), random weights."""
    import torch
    import transformers as tf

    backbone = tf.Dinov2Config(
        hidden_size=384,
        num_hidden_layers=12,
        num_attention_heads=6,
        intermediate_size=1536,
        image_size=518,
        patch_size=14,
        out_indices=[3, 6, 9, 12],
        reshape_hidden_states=False,
        apply_layernorm=True,
    )
    cfg = tf.DepthAnythingConfig(
        backbone_config=backbone,
        reassemble_hidden_size=384,
        patch_size=14,
        neck_hidden_sizes=[48, 96, 192, 384],
        fusion_hidden_size=64,
        head_hidden_size=32,
        reassemble_factors=[4, 2, 1, 0.5],
    )
    model = tf.DepthAnythingForDepthEstimation(cfg)
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.kaiming_normal_(m.weight)
    model.save_pretrained(folder, safe_serialization=True)
    prep = {
        "size": {"height": 518, "width": 518},
        "keep_aspect_ratio": True,
        "ensure_multiple_of": 14,
        "resample": 3,
        "image_mean": [0.485, 0.456, 0.406],
        "image_std": [0.229, 0.224, 0.225],
    }
    (folder / "preprocessor_config.json").write_text(json.dumps(prep))
    n = sum(p.numel() for p in model.parameters())
    import torch

    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"model: DA-V2-Small-sized, {n / 1e6:.1f}M parameters, random weights")
    return folder


def _interleaved_min(fns: dict[str, object], repeats: int) -> dict[str, float]:
    """Best time of each function, the functions interleaved per repeat (fair under a changing machine load)."""
    for fn in fns.values():
        fn()  # warm-up
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def image_overhead(model_dir: Path, work: Path, repeats: int, threads: int) -> None:
    from types import SimpleNamespace

    from PIL import Image

    from depthcore.cli.estimate import estimate_image
    from depthcore.estimators import load_estimator

    est = load_estimator(str(model_dir), device="cpu", threads=threads)
    rng = np.random.default_rng(0)
    rgb = (rng.random((518, 518, 3)) * 255).astype(np.uint8)
    img = work / "bench.png"
    Image.fromarray(rgb).save(img)
    prep = est.prepare(rgb)
    args = SimpleNamespace(
        out=work / "img_out", fx=None, fy=None, cx=None, cy=None, fov=None, camera=None, metric_scale=None,
        no_grey=False, bits=8, curve="linear", normal=False, a=6.283, bg_threshold=0.1,
    )  # fmt: skip
    t = _interleaved_min(
        {
            "bare": lambda: est.forward(prep.inputs),
            "predict": lambda: est.predict(rgb),
            "full": lambda: estimate_image(img, est, args),
        },
        repeats,
    )
    bare, predict, full = t["bare"], t["predict"], t["full"]
    outputs = est.forward(prep.inputs)
    parts = _interleaved_min(
        {"prepare": lambda: est.prepare(rgb), "post": lambda: est.postprocess(outputs, prep, None)}, 20
    )
    extra = parts["prepare"] + parts["post"]
    print(f"518x518 image, best of {repeats} (interleaved), {threads} torch thread(s):")
    print(f"  bare model forward                  {bare * 1000:.0f} ms")
    print(f"  predict (pre + forward + post)      {predict * 1000:.0f} ms  ratio {predict / bare:.3f} (target <= 1.15)")
    print(f"  predict + write EXR/PNG16/grey/json {full * 1000:.0f} ms  ratio {full / bare:.3f}")
    print(f"  frames/s at 518 px (predict): {1 / predict:.2f}")
    print(
        f"  pre-processing {parts['prepare'] * 1000:.1f} ms + post-processing {parts['post'] * 1000:.1f} ms "
        f"(best of 20): (forward + pre + post) / forward = {(bare + extra) / bare:.3f}"
    )


def _video(path: Path, frames: int) -> Path:
    import imageio_ffmpeg

    w, h = 64, 48
    writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=25, macro_block_size=1, ffmpeg_log_level="error")
    writer.send(None)
    y, x = np.mgrid[0:h, 0:w]
    for i in range(frames):
        img = np.stack([(x + i) % 256, y * 5, np.full_like(x, 90)], axis=2).astype(np.uint8)
        c = i % (w - 12)
        img[10:30, c : c + 12] = 240
        writer.send(np.ascontiguousarray(img).tobytes())
    writer.close()
    return path


RUN = """
import json, resource, sys, time
from depthcore.cli.main import main
t = time.perf_counter()
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "seconds": time.perf_counter() - t}))
"""


def video_memory(
    model_dir: Path, work: Path, long_frames: int, short_frames: int, input_size: int, threads: int
) -> None:
    results = {}
    for n in (short_frames, long_frames):
        clip = _video(work / f"clip{n}.mp4", n)
        cmd = [
            sys.executable,
            "-c",
            RUN,
            "estimate",
            str(clip),
            "--model",
            str(model_dir),
            "--device",
            "cpu",
            "--threads",
            str(threads),
            "--input-size",
            str(input_size),
            "--out",
            str(work / f"out{n}"),
            "--json-progress",
        ]
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        lines = p.stdout.strip().splitlines()
        summary = json.loads(lines[-1])
        done = json.loads(lines[-2])
        if summary["rc"] != 0:
            raise SystemExit(p.stderr)
        results[n] = (summary["maxrss_kb"] / 1024, done["frames"], done["frames_per_second"])
        print(
            f"video {n:5d} frames: peak RSS {results[n][0]:.0f} MiB, {done['frames_per_second']:.1f} frames/s "
            f"(64x48, input {input_size}, all outputs)"
        )
    ratio = results[long_frames][0] / results[short_frames][0]
    print(f"peak memory ratio {long_frames}/{short_frames} frames: {ratio:.3f}  (target <= 1.2)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--long", type=int, default=1000)
    ap.add_argument("--short", type=int, default=100)
    ap.add_argument("--video-input-size", type=int, default=28, help="model input for the video runs")
    ap.add_argument("--skip-image", action="store_true")
    ap.add_argument("--skip-video", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a shared box)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = build_da_v2_small(work / "da-v2-small-random")
        if not args.skip_image:
            image_overhead(model, work, args.repeats, args.threads)
        if not args.skip_video:
            video_memory(model, work, args.long, args.short, args.video_input_size, args.threads)


if __name__ == "__main__":
    main()
