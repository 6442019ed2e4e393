"""Metric3D through real torch.export / TorchScript files: canonical camera and the fx rescale end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from depthcore.camera import Intrinsics
from depthcore.cli.main import main
from depthcore.errors import UserError

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.estimators

CANON = 12.5  # the scripted model predicts this canonical depth everywhere inside the image


class _Canonical(torch.nn.Module):
    """Depth = CANON where the input is not the padding colour (padding -> 0); normals point at the camera."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        inside = (x.abs().sum(dim=1, keepdim=True) > 1e-3).float()  # the ImageNet-mean padding normalises to 0
        depth = inside * 12.5  # CANON
        normal = torch.cat(
            [torch.zeros_like(depth), torch.zeros_like(depth), -torch.ones_like(depth), torch.ones_like(depth)], dim=1
        )
        return depth, normal


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("m3d") / "metric3d_tiny.pt2"
    torch.export.save(torch.export.export(_Canonical(), (torch.zeros(1, 3, 64, 96),)), str(path))
    return path


def test_torchscript_files_load_too(tmp_path: Path) -> None:
    import warnings

    from depthcore.estimators import load_estimator

    path = tmp_path / "metric3d_tiny.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is deprecated in torch 2.13, still loads
        torch.jit.trace(_Canonical(), torch.zeros(1, 3, 64, 96)).save(str(path))
        r = load_estimator(str(path), options={"metric3d_input_size": (64, 96)}).predict(
            np.full((8, 12, 3), 9, np.uint8)
        )
    assert r.kind == "depth" and r.values.shape == (8, 12)


def test_rescale_with_real_focal(scripted: Path) -> None:
    from depthcore.estimators import load_estimator

    est = load_estimator(str(scripted), options={"metric3d_input_size": (64, 96)})
    rgb = np.full((30, 40, 3), 200, np.uint8)
    s = min(64 / 30, 96 / 40)
    K = Intrinsics(321.0, 300.0, 19.5, 14.5, 40, 30)
    r = est.predict(rgb, K)
    assert r.kind == "depth" and r.units == "m" and r.intrinsics == K
    inner = r.values[2:-2, 2:-2]  # away from bilinear mixing with the zero padding
    assert np.allclose(inner, CANON * 321.0 * s / 1000.0, rtol=1e-5)
    assert r.meta["fx_used"] == 321.0 and r.meta["resize_scale"] == pytest.approx(s)
    assert np.allclose(r.normal[5, 5], [0, 0, -1])
    default = est.predict(rgb)
    assert default.intrinsics is None and "assumed 1000 px" in default.meta["focal_source"]
    assert np.allclose(default.values[2:-2, 2:-2], CANON * s, rtol=1e-5)


def test_cli_writes_model_normals(scripted: Path, photo: Path, tmp_path: Path) -> None:
    assert (
        main(["estimate", str(photo), "--model", str(scripted), "--out", str(tmp_path), "--normal", "--fx", "500"]) == 0
    )
    meta = json.loads((tmp_path / "photo.estimate.json").read_text())
    assert meta["backend"] == "metric3d" and meta["intrinsics"]["fx"] == 500.0
    from PIL import Image

    n = np.array(Image.open(tmp_path / "photo.normal.png"))
    assert (n[20, 40] == [127, 127, 0]).all()  # (0, 0, -1) * 127.5 + 127.5


def test_onnx_needs_onnxruntime(tmp_path: Path) -> None:
    import importlib.util

    from depthcore.estimators import load_estimator

    if importlib.util.find_spec("onnxruntime") is not None:
        pytest.skip("onnxruntime is installed")
    f = tmp_path / "metric3d.onnx"
    f.write_bytes(b"\x08\x07")
    with pytest.raises(UserError, match="pip install onnxruntime"):
        load_estimator(str(f))
