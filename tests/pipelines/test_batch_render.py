"""`blender -b scene.blend --python pipelines/batch_render.py -- ...` through the bpy-backed launcher."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from pipe_paths import DEMO_FRAMES, LAUNCHER, REPO

from depthcore.dataset.hdf5_frame import dataset_digests, read_frame_hdf5
from depthcore.io import read_exr_channels, read_png

pytestmark = [pytest.mark.blender]

SCRIPT = str(REPO / "pipelines" / "batch_render.py")
COMMON = ("--resolution", "64x48", "--samples", "4")


@pytest.fixture(scope="session")
def batch_reference(run_blender, demo_scene, session_tmp: Path) -> Path:
    """All demo frames rendered in one uninterrupted run."""
    out = session_tmp / "batch-ref"
    proc = run_blender("-b", demo_scene[0], "--python", SCRIPT, "--", "--out", out, *COMMON,
                       "--outputs", "depth,distance,seg,color,png")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_batch_layout_matches_blenderproc_pipeline(batch_reference: Path, demo_render: Path) -> None:
    frames = sorted(int(p.stem) for p in batch_reference.glob("*.hdf5"))
    assert frames == list(range(1, DEMO_FRAMES + 1))  # the scene's frame range
    for f in frames:
        with h5py.File(batch_reference / f"{f}.hdf5") as a, h5py.File(demo_render / f"{f - 1}.hdf5") as b:
            for key in ("colors", "depth", "distance", "antialiased_depth", "category_id_segmaps",
                        "instance_segmaps", "instance_attribute_maps", "depthcore"):
                assert a[key].shape == b[key].shape and a[key].compression == b[key].compression, key
                assert a[key].dtype.kind == b[key].dtype.kind, key
            for key in ("colors", "depth", "distance", "antialiased_depth"):
                assert a[key].dtype == b[key].dtype, key
            # same .blend camera and pose: the planar depth agrees with BlenderProc's render
            da, db = a["depth"][()], b["depth"][()]
            assert np.array_equal(da >= 1e10, db >= 1e10)
            fg = da < 1e10
            rel = np.abs(da[fg] - db[fg]) / db[fg]
            assert np.percentile(rel, 99) < 1e-5 and rel.max() < 1e-3  # float noise; an odd grazing pixel
            assert np.all(a["distance"][()][~fg & (a["distance"][()] > 9999)] == np.float32(10000))



def test_batch_normals_match_blenderproc_encoding(run_blender, demo_scene, demo_render: Path, tmp_path: Path) -> None:
    """QA: batch HDF5 normals were world-space -1..1, BlenderProc's are 0.5 + 0.5 * n in camera axes."""
    out = tmp_path / "normals"
    proc = run_blender("-b", demo_scene[0], "--python", SCRIPT, "--", "--out", out, *COMMON,
                       "--frames", "2", "--outputs", "depth,seg,normals")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with h5py.File(out / "2.hdf5") as a, h5py.File(demo_render / "1.hdf5") as b:
        na, nb = a["normals"][()], b["normals"][()]
        assert na.dtype == nb.dtype == np.float32 and na.shape == nb.shape
        same_object = a["depth"][()] < 1e10
        assert np.percentile(np.abs(na - nb)[same_object], 99) < 1e-3
        assert na.min() >= 0.0 and na.max() <= 1.0

def test_batch_side_files(batch_reference: Path) -> None:
    legend = json.loads((batch_reference / "seg" / "legend.json").read_text())
    by_name = {v["name"]: (int(k), v["category_id"]) for k, v in legend.items()}
    assert by_name["Cube"][1] == 2 and by_name["Floor"][1] == 1 and by_name["background"] == (0, 0)
    for f in range(1, DEMO_FRAMES + 1):
        d = read_frame_hdf5(batch_reference / f"{f}.hdf5")
        seg = read_png(batch_reference / "seg" / f"{f}.png")
        assert seg.dtype == np.uint16
        np.testing.assert_array_equal(seg, d["instance_segmaps"])
        for name, (idx, cat) in by_name.items():
            assert np.all(d["category_id_segmaps"][seg == idx] == cat), name
        exr = read_exr_channels(batch_reference / "exr" / f"{f}.exr")
        assert set(exr) == {"depth", "distance"}
        fg = np.isfinite(exr["depth"])
        np.testing.assert_array_equal(exr["depth"][fg], d["depth"][fg])
        assert np.all(d["depth"][~fg] == np.float32(1e10))
        grey = read_png(batch_reference / "grey" / f"{f}.png")
        assert grey.dtype == np.uint8 and grey[~fg].max() == 0 and grey[fg].max() == 255
        colour = read_png(batch_reference / "color" / f"{f}.png")
        np.testing.assert_array_equal(colour, d["colors"])
        cam = json.loads((batch_reference / "camera" / f"{f}.json").read_text())
        assert cam["frame"] == f and cam["intrinsics"]["width"] == 64


def test_batch_frame_range(run_blender, demo_scene, batch_reference: Path, tmp_path: Path) -> None:
    proc = run_blender("-b", demo_scene[0], "--python", SCRIPT, "--", "--out", tmp_path, *COMMON,
                       "--outputs", "depth,distance,seg,color,png", "--frames", "2-3")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.glob("*.hdf5")) == ["2.hdf5", "3.hdf5"]
    for f in (2, 3):
        assert dataset_digests(tmp_path / f"{f}.hdf5") == dataset_digests(batch_reference / f"{f}.hdf5")


def test_batch_shards_cover_every_frame_once(run_blender, demo_scene, batch_reference: Path,
                                             tmp_path: Path) -> None:
    rendered = []
    for i in range(3):
        proc = run_blender("-b", demo_scene[0], "--python", SCRIPT, "--", "--out", tmp_path, *COMMON,
                           "--outputs", "depth,distance,seg,color,png", "--shard", f"{i}/3")
        assert proc.returncode == 0, proc.stderr[-3000:]
        records = [json.loads(p.read_text()) for p in (tmp_path / "manifest" / "frames").glob("*.json")]
        rendered += [r["frame"] for r in records if r["shard"] == f"{i}/3"]
    assert sorted(rendered) == list(range(1, DEMO_FRAMES + 1))  # each frame exactly once
    for f in rendered:
        assert dataset_digests(tmp_path / f"{f}.hdf5") == dataset_digests(batch_reference / f"{f}.hdf5")


def test_batch_killed_mid_run_resumes_to_identical_datasets(demo_scene, batch_reference: Path,
                                                            session_tmp: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    cmd = [str(LAUNCHER), "-b", str(demo_scene[0]), "--python", SCRIPT, "--", "--out", str(out), *COMMON,
           "--outputs", "depth,distance,seg,color,png"]
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(session_tmp / "blender-user")}
    for k in ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"):
        env.pop(k, None)
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = out / "manifest" / "frames"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if records.is_dir() and any(records.glob("*.json")):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)  # a real kill: no cleanup handlers run
    proc.wait()
    complete = sorted(records.glob("[0-9]*.json"))  # not the hidden temp files
    assert 1 <= len(complete) < DEMO_FRAMES
    rerun = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"{len(complete)} already complete" in rerun.stdout
    for f in range(1, DEMO_FRAMES + 1):
        assert dataset_digests(out / f"{f}.hdf5") == dataset_digests(batch_reference / f"{f}.hdf5"), f
        for sub, ext in (("grey", "png"), ("seg", "png"), ("color", "png")):
            assert (out / sub / f"{f}.{ext}").read_bytes() == (batch_reference / sub / f"{f}.{ext}").read_bytes()
    assert not [p for p in out.rglob(".*") if ".tmp" in p.name]


def test_batch_backplane_and_plan(run_blender, demo_scene, tmp_path: Path) -> None:
    from depthcore.normalise import NormaliseOptions, normalise
    from depthcore.plan import SpanPlan

    plan_file = SpanPlan.single(3.0, 12.0, levels=256).save(tmp_path / "plan.json")
    out = tmp_path / "bp"
    proc = run_blender("-b", demo_scene[0], "--python", SCRIPT, "--", "--out", out, *COMMON, "--frames", "2",
                       "--outputs", "depth,png", "--backplane", "auto", "--plan", plan_file)
    assert proc.returncode == 0, proc.stderr[-3000:]
    d = read_frame_hdf5(out / "2.hdf5")
    backplane = json.loads(d["depthcore"])["backplane_depth"]
    assert backplane > 5
    behind = d["depth"] >= backplane * (1 - 1e-4)
    assert behind.any() and not (d["depth"] >= 1e10).any()  # the backplane hides the sky
    grey = read_png(out / "grey" / "2.png")
    assert np.all(grey[behind] == 0)
    exr = read_exr_channels(out / "exr" / "2.exr")
    expected = normalise(exr["depth"], NormaliseOptions(backplane=backplane), plan=SpanPlan.load(plan_file)).grey
    np.testing.assert_array_equal(grey, expected)


@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        (("--frames", "0-99"), "outside the available frames 1-4"),
        (("--camera", "NoSuchCam"), "no camera named 'NoSuchCam'"),
        (("--outputs", "depth,sparkles"), "unknown --outputs sparkles"),
        (("--plan", "PLAN"), "plan.json"),
        ((), "the following arguments are required: --out"),
    ],
)
def test_batch_bad_input_one_line(run_blender, demo_scene, tmp_path: Path, extra, expect) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{not json")
    out = tmp_path / "out"
    extra = tuple(str(plan) if e == "PLAN" else e for e in extra)
    args = ("--out", out, *extra) if extra else ()
    proc = run_blender("-b", demo_scene[0], "--python", SCRIPT, "--", *args)
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and expect in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() or not any(out.rglob("*.hdf5"))


def test_bad_backplane_leaves_the_folder_usable(run_blender, demo_scene, tmp_path: Path) -> None:
    """QA: a backplane outside the clip range failed only after the run manifest was written, so the corrected
    command in the same folder was refused ('holds a run with other settings')."""
    out = tmp_path / "out"
    bad = run_blender("-b", demo_scene[0], "--python", SCRIPT, "--", "--out", out, *COMMON, "--frames", "1",
                      "--backplane", "-3", "--outputs", "depth")
    assert bad.returncode == 2
    errors = [line for line in bad.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "outside the camera's clip range" in errors[0], bad.stderr
    assert not out.exists() or not any(out.rglob("*.json"))
    good = run_blender("-b", demo_scene[0], "--python", SCRIPT, "--", "--out", out, *COMMON, "--frames", "1",
                       "--backplane", "20", "--outputs", "depth")
    assert good.returncode == 0, good.stderr[-2000:]
    assert (out / "1.hdf5").exists()


def test_ctrl_c_stops_after_the_current_frame_and_resumes(demo_scene, session_tmp: Path, tmp_path: Path) -> None:
    """QA: Blender's render callback swallowed the KeyboardInterrupt, so Ctrl-C was ignored and the run went on."""
    out = tmp_path / "interrupted"
    cmd = [str(LAUNCHER), "-b", str(demo_scene[0]), "--python", SCRIPT, "--", "--out", str(out),
           "--resolution", "64x48", "--samples", "512", "--outputs", "depth"]
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(session_tmp / "blender-user")}
    for k in ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"):
        env.pop(k, None)
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as a terminal has it
    records = out / "manifest" / "frames"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not any(records.glob("[0-9]*.json")):
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "stopping after this frame" in err and "rerun the same command to resume" in err
    done = sorted(records.glob("[0-9]*.json"))
    assert 1 <= len(done) < DEMO_FRAMES
    assert sorted(int(p.stem) for p in out.glob("*.hdf5")) == [int(p.stem) for p in done]
    rerun = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0 and f"{len(done)} already complete" in rerun.stdout, rerun.stderr[-2000:]
    assert len(list(out.glob("*.hdf5"))) == DEMO_FRAMES
