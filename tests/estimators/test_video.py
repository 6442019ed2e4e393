"""Video end to end on a synthetic mp4: Annolid-compatible outputs, read back with independent readers."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import OpenEXR
import pytest
from PIL import Image

from depthcore.cli.main import main
from depthcore.video.reader import iter_frames, probe
from depthcore.video.writers import ply_vertex_count

from .conftest import make_video

pytestmark = pytest.mark.estimators


def _annolid_decode(line: str) -> np.ndarray:
    """Annolid's documented snippet for reading depth.ndjson (seed 001), verbatim in substance."""
    record = json.loads(line)
    encoded = record["otherData"]["depth_map"]["image_data"]
    scale = record["otherData"]["depth_map"]["scale"]
    image = Image.open(io.BytesIO(base64.b64decode(encoded)))
    quant = np.array(image, dtype=np.float32)
    return (quant / 65535.0) * (scale["max"] - scale["min"]) + scale["min"]


def test_bundled_ffmpeg_reads_what_it_wrote(video: Path) -> None:
    info = probe(video)
    assert (info.width, info.height, info.fps) == (64, 48, 10.0) and info.frame_count == 12
    frames = list(iter_frames(video, target_fps=5, max_res=32))
    assert [f[1] for f in frames] == [0, 2, 4, 6, 8, 10]
    assert frames[0][2].shape == (24, 32, 3)
    assert len(list(iter_frames(video, max_frames=3))) == 3


def test_video_outputs(
    video: Path, tiny_models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "out"
    rc = main(
        ["estimate", str(video), "--model", str(tiny_models["da-relative"]), "--out", str(out), "--json-progress"]
    )
    assert rc == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    progress = [e for e in events if e["event"] == "progress"]
    assert [e["done"] for e in progress] == list(range(1, 13)) and progress[-1]["total"] == 12
    done = events[-1]
    assert done["event"] == "done" and done["frames"] == 12 and done["stabilised"] is True
    lines = (out / "depth.ndjson").read_text().splitlines()
    assert len(lines) == 12
    rec = json.loads(lines[3])
    assert set(rec) == {
        "version",
        "flags",
        "shapes",
        "imagePath",
        "imageHeight",
        "imageWidth",
        "otherData",
        "frame_index",
        "video_name",
    }
    dm = rec["otherData"]["depth_map"]
    assert dm["dtype"] == "uint16" and dm["kind"] == "disparity" and dm["units"] == "relative"
    assert "intrinsics" in dm and rec["frame_index"] == 3 and rec["video_name"] == "clip.mp4"
    assert (rec["imageHeight"], rec["imageWidth"]) == (48, 64)
    with np.load(out / "clip_depths.npz") as npz:
        depths = npz["depths"]
    assert depths.shape == (12, 48, 64) and depths.dtype == np.float32
    for i, line in enumerate(lines):
        decoded = _annolid_decode(line)
        scale = json.loads(line)["otherData"]["depth_map"]["scale"]
        step = (scale["max"] - scale["min"]) / 65535.0
        assert np.abs(decoded - depths[i]).max() <= 0.5 * step + 1e-6 * abs(scale["max"])
    with OpenEXR.File(str(out / "clip_depths_exr" / "frame_00005.exr")) as f:
        z = np.array(f.channels()["Z"].pixels)
        assert f.header()["depthcore:kind"] == "disparity"
    assert np.array_equal(z, depths[5])
    assert len(list((out / "depth_frames").glob("depth_*.png"))) == 12
    assert np.array(Image.open(out / "depth_frames" / "depth_00000.png")).shape == (48, 64, 3)
    nframes, _ = imageio_ffmpeg.count_frames_and_secs(str(out / "clip_vis.mp4"))
    assert nframes == 12
    assert not list(out.glob(".*")), "no temporary files left behind"


def test_point_clouds_need_metric_depth_and_a_camera(
    video: Path, tiny_models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rc = main(
        [
            "estimate",
            str(video),
            "--model",
            str(tiny_models["da-relative"]),
            "--out",
            str(tmp_path / "a"),
            "--point-clouds",
            "--max-frames",
            "2",
        ]
    )
    assert rc == 2 and "point clouds need metric depth" in capsys.readouterr().err
    rc = main(
        [
            "estimate",
            str(video),
            "--model",
            str(tiny_models["da-metric"]),
            "--out",
            str(tmp_path / "b"),
            "--point-clouds",
            "--max-frames",
            "2",
        ]
    )
    assert rc == 2 and "point clouds need the camera" in capsys.readouterr().err
    out = tmp_path / "c"
    rc = main(
        [
            "estimate",
            str(video),
            "--model",
            str(tiny_models["da-metric"]),
            "--out",
            str(out),
            "--point-clouds",
            "--max-frames",
            "2",
            "--fx",
            "50",
            "--point-stride",
            "2",
            "--no-vis",
        ]
    )
    assert rc == 0
    csv = (out / "point_clouds" / "point_0001.csv").read_text().splitlines()
    assert csv[0] == "x,y,z,intensity,red,green,blue" and len(csv) == 1 + 24 * 32
    row = [float(v) for v in csv[1].split(",")]
    assert row[3] == row[2]  # intensity = z
    assert ply_vertex_count(out / "point_clouds" / "point_0001.ply") == 24 * 32
    with OpenEXR.File(str(out / "clip_depths_exr" / "frame_00000.exr")) as f:
        z = np.array(f.channels()["Z"].pixels)
    # first CSV point is pixel (0, 0): x = (0 - cx) / fx * z with cx = (W-1)/2
    first = [float(v) for v in (out / "point_clouds" / "point_0000.csv").read_text().splitlines()[1].split(",")]
    assert first[2] == pytest.approx(z[0, 0], rel=1e-5)
    assert first[0] == pytest.approx((0 - 31.5) / 50 * z[0, 0], rel=1e-5)
    assert not (out / "clip_vis.mp4").exists()


def test_scene_cut_and_metric_skip_stabilisation(
    tmp_path: Path, tiny_models: dict[str, Path], capsys: pytest.CaptureFixture
) -> None:
    clip = make_video(tmp_path / "cut.mp4", 8, cut_at=4)
    rc = main(
        [
            "estimate",
            str(clip),
            "--model",
            str(tiny_models["da-relative"]),
            "--out",
            str(tmp_path / "r"),
            "--json-progress",
            "--no-vis",
            "--no-frames",
            "--no-exr",
        ]
    )
    assert rc == 0
    done = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert done["scene_cuts"] == [4]
    rc = main(
        [
            "estimate",
            str(clip),
            "--model",
            str(tiny_models["da-metric"]),
            "--out",
            str(tmp_path / "m"),
            "--json-progress",
            "--no-vis",
            "--no-frames",
            "--no-exr",
            "--no-npz",
        ]
    )
    assert rc == 0
    done = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert done["stabilised"] is False and done["units"] == "m"


def test_not_a_video_is_a_user_error(
    tmp_path: Path, tiny_models: dict[str, Path], capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 100)
    assert main(["estimate", str(bad), "--model", str(tiny_models["da-relative"]), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken.mp4" in err[0]
