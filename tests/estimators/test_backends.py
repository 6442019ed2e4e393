"""Every transformers backend end to end: tiny random model saved -> loaded offline -> CLI -> files read back.

No accuracy is claimed from random weights; these check plumbing, shapes, kinds, units and file contents.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import OpenEXR
import pytest
from PIL import Image

from depthcore.cli.main import main
from depthcore.estimators.controlnet_midas import midas_grey, midas_normal

pytestmark = pytest.mark.estimators

EXPECT = {
    "dpt-large": ("midas", "disparity", "relative"),
    "dpt-hybrid": ("midas", "disparity", "relative"),
    "da-relative": ("depth_anything_v2", "disparity", "relative"),
    "da-metric": ("depth_anything_v2", "depth", "m"),
    "zoedepth": ("zoedepth", "depth", "m"),
    "depth-pro": ("depth_pro", "depth", "m"),
}


def _exr(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    with OpenEXR.File(str(path)) as f:
        return {k: np.array(v.pixels) for k, v in f.channels().items()}, dict(f.header())


@pytest.mark.parametrize("kind", list(EXPECT))
def test_cli_end_to_end(
    kind: str, tiny_models: dict[str, Path], photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    backend, value_kind, units = EXPECT[kind]
    rc = main(
        [
            "estimate",
            str(photo),
            "--model",
            str(tiny_models[kind]),
            "--out",
            str(tmp_path),
            "--normal",
            "--resolution",
            "64",
            "--bits",
            "16",
            "--json-progress",
        ]
    )
    assert rc == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    model = next(e for e in events if e["event"] == "model")
    assert (model["backend"], model["kind"], model["units"]) == (backend, value_kind, units)
    assert events[-1]["event"] == "done"
    channels, header = _exr(tmp_path / "photo.depth.exr")
    ((name, values),) = channels.items()
    assert name == ("Z" if value_kind == "depth" else "disparity")
    assert values.shape == (48, 80) and values.dtype == np.float32 and np.isfinite(values).all()
    assert values.std() > 0  # re-initialised weights give a signal
    assert header["depthcore:kind"] == value_kind and header["depthcore:units"] == units
    if units == "m":
        assert values.min() >= 0
    q = np.array(Image.open(tmp_path / "photo.depth16.png"))
    assert q.dtype == np.uint16 and q.min() == 0 and q.max() == 65535
    scale = json.loads(Image.open(tmp_path / "photo.depth16.png").text["depthcore:scale"])
    decoded = q / 65535.0 * (scale["max"] - scale["min"]) + scale["min"]
    assert np.abs(decoded - values).max() <= (scale["max"] - scale["min"]) / 65535.0
    grey = np.array(Image.open(tmp_path / "photo.grey.png"))
    assert grey.dtype == np.uint16 and grey.shape == (48, 80)
    # near = white: the pixel with the largest disparity / smallest depth is the brightest
    near = np.unravel_index(np.argmax(values) if value_kind == "disparity" else np.argmin(values), values.shape)
    assert grey[near] == grey.max()
    normal = np.array(Image.open(tmp_path / "photo.normal.png"))
    # MiDaS maps stay at the detect resolution, as controlnet_aux returns them
    assert normal.shape == ((64, 107, 3) if backend == "midas" else (48, 80, 3)) and normal.dtype == np.uint8
    meta = json.loads((tmp_path / "photo.estimate.json").read_text())
    assert meta["kind"] == value_kind and meta["backend"] == backend
    if kind == "depth-pro":  # the FOV head gives a focal length, hence intrinsics
        assert meta["focal_source"] == "fov head" and meta["intrinsics"]["width"] == 80


@pytest.mark.parametrize("sizing", ["pad64", "round64"])
@pytest.mark.parametrize("kind", ["dpt-hybrid", "dpt-large"])
def test_midas_controlnet_maps_come_from_the_raw_output(
    kind: str, sizing: str, tiny_models: dict[str, Path], photo: Path
) -> None:
    from depthcore.estimators import load_estimator
    from depthcore.estimators.imaging import load_rgb

    est = load_estimator(str(tiny_models[kind]), options={"resolution": 64, "sizing": sizing})
    rgb = load_rgb(photo)
    prep = est.prepare(rgb)
    # 48x80 at resolution 64: pad64 -> 64x107 padded to 64x128; round64 -> 64x128 (106.7 rounds to 128)
    assert tuple(prep.inputs.shape[-2:]) == (64, 128)
    r = est.predict(rgb)
    assert r.raw.shape == ((64, 107) if sizing == "pad64" else (64, 128))
    assert r.values.shape == (48, 80)
    g = midas_grey(r.raw)
    assert g.min() == 0 and g.max() == 255
    n = midas_normal(r.raw)
    assert n.shape == (*r.raw.shape, 3)


def test_midas_written_maps_equal_the_formula(tiny_models: dict[str, Path], photo: Path, tmp_path: Path) -> None:
    from depthcore.estimators import load_estimator
    from depthcore.estimators.imaging import load_rgb

    assert (
        main(
            [
                "estimate",
                str(photo),
                "--model",
                str(tiny_models["dpt-hybrid"]),
                "--out",
                str(tmp_path),
                "--normal",
                "--resolution",
                "64",
                "--a",
                "3.0",
                "--bg-threshold",
                "0.2",
            ]
        )
        == 0
    )
    r = load_estimator(str(tiny_models["dpt-hybrid"]), options={"resolution": 64}).predict(load_rgb(photo))
    assert (np.array(Image.open(tmp_path / "photo.midas.png")) == midas_grey(r.raw)).all()
    assert (np.array(Image.open(tmp_path / "photo.normal.png")) == midas_normal(r.raw, 3.0, 0.2)).all()


def test_metric_depth_with_user_focal_and_scaled_relative(
    tiny_models: dict[str, Path], photo: Path, tmp_path: Path
) -> None:
    from depthcore.estimators import load_estimator, scaled_to_metric
    from depthcore.estimators.imaging import load_rgb

    est = load_estimator(str(tiny_models["depth-pro"]))
    rgb = load_rgb(photo)
    auto = est.predict(rgb)
    from depthcore.camera import Intrinsics

    K = Intrinsics(2 * auto.intrinsics.fx, 2 * auto.intrinsics.fx, 39.5, 23.5, 80, 48)
    user = est.predict(rgb, K)
    # depth = 1 / (inv * W / f): doubling f doubles depth where not clamped
    ok = (auto.values < 5e3) & (user.values < 1e4 - 1)
    assert ok.mean() > 0.5
    assert np.allclose(user.values[ok], 2 * auto.values[ok], rtol=1e-4)
    rel = load_estimator(str(tiny_models["da-relative"])).predict(rgb)
    m = scaled_to_metric(rel, 0.5, 0.1)
    disp = 0.5 * rel.values.astype(np.float64) + 0.1
    pos = disp > 0
    assert m.metric and m.units == "m" and pos.mean() > 0.5
    assert np.allclose(m.values[pos], 1 / disp[pos], rtol=1e-5) and np.isinf(m.values[~pos]).all()


def test_bad_inputs_are_one_line_errors(
    tiny_models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    assert main(["estimate", str(bad), "--model", str(tiny_models["da-relative"])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.png" in err[0] and "not a readable image" in err[0]
    assert main(["estimate", str(bad), "--model", str(tmp_path / "nowhere")]) == 2
    assert "model folder does not exist" in capsys.readouterr().err
    assert main(["estimate", str(bad), "--model", "no-such-model"]) == 2
    assert "unknown model" in capsys.readouterr().err
    folder = tmp_path / "binonly"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "depth_anything"}))
    (folder / "pytorch_model.bin").write_bytes(b"PK")
    assert main(["estimate", str(bad), "--model", str(folder)]) == 2
    assert "no .safetensors weights (pickled .bin files are never loaded)" in capsys.readouterr().err


def test_inputs_are_never_overwritten(
    tiny_models: dict[str, Path], photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    target = tmp_path / "photo.grey.png"
    target.write_bytes(photo.read_bytes())
    before = target.read_bytes()
    assert main(["estimate", str(target), "--model", str(tiny_models["da-relative"]), "--out", str(tmp_path)]) == 0
    # input "photo.grey.png" -> outputs "photo.grey.*": none of them is the input itself
    assert target.read_bytes() == before


def test_json_progress_reports_errors_and_several_images(
    tiny_models: dict[str, Path], photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    second = tmp_path / "second.png"
    second.write_bytes(photo.read_bytes())
    model = str(tiny_models["da-relative"])
    assert main(["estimate", str(photo), str(second), "--model", model, "--out", str(tmp_path), "--json-progress"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["done"] for e in events if e["event"] == "progress"] == [1, 2]
    assert (tmp_path / "photo.depth.exr").is_file() and (tmp_path / "second.depth.exr").is_file()
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    assert main(["estimate", str(bad), "--model", model, "--out", str(tmp_path), "--json-progress"]) == 2
    out = capsys.readouterr()
    last = json.loads(out.out.splitlines()[-1])
    assert last["event"] == "error" and "bad.png" in last["message"]
    assert len(out.err.strip().splitlines()) == 1
