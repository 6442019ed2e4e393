"""Benchmark: whole-process ``depthcore normalise`` on a 3840x2160 float32 EXR against a read-EXR + write-PNG floor.

The floor is a script that reads the same EXR with the same library (OpenEXR), converts it with one fixed affine
map (no background detection, no range search) and writes a same-size 8-bit PNG with the same library and settings
(Pillow, zlib level 1). Both run as fresh processes; we print the median wall time of each, their ratio, and the
peak resident memory of each process (``wait4`` rusage), as a multiple of the float32 image size. Then 16 such
files with ``-j 1`` and ``-j 2``. Targets: ratio <= 1.3, peak <= 5x the image.

    python bench/normalise.py [--runs 7] [--files 16] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
W, H = 3840, 2160

FLOOR = """
import sys
import numpy as np
import OpenEXR
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
values = np.asarray(OpenEXR.File(src, separate_channels=True).parts[0].channels["Y"].pixels, dtype=np.float32)
grey = np.clip((values - 1.5) * 127.5, 0, 255).astype(np.uint8)
Image.fromarray(grey).save(dst, format="PNG", compress_level=1)
"""


def make_exr(path: Path, seed: int = 0) -> None:
    """A 4K depth frame in metres: a sloping floor, spheres at 1.5-3.5 m, the rest Cycles background (1e10)."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from depthcore.io import write_exr

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    depth = np.full((H, W), 1e10, dtype=np.float32)
    floor = y > H * 0.55
    depth[floor] = (3.5 - 2.0 * (y[floor] - H * 0.55) / (H * 0.45)).astype(np.float32)
    for _ in range(12):
        cx, cy, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(150, 500)
        z = rng.uniform(1.6, 3.0)
        d2 = 1 - ((x - cx) ** 2 + (y - cy) ** 2) / r**2
        inside = d2 > 0
        depth[inside] = np.minimum(depth[inside], z - 0.1 * np.sqrt(d2[inside]))
    depth += rng.normal(0, 1e-4, size=depth.shape).astype(np.float32) * (depth < 1e9)
    write_exr(path, {"Y": depth}, {"kind": "depth", "units": "m"})


RUN_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def timed(cmd: list[str]) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (bytes) and CPU seconds (user + system) of one process."""
    env = RUN_ENV
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def parallel_control(jobs: int = 2, tasks: int = 8, n: int = 2_000_000) -> float:
    """Speed-up of a pure-Python CPU burn on ``jobs`` processes: the parallelism this machine offers right now."""
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    for _ in range(tasks):
        _burn(n)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(jobs) as pool:
        t0 = time.perf_counter()
        list(pool.map(_burn, [n] * tasks))
        parallel = time.perf_counter() - t0
    return serial / parallel


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--make-exr", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_exr:
        make_exr(args.make_exr)
        return 0
    work = args.keep or Path(tempfile.mkdtemp(prefix="depthcore-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    try:
        src = work / "frame.exr"
        # generated in a child process: a forked child's peak RSS starts from its parent's, so the parent stays small
        subprocess.run([py, __file__, "--make-exr", str(src)], check=True, env=RUN_ENV)
        # Bytecode is cached as after a normal install (pip compiles it); an environment with
        # PYTHONDONTWRITEBYTECODE=1 would recompile depthcore's modules in every run. The cache lives in the
        # work folder, never in the repository.
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            RUN_ENV.pop("PYTHONDONTWRITEBYTECODE")
            RUN_ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
            print("note: PYTHONDONTWRITEBYTECODE is set here; runs use a bytecode cache in the work folder")
        image_bytes = W * H * 4
        floor_py = work / "floor.py"
        floor_py.write_text(FLOOR)
        out = work / "out"
        out.mkdir(exist_ok=True)
        floor_cmd = [py, str(floor_py), str(src), str(out / "floor.png")]
        ours_cmd = [py, "-m", "depthcore", "normalise", str(src), "--out-dir", str(out), "-q"]
        start_floor = [py, "-c", "import numpy, OpenEXR, PIL.Image"]
        start_ours = [py, "-c", "import depthcore.cli.main as m; m.build_parser()"]
        timed(floor_cmd), timed(ours_cmd)  # warm the page cache
        # interleave runs so machine load affects both alike
        floor_t, ours_t, floor_m, ours_m, sf_t, so_t, floor_c, ours_c = [], [], 0, 0, [], [], [], []
        for _ in range(args.runs):
            t, m, c = timed(floor_cmd)
            floor_t.append(t)
            floor_c.append(c)
            floor_m = max(floor_m, m)
            t, m, c = timed(ours_cmd)
            ours_t.append(t)
            ours_c.append(c)
            ours_m = max(ours_m, m)
            sf_t.append(timed(start_floor)[0])
            so_t.append(timed(start_ours)[0])
        f_med, o_med = statistics.median(floor_t), statistics.median(ours_t)
        sf_med, so_med = statistics.median(sf_t), statistics.median(so_t)
        mib = 1024 * 1024
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"input: {W}x{H} float32 EXR ({image_bytes / mib:.1f} MiB of pixels), {args.runs} runs each")
        print(f"machine: {os.cpu_count()} cores, load average {load} (other work slows both sides alike)")
        print(f"floor (read EXR + write 8-bit PNG): median {f_med:.3f} s, peak RSS {floor_m / mib:.0f} MiB")
        print(f"depthcore normalise:               median {o_med:.3f} s, peak RSS {ours_m / mib:.0f} MiB")
        print(f"ratio: {o_med / f_med:.2f}x the floor (target <= 1.3)")
        fc, oc = statistics.median(floor_c), statistics.median(ours_c)
        print(f"CPU time (user + sys, less sensitive to load): floor {fc:.3f} s, depthcore {oc:.3f} s, {oc / fc:.2f}x")
        print(
            f"start-up alone (imports + argument parser): floor {sf_med:.3f} s, depthcore {so_med:.3f} s "
            f"(+{(so_med - sf_med) * 1000:.0f} ms); work after start-up: ratio "
            f"{(o_med - so_med) / max(f_med - sf_med, 1e-9):.2f}x"
        )
        print(
            f"peak memory: {ours_m / image_bytes:.2f}x the float32 image (target <= 5); "
            f"floor {floor_m / image_bytes:.2f}x"
        )

        if args.files > 1:
            many = work / "many"
            many.mkdir(exist_ok=True)
            files = []
            for i in range(args.files):
                dst = many / f"frame_{i:03}.exr"
                shutil.copyfile(src, dst)
                files.append(str(dst))
            cmds = {}
            for jobs in (1, 2):
                o = work / f"out_j{jobs}"
                o.mkdir(exist_ok=True)
                cmds[jobs] = [py, "-m", "depthcore", "normalise", *files, "--out-dir", str(o), "-q", "-j", str(jobs)]
            walls: dict[int, list[float]] = {1: [], 2: []}
            cpus: dict[int, list[float]] = {1: [], 2: []}
            controls = []
            for _ in range(max(3, args.runs // 3)):  # interleaved, with the control, so load changes hit all alike
                for jobs, cmd in cmds.items():
                    wall, _, cpu = timed(cmd)
                    walls[jobs].append(wall)
                    cpus[jobs].append(cpu)
                controls.append(parallel_control())
            w1, w2 = statistics.median(walls[1]), statistics.median(walls[2])
            print(
                f"{args.files} files: -j 1 {w1:.2f} s, -j 2 {w2:.2f} s, speed-up {w1 / w2:.2f}x "
                f"(CPU used per wall second: -j 1 {statistics.median(cpus[1]) / w1:.2f}, "
                f"-j 2 {statistics.median(cpus[2]) / w2:.2f}; {os.cpu_count()} cores; control: a pure CPU burn "
                f"gets {statistics.median(controls):.2f}x from 2 processes on this machine now)"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
