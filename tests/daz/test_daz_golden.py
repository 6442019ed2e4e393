"""Golden tests of `depthcore daz`, hand-computed from the reference notes and the original's README."""

from __future__ import annotations

import numpy as np

from . import ddp_model as ddp
from .conftest import png, png_mode, write_exr

README = [10.0, 200.0, 250.0, 350.0]


def test_readme_example_without_compression(run, tmp_path):
    write_exr(tmp_path / "scene.exr", np.tile(README, (3, 1)))
    rc, out, err = run("daz", "scene.exr")
    assert (rc, out, err) == (0, "mapping status was: Success\n", "")
    img = png(tmp_path / "scene.depth.png")
    assert png_mode(tmp_path / "scene.depth.png") == "L" and img.shape == (3, 4)
    # round((x - 10) / 340.01 * 256): 0, 143, 181, 256 -> grey 255, 112, 74, 0 (256 clipped to black)
    assert img.tolist() == [[255, 112, 74, 0]] * 3


def test_readme_example_with_compression(run, tmp_path):
    write_exr(tmp_path / "scene.exr", np.tile(README, (2, 1)))
    rc, out, _ = run("daz", "scene.exr", "--compress_map")
    assert rc == 0 and out == "mapping status was: Success\n"
    # levels 0, 85, 171, 256 (the README says 0, 85, 170, 255; the tool rounds i/3*256 half-even)
    assert png(tmp_path / "scene.depth.png").tolist() == [[255, 170, 84, 0]] * 2


def test_level_256_quirk_needs_a_range_of_about_5_11(run, tmp_path):
    write_exr(tmp_path / "wide.exr", [0.0, 6.0])  # 6 / 6.01 * 256 = 255.57 -> level 256
    write_exr(tmp_path / "narrow.exr", [0.0, 5.0])  # 5 / 5.01 * 256 = 255.49 -> level 255
    assert run("daz", "wide.exr", "narrow.exr", "--mask")[0] == 0
    assert png(tmp_path / "wide.depth.png").tolist() == [[255, 0]]
    assert png(tmp_path / "narrow.depth.png").tolist() == [[255, 0]]


def test_mask_blackens_only_the_top_level_not_level_255(run, tmp_path):
    # range 10: level(x) = round(x / 10.01 * 256); 9.96 -> 254.72 -> 255; 10 -> 255.74 -> 256
    write_exr(tmp_path / "m.exr", [0.0, 5.0, 9.96, 10.0])
    rc, _, _ = run("daz", "m.exr", "--mask")
    assert rc == 0
    assert png(tmp_path / "m.depth.png").tolist() == [[255, 127, 0, 0]]  # 255 and 256 both black
    assert png(tmp_path / "m.mask.png").tolist() == [[255, 255, 255, 0]]  # only level 256 is black
    assert png_mode(tmp_path / "m.mask.png") == "L"


def test_cutoff_clamps_far_depths(run, tmp_path):
    write_exr(tmp_path / "c.exr", [1.0, 2.0, 3.0, 100.0])
    rc, out, _ = run("daz", "c.exr", "--depth_cutoff", "3")
    assert rc == 0 and out == "mapping status was: Success\n"
    # clamped to [1, 2, 3, 3]; span [1, 3.01): levels 0, 127, 255, 255
    assert png(tmp_path / "c.depth.png").tolist() == [[255, 128, 0, 0]]


def test_cutoff_in_scientific_notation_and_equals_form(run, tmp_path):
    write_exr(tmp_path / "c.exr", [1.0, 2.0, 3.0, 100.0])
    assert run("daz", "c.exr", "--depth_cutoff=3e0")[0] == 0
    assert png(tmp_path / "c.depth.png").tolist() == [[255, 128, 0, 0]]


def test_histo_prints_header_and_exact_buckets_then_writes(run, tmp_path):
    values = [0.0] + [i + 0.5 for i in range(20)] + [20.0]
    write_exr(tmp_path / "h.exr", np.asarray(values).reshape(2, 11))
    rc, out, _ = run("daz", "h.exr", "--depth_cutoff", "histo")
    lines = out.splitlines()
    assert rc == 0
    assert lines[0] == "** providing cutting histogram advice, but leaving depthmap unchanged"
    assert lines[1] == "** - 00 - 09.09% - 0.0 to 1.0"
    assert lines[2] == "** - 01 - 04.55% - 1.0 to 2.0"
    assert lines[19] == "** - 18 - 04.55% - 18.0 to 19.0"
    assert lines[20] == "** - 19 - 09.09% - 19.0 to 20.0"
    assert lines[21:] == ["mapping status was: Success"]
    assert lines[1:21] == ddp.histogram(values)
    assert (tmp_path / "h.depth.png").exists()  # histo still writes the (uncut) map


def test_histogram_matches_model_on_irregular_data(run, tmp_path):
    rng = np.random.default_rng(5)
    values = (rng.gamma(2.0, 40.0, size=(16, 24)) + 180.0).astype(np.float32)
    write_exr(tmp_path / "g.exr", values)
    _, out, _ = run("daz", "g.exr", "--depth_cutoff", "histo")
    assert out.splitlines()[1:21] == ddp.histogram([float(x) for x in values.ravel()])


def test_noise_is_seeded_and_only_touches_the_far_level(run, tmp_path):
    values = np.concatenate([np.linspace(1.0, 2.0, 200), np.full(800, 50.0)]).reshape(20, 50)
    write_exr(tmp_path / "n.exr", values)
    run("daz", "n.exr", "--noise", "--seed", "7")
    a = png(tmp_path / "n.depth.png")
    run("daz", "n.exr", "--noise", "--seed", "7")
    b = png(tmp_path / "n.depth.png")
    run("daz", "n.exr", "--noise", "--seed", "8")
    c = png(tmp_path / "n.depth.png")
    run("daz", "n.exr")
    plain = png(tmp_path / "n.depth.png")
    far = values >= 50.0
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(a[~far], plain[~far])  # subject untouched
    assert len(np.unique(a[far])) > 100  # uniform 0..255 over 800 pixels


def test_regions_without_region_flags_is_the_grey_map_in_rgb(run, tmp_path):
    write_exr(tmp_path / "r.exr", np.tile(README, (2, 1)))
    assert run("daz", "r.exr", "--regions")[0] == 0
    regions = png(tmp_path / "r.regions.png")
    assert regions.shape == (2, 4, 3)
    grey = png(tmp_path / "r.depth.png")
    assert np.array_equal(regions, np.repeat(grey[..., None], 3, axis=2))


def test_regions_colours_follow_the_hue_sequence(run, tmp_path):
    write_exr(tmp_path / "r.exr", np.tile(README, (2, 1)))
    script = "add 150\nadd 300\nregion 0 0\nregion 1 1\nregion 2 2\nwrite\nquit\n"
    rc, out, _ = run("daz", "r.exr", "--interactive", "--region", stdin=script)  # --region: argparse prefix
    assert rc == 0 and "mapping status was: Success" in out
    regions = png(tmp_path / "r.regions.png")
    # hsv(0,50%,50%), hsv(180,50%,50%), hsv(90,50%,50%) as Pillow resolves them
    assert regions[0].tolist() == [[128, 64, 64], [64, 128, 128], [64, 128, 128], [96, 128, 64]]


def test_output_is_written_next_to_the_input(run, tmp_path):
    sub = tmp_path / "renders"
    sub.mkdir()
    write_exr(sub / "frame.001.exr", README)
    assert run("daz", "renders/frame.001.exr", "--mask")[0] == 0
    assert sorted(p.name for p in sub.iterdir()) == ["frame.001.depth.png", "frame.001.exr", "frame.001.mask.png"]


def test_half_float_y_and_data_window(run, tmp_path):
    write_exr(tmp_path / "half.exr", np.tile(README, (2, 1)), half=True, origin=(5, 7))
    assert run("daz", "half.exr")[0] == 0
    assert png(tmp_path / "half.depth.png").tolist() == [[255, 112, 74, 0]] * 2


def test_many_files_one_line_each(run, tmp_path):
    for name in ("a", "b", "c"):
        write_exr(tmp_path / f"{name}.exr", README)
    rc, out, _ = run("daz", "a.exr", "b.exr", "c.exr")
    assert rc == 0 and out == "mapping status was: Success\n" * 3
