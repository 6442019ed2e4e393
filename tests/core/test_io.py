"""Depth I/O: EXR (single-part, multilayer, multi-part, HALF/FLOAT, data window, channels), PNG 8/16, NPY/NPZ."""

from __future__ import annotations

import json

import numpy as np
import pytest
from norm_helpers import multipart_exr, raw_exr, read_exr_raw
from PIL import Image

from depthcore.errors import UserError
from depthcore.io import exr_channels, read_depth, read_exr_channels, read_png, write_exr, write_png

RNG = np.random.default_rng(7)


def ramp(h=6, w=8):
    return (np.arange(h * w, dtype=np.float32).reshape(h, w) * 0.25 + 1.0).astype(np.float32)


def test_exr_float_single_part_exact(tmp_path):
    depth = RNG.uniform(0.1, 50, size=(9, 13)).astype(np.float32)
    img = read_depth(raw_exr(tmp_path / "a.exr", {"Z": depth}))
    assert img.values.dtype == np.float32
    assert img.values.shape == (9, 13)
    np.testing.assert_array_equal(img.values, depth)
    assert img.channel == "Z"


def test_exr_half_widened(tmp_path):
    depth = ramp()
    img = read_depth(raw_exr(tmp_path / "h.exr", {"Y": depth}, half=True))
    assert img.values.dtype == np.float32
    np.testing.assert_array_equal(img.values, depth.astype(np.float16).astype(np.float32))


def test_exr_half_max_is_background_value(tmp_path):
    depth = ramp()
    depth[0, 0] = 65504.0
    img = read_depth(raw_exr(tmp_path / "h.exr", {"Y": depth}, half=True))
    assert img.values[0, 0] == 65504.0


def test_blender_multilayer_picks_depth(tmp_path):
    d = ramp()
    chans = {
        "ViewLayer.Combined.R": d * 0,
        "ViewLayer.Combined.G": d * 0,
        "ViewLayer.Combined.B": d * 0,
        "ViewLayer.Combined.A": d * 0 + 1,
        "ViewLayer.Depth.Z": d,
        "ViewLayer.Mist.Z": d / 10,
    }
    path = raw_exr(tmp_path / "ml.exr", chans)
    img = read_depth(path)
    assert img.channel == "ViewLayer.Depth.Z"
    assert img.kind == "depth"
    np.testing.assert_array_equal(img.values, d)
    mist = read_depth(path, "ViewLayer.Mist.Z")
    assert mist.kind == "distance"
    np.testing.assert_allclose(mist.values, d / 10)


def test_other_view_layer_depth_beats_colour(tmp_path):
    d = ramp()
    path = raw_exr(tmp_path / "ml.exr", {"R": d * 0, "G": d * 0, "B": d * 0, "Render.Depth.Z": d})
    assert read_depth(path).channel == "Render.Depth.Z"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["R", "G", "B", "Y"], "Y"),
        (["Z", "Y"], "Y"),
        (["R", "Z"], "Z"),
        (["ViewLayer.Depth.Z", "Depth.Z"], "Depth.Z"),
        (["G", "R", "B"], "R"),
    ],
)
def test_auto_channel_order(tmp_path, names, expected):
    d = ramp()
    path = raw_exr(tmp_path / "c.exr", {n: d + i for i, n in enumerate(names)})
    img = read_depth(path)
    assert img.channel == expected
    np.testing.assert_array_equal(img.values, d + names.index(expected))


def test_channel_choice_and_unknown_lists_channels(tmp_path):
    d = ramp()
    path = raw_exr(tmp_path / "c.exr", {"Y": d, "Z": d * 2})
    np.testing.assert_array_equal(read_depth(path, "Z").values, d * 2)
    with pytest.raises(UserError) as err:
        read_depth(path, "Depth.Z")
    msg = str(err.value)
    assert str(path) in msg and "'Depth.Z'" in msg and "Y" in msg and "Z" in msg
    assert "\n" not in msg


def test_multipart_channels(tmp_path):
    d = ramp()
    path = multipart_exr(tmp_path / "mp.exr", [("rgba", {"R": d, "G": d, "B": d}), ("depth", {"Depth.Z": d * 3})])
    assert set(exr_channels(path)) == {"R", "G", "B", "Depth.Z"}
    img = read_depth(path)
    assert img.channel == "Depth.Z"
    np.testing.assert_array_equal(img.values, d * 3)


def test_data_window_honoured(tmp_path):
    d = ramp(3, 4)
    path = raw_exr(tmp_path / "dw.exr", {"Z": d}, data_window=((2, 1), (5, 3)), display_window=((0, 0), (7, 5)))
    img = read_depth(path)
    assert img.values.shape == (6, 8)
    np.testing.assert_array_equal(img.values[1:4, 2:6], d)
    outside = np.ones((6, 8), bool)
    outside[1:4, 2:6] = False
    assert np.isnan(img.values[outside]).all()
    stored = read_exr_channels(path, ["Z"], window="data")["Z"]
    np.testing.assert_array_equal(stored, d)


def test_bad_exr_is_user_error(tmp_path):
    bad = tmp_path / "bad.exr"
    bad.write_bytes(b"not an exr at all")
    with pytest.raises(UserError, match=r"bad\.exr"):
        read_depth(bad)
    empty = tmp_path / "empty.exr"
    empty.write_bytes(b"")
    with pytest.raises(UserError, match=r"empty\.exr"):
        read_depth(empty)


def test_missing_and_unsupported(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        read_depth(tmp_path / "nope.exr")
    txt = tmp_path / "a.txt"
    txt.write_text("1")
    with pytest.raises(UserError, match="unsupported"):
        read_depth(txt)


def test_write_exr_float32_with_metadata_read_independently(tmp_path):
    d = RNG.uniform(1, 2, size=(5, 7)).astype(np.float32)
    path = write_exr(tmp_path / "o.exr", {"Y": d}, {"kind": "depth", "units": "m", "range": [1.0, 2.0]})
    header, chans = read_exr_raw(path)
    assert chans["Y"].dtype == np.float32
    np.testing.assert_array_equal(chans["Y"], d)
    assert header["depthcore:kind"] == "depth"
    assert header["depthcore:units"] == "m"
    assert json.loads(header["depthcore:range"]) == [1.0, 2.0]
    assert not list(tmp_path.glob(".*tmp*"))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_png_round_trip_independent_reader(tmp_path, dtype):
    top = np.iinfo(dtype).max
    arr = RNG.integers(0, top, size=(10, 12), endpoint=True).astype(dtype)
    arr[0, 0], arr[0, 1] = 0, top
    path = write_png(tmp_path / "g.png", arr, {"units": "m"})
    with Image.open(path) as im:
        assert im.mode == ("L" if dtype == np.uint8 else "I;16")
        np.testing.assert_array_equal(np.asarray(im).astype(dtype), arr)
        assert im.text["depthcore:units"] == "m"
    np.testing.assert_array_equal(read_png(path), arr)


def test_png_16bit_read_as_depth(tmp_path):
    arr = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)
    Image.fromarray(arr).save(tmp_path / "d.png")
    img = read_depth(tmp_path / "d.png")
    np.testing.assert_array_equal(img.values, arr.astype(np.float32))


def test_npy_and_npz(tmp_path):
    d = ramp()
    np.save(tmp_path / "a.npy", d)
    np.testing.assert_array_equal(read_depth(tmp_path / "a.npy").values, d)
    np.savez(tmp_path / "b.npz", depth=d, other=d * 2)
    img = read_depth(tmp_path / "b.npz")
    assert img.kind == "depth"
    np.testing.assert_array_equal(img.values, d)
    np.testing.assert_array_equal(read_depth(tmp_path / "b.npz", "other").values, d * 2)
    with pytest.raises(UserError, match="arrays: depth, other"):
        read_depth(tmp_path / "b.npz", "nope")
    np.save(tmp_path / "c.npy", np.zeros((2, 3, 4)))
    with pytest.raises(UserError, match="2-D"):
        read_depth(tmp_path / "c.npy")


def test_blenderproc_hdf5_frame_reads_with_background_as_inf(tmp_path):
    """read_depth takes a BlenderProc-layout frame: depth (1e10 background) and distance (10000 background)."""
    import h5py

    from depthcore.io import read_depth

    depth = np.array([[1.5, 1e10], [2.0, 3.0]], np.float32)
    distance = np.array([[1.6, 10000.0], [2.1, 3.2]], np.float32)
    with h5py.File(tmp_path / "0.hdf5", "w") as f:
        f.create_dataset("depth", data=depth, compression="gzip")
        f.create_dataset("distance", data=distance, compression="gzip")
    img = read_depth(tmp_path / "0.hdf5")
    assert (img.kind, img.channel) == ("depth", "depth")
    assert img.values[0, 0] == np.float32(1.5) and np.isinf(img.values[0, 1])
    dist = read_depth(tmp_path / "0.hdf5", "distance")
    assert dist.kind == "distance" and np.isinf(dist.values[0, 1]) and dist.values[1, 1] == np.float32(3.2)
    with pytest.raises(UserError, match="no array 'colors'"):
        read_depth(tmp_path / "0.hdf5", "colors")
