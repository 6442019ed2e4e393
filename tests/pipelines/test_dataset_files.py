"""HDF5 frame writer, run manifest and preview (pure depthcore.dataset, read back with h5py/Pillow)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

from depthcore.dataset.frame_extras import category_maps_from_instances
from depthcore.dataset.hdf5_frame import dataset_digests, read_frame_hdf5, write_frame_hdf5
from depthcore.dataset.manifest import RunManifest
from depthcore.dataset.preview import contact_sheet
from depthcore.errors import UserError


def _frame() -> dict:
    rng = np.random.default_rng(1)
    return {
        "colors": rng.integers(0, 255, (6, 8, 3), dtype=np.uint8),
        "depth": np.full((6, 8), 1e10, np.float32),
        "instance_segmaps": np.arange(48, dtype=np.uint8).reshape(6, 8) % 3,
        "instance_attribute_maps": [{"idx": 0, "name": "World"}, {"idx": 1, "category_id": 4, "name": "Cube"}],
        "depthcore": {"units": "m"},
    }


def test_hdf5_frame_layout_matches_blenderproc_writer(tmp_path: Path) -> None:
    path = write_frame_hdf5(tmp_path / "0.hdf5", _frame())
    with h5py.File(path, "r") as f:
        assert f["colors"].dtype == np.uint8 and f["colors"].shape == (6, 8, 3)
        assert f["colors"].compression == "gzip" and f["depth"].compression == "gzip"
        assert f["instance_attribute_maps"].dtype.char == "S" and f["instance_attribute_maps"].shape == ()
        assert f["instance_attribute_maps"].compression is None
        maps = json.loads(f["instance_attribute_maps"][()])
    assert maps[1] == {"idx": 1, "category_id": 4, "name": "Cube"}
    back = read_frame_hdf5(path)
    np.testing.assert_array_equal(back["depth"], _frame()["depth"])
    assert json.loads(back["depthcore"]) == {"units": "m"}
    assert list(tmp_path.iterdir()) == [path]  # no temp files left


def test_dataset_digests_ignore_file_bytes(tmp_path: Path) -> None:
    a = write_frame_hdf5(tmp_path / "a.hdf5", _frame())
    b = write_frame_hdf5(tmp_path / "b.hdf5", dict(reversed(list(_frame().items()))))
    assert dataset_digests(a) == dataset_digests(b)
    changed = _frame()
    changed["depth"][0, 0] = 3.0
    c = write_frame_hdf5(tmp_path / "c.hdf5", changed)
    assert dataset_digests(c)["depth"] != dataset_digests(a)["depth"]


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_frame_hdf5(tmp_path / "0.hdf5", {"depth": np.zeros((2, 2), np.float32), "bad": object()})
    assert list(tmp_path.iterdir()) == []


def test_manifest_records_and_resume_checks(tmp_path: Path) -> None:
    m = RunManifest(tmp_path)
    m.start("batch_render", {"samples": 4})
    m.start("batch_render", {"samples": 4})  # same settings: fine
    with pytest.raises(UserError, match="other settings \\(samples\\)"):
        m.start("batch_render", {"samples": 8})
    f = tmp_path / "3.hdf5"
    f.write_bytes(b"x" * 100)
    assert not m.is_complete(3)
    m.mark_complete(3, [f], {"shard": "0/1"})
    assert m.is_complete(3) and m.complete_frames([1, 2, 3]) == {3}
    f.write_bytes(b"y" * 100)  # same size, other content
    assert m.is_complete(3) and not m.is_complete(3, verify=True)
    f.write_bytes(b"x" * 50)  # truncated
    assert not m.is_complete(3)
    f.unlink()
    assert not m.is_complete(3)


def test_category_map_from_instances() -> None:
    inst = np.array([[0, 1], [2, 2]], np.uint8)
    attrs = [{"idx": 0, "name": "World"}, {"idx": 1, "category_id": 7}, {"idx": 2, "category_id": 3}]
    np.testing.assert_array_equal(category_maps_from_instances(inst, attrs, default=0), [[0, 7], [3, 3]])


def test_contact_sheet(tmp_path: Path) -> None:
    frame = _frame()
    frame["depth"][2:4, 2:6] = np.linspace(1, 2, 8, dtype=np.float32).reshape(2, 4)
    path = write_frame_hdf5(tmp_path / "5.hdf5", frame)
    sheet = contact_sheet(path, height=12)
    assert sheet.shape == (12, 16 * 3 + 4 * 2, 3) and sheet.dtype == np.uint8
    grey = sheet[:, 16 + 4 : 32 + 4, 0]
    assert grey[5, 4] == 255 and grey[0, 0] == 0  # near = white, background black
    Image.fromarray(sheet)  # a valid image


def test_preview_never_overwrites_its_input(tmp_path: Path, capsys) -> None:
    """QA: `preview F.hdf5 F.hdf5` replaced the dataset frame with a PNG; `--height 0` was a traceback."""
    from depthcore.dataset.preview import main

    path = write_frame_hdf5(tmp_path / "0.hdf5", _frame())
    before = path.read_bytes()
    assert main([str(path), str(path)]) == 2
    assert path.read_bytes() == before
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "0.hdf5" in err[0] and "refusing to overwrite an input file" in err[0]
    with pytest.raises(SystemExit) as exc:
        main([str(path), str(tmp_path / "p.png"), "--height", "0"])
    assert exc.value.code == 2 and not (tmp_path / "p.png").exists()
    assert main([str(path), str(tmp_path / "p.png")]) == 0 and (tmp_path / "p.png").exists()
