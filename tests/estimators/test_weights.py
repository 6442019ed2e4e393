"""Weights: lookup order, offline errors naming the folder, verification of files and checksums."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from depthcore.cli.main import main
from depthcore.errors import UserError
from depthcore.estimators.catalogue import CATALOGUE, lookup
from depthcore.estimators.weights import resolve, verify


def _safetensors(folder: Path) -> Path:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    f = folder / "model.safetensors"
    save_file({"w": np.arange(6, dtype=np.float32)}, str(f))
    (folder / "config.json").write_text(json.dumps({"model_type": "depth_anything"}))
    return f


def test_catalogue_names_backends_and_licences() -> None:
    assert lookup("Depth_Anything_V2_Small").name == "depth-anything-v2-small"
    assert {e.backend for e in CATALOGUE.values()} == {
        "midas",
        "depth_anything_v2",
        "zoedepth",
        "depth_pro",
        "metric3d",
        "video_depth_anything",
    }
    assert lookup("depth-anything-v2-large").non_commercial and not lookup("depth-anything-v2-small").non_commercial
    assert lookup("depth-anything-v2-metric-indoor-small").units == "m"


def test_offline_error_names_the_expected_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(UserError) as exc:
        resolve("zoedepth-nyu-kitti", tmp_path)
    assert str(tmp_path / "zoedepth-nyu-kitti") in str(exc.value) and "weights download" in str(exc.value)
    with pytest.raises(UserError, match="user-provided"):
        resolve("metric3d-vit-small", tmp_path)


def test_weights_dir_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _safetensors(tmp_path / "depth-anything-v2-small")
    monkeypatch.setenv("DEPTHCORE_WEIGHTS_DIR", str(tmp_path))
    path, entry = resolve("depth-anything-v2-small")
    assert path == tmp_path / "depth-anything-v2-small" and entry.backend == "depth_anything_v2"


def test_verify_detects_corruption_and_checksum_mismatch(tmp_path: Path) -> None:
    f = _safetensors(tmp_path / "m")
    assert verify(tmp_path / "m") == []
    meta = tmp_path / "m" / ".cache" / "huggingface" / "download"
    meta.mkdir(parents=True)
    digest = hashlib.sha256(f.read_bytes()).hexdigest()
    (meta / "model.safetensors.metadata").write_text(f"abc\n{digest}\n123\n")
    assert verify(tmp_path / "m") == []
    (meta / "model.safetensors.metadata").write_text(f"abc\n{'0' * 64}\n123\n")
    assert any("sha256" in p for p in verify(tmp_path / "m"))
    f.write_bytes(b"garbage")
    assert any("unreadable safetensors" in p for p in verify(tmp_path / "m"))


def test_cli_list_and_verify(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _safetensors(tmp_path / "zoedepth-nyu")
    assert main(["weights", "list", "--json", "--weights-dir", str(tmp_path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    present = {r["name"]: r["present"] for r in rows}
    assert present["zoedepth-nyu"] == str(tmp_path / "zoedepth-nyu")
    assert main(["weights", "verify", "zoedepth-nyu", "--weights-dir", str(tmp_path)]) == 0
    (tmp_path / "zoedepth-nyu" / "model.safetensors").write_bytes(b"xx")
    assert main(["weights", "verify", "zoedepth-nyu", "--weights-dir", str(tmp_path)]) == 2


def test_cli_download_offline_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["weights", "download", "dpt-large", "--weights-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(tmp_path / "dpt-large") in err[0]
    assert not (tmp_path / "dpt-large").exists()


def test_hugging_face_cache_is_found_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_models) -> None:
    """A model in the HF cache layout (refs/main -> snapshots/<rev>/) is found and loads offline."""
    import shutil

    import huggingface_hub.constants as hc

    from depthcore.estimators import load_estimator

    rev = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--depth-anything--Depth-Anything-V2-Small-hf"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(rev)
    shutil.copytree(tiny_models["da-relative"], repo / "snapshots" / rev)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hub"))
    path, entry = resolve("depth-anything-v2-small", tmp_path / "empty")
    assert path == repo / "snapshots" / rev and entry.name == "depth-anything-v2-small"
    est = load_estimator("depth-anything-v2-small", weights_dir=tmp_path / "empty")
    assert est.name == "depth-anything-v2-small" and est.kind == "disparity"


def test_device_selection() -> None:
    pytest.importorskip("torch")
    import torch

    from depthcore.estimators.device import pick_device, pick_dtype

    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    assert pick_device("auto") == ("cuda" if torch.cuda.is_available() else "mps" if mps else "cpu")
    assert pick_device("cpu") == "cpu" and pick_dtype("cpu") == torch.float32
    assert pick_dtype("cuda", fp32=False) == torch.float16 and pick_dtype("cuda", fp32=True) == torch.float32
    with pytest.raises(UserError, match="unknown device"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="no CUDA device"):
            pick_device("cuda")
