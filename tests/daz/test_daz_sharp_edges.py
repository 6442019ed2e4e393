"""One test per sharp edge of the original (reference: daz_format_depthmap.md) -> what `depthcore daz` does."""

from __future__ import annotations

import numpy as np
import pytest

from . import ddp_model as ddp
from .conftest import png, run_process, shell_lines, write_exr

FLT_MAX = float(np.finfo(np.float32).max)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- input ---------------------------------------------------------------------------------------------------
def test_missing_y_channel_lists_the_channels(run, tmp_path):
    write_exr(tmp_path / "blender.exr", [1.0, 2.0], channel="Depth.Z")
    rc, out, err = run("daz", "blender.exr")
    assert rc == 2 and out == ""
    line = one_error_line(err)
    assert "blender.exr" in line and "no channel 'Y'" in line and "Depth.Z" in line and "--channel" in line
    assert not (tmp_path / "blender.depth.png").exists()


def test_channel_option_reads_another_channel(run, tmp_path):
    write_exr(tmp_path / "blender.exr", [10.0, 200.0, 250.0, 350.0], channel="Depth.Z")
    assert run("daz", "blender.exr", "--channel", "Depth.Z")[0] == 0
    assert png(tmp_path / "blender.depth.png").tolist() == [[255, 112, 74, 0]]


def test_empty_file_is_one_line_error(run, tmp_path):
    (tmp_path / "empty.exr").write_bytes(b"")
    rc, _, err = run("daz", "empty.exr")
    assert rc == 2 and "empty.exr" in one_error_line(err)


def test_upper_case_extension_is_accepted(run, tmp_path):
    write_exr(tmp_path / "SHOT.EXR", [10.0, 200.0, 250.0, 350.0])
    assert run("daz", "SHOT.EXR")[0] == 0
    assert png(tmp_path / "SHOT.depth.png").tolist() == [[255, 112, 74, 0]]


def test_missing_file_and_wrong_extension_are_refused_before_anything_runs(run, tmp_path):
    write_exr(tmp_path / "ok.exr", [1.0, 2.0])
    (tmp_path / "notes.txt").write_text("x")
    for bad, words in (("nope.exr", "does not exist"), ("notes.txt", "must end with .exr")):
        rc, out, err = run("daz", "ok.exr", bad)
        assert rc == 2 and out == "" and words in one_error_line(err)
    assert not (tmp_path / "ok.depth.png").exists()


# -- non-finite and sentinel values ---------------------------------------------------------------------------
def model_with_background(values: list[float], background: list[bool]) -> list[int]:
    """The model on the foreground alone; background pixels black (what the original gave unmapped pixels)."""
    fg = [v for v, b in zip(values, background) if not b]
    grey = iter(ddp.automatic(fg))
    return [0 if b else next(grey) for b in background]


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, FLT_MAX])
@pytest.mark.parametrize("where", [0, 3])
def test_non_finite_and_flt_max_pixels_are_background(run, tmp_path, bad, where):
    values = [10.0, 200.0, 250.0, 350.0, 120.0, 42.0]
    values[where] = bad
    write_exr(tmp_path / "x.exr", values)
    rc, _, err = run("daz", "x.exr", "--mask")
    assert rc == 0 and err == ""
    expected = model_with_background(values, [i == where for i in range(len(values))])
    assert png(tmp_path / "x.depth.png").tolist() == [expected]


def test_one_inf_pixel_no_longer_whitens_the_image(run, tmp_path):
    write_exr(tmp_path / "x.exr", [1.0, 2.0, 3.0, np.inf])
    run("daz", "x.exr")
    assert png(tmp_path / "x.depth.png").tolist() == [[255, 128, 0, 0]]  # original: [255, 255, 255, 0]


def test_inf_with_a_cutoff_is_clamped_like_the_original(run, tmp_path):
    write_exr(tmp_path / "x.exr", [1.0, 2.0, 5.0, np.inf])
    run("daz", "x.exr", "--depth_cutoff", "3")
    assert png(tmp_path / "x.depth.png").tolist() == [ddp.automatic([1.0, 2.0, 5.0, np.inf], cutoff=3.0)]


def test_all_background_is_an_error(run, tmp_path):
    write_exr(tmp_path / "x.exr", [np.nan, np.inf])
    rc, _, err = run("daz", "x.exr")
    assert rc == 2 and "background" in one_error_line(err)
    assert not (tmp_path / "x.depth.png").exists()


# -- cutoff ---------------------------------------------------------------------------------------------------
def test_cutoff_zero_is_honoured_not_ignored(run, tmp_path):
    write_exr(tmp_path / "neg.exr", [-3.0, -1.0, 2.0, 5.0])
    assert run("daz", "neg.exr", "--depth_cutoff", "0")[0] == 0
    assert png(tmp_path / "neg.depth.png").tolist() == [ddp.automatic([-3.0, -1.0, 0.0, 0.0])]


def test_cutoff_at_or_below_the_nearest_depth_is_refused(run, tmp_path):
    write_exr(tmp_path / "x.exr", [5.0, 6.0, 7.0])
    for cutoff in ("0", "2", "5"):
        rc, _, err = run("daz", "x.exr", "--depth_cutoff", cutoff)
        assert rc == 2 and "nearest depth" in one_error_line(err)
    assert not (tmp_path / "x.depth.png").exists()


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "1,5"])
def test_bad_cutoff_is_refused_before_any_file_is_read(run, tmp_path, text):
    (tmp_path / "broken.exr").write_bytes(b"not an exr")
    rc, _, err = run("daz", "broken.exr", "--depth_cutoff", text)
    line = one_error_line(err)
    assert rc == 2 and "--depth_cutoff" in line and "broken.exr" not in line


# -- constant images and compression ---------------------------------------------------------------------------
def test_constant_image_is_white(run, tmp_path):
    write_exr(tmp_path / "flat.exr", np.full((2, 3), 7.5))
    assert run("daz", "flat.exr")[0] == 0
    assert (png(tmp_path / "flat.depth.png") == 255).all()


def test_compression_with_one_distinct_depth_gives_the_first_level(run, tmp_path):
    write_exr(tmp_path / "flat.exr", np.full((2, 3), 7.5))
    rc, _, err = run("daz", "flat.exr", "--compress_map")
    assert rc == 0 and err == ""
    assert (png(tmp_path / "flat.depth.png") == 255).all()


def test_compression_with_a_one_value_split_in_the_shell(run, tmp_path):
    write_exr(tmp_path / "two.exr", [1.0, 1.0, 9.0, 9.0])
    script = "add 5\nallocate 0 128\nallocate 1 128\ncompress\nwrite\nquit\n"
    rc, out, _ = run("daz", "two.exr", "--interactive", stdin=script)
    assert rc == 0 and "mapping status was: Success" in out
    assert png(tmp_path / "two.depth.png").tolist() == [[255, 255, 127, 127]]  # offsets 0 and 128


# -- interactive -------------------------------------------------------------------------------------------------
def test_add_on_an_existing_boundary_cannot_make_an_empty_split(run, tmp_path):
    write_exr(tmp_path / "r.exr", [1.0, 2.0, 3.0, 4.0])
    rc, out, _ = run("daz", "r.exr", "--interactive", stdin="add 2\nadd 2\nadd 1\nshow_splits\nquit\n")
    lines = shell_lines(out)
    assert rc == 0
    assert lines[1:4] == [
        "Success",
        "Error - there is already a split starting at 2.0.",
        "Error - there is already a split starting at 1.0.",
    ]
    assert lines[4:] == [
        " ** 000: 1.0 to 2.0 - 256 levels assigned (label: Default)",
        " ** 001: 2.0 to 4.01 - 0 levels assigned (No Flags)",
    ]


def test_bad_commands_never_end_the_shell(run, tmp_path):
    write_exr(tmp_path / "r.exr", [1.0, 2.0, 3.0, 4.0])
    script = (
        "allocate x y\nallocate 0\nallocate 7 3\nallocate -1 3\nremove abc\ninspect 4\nflag 9\nrename 2 x\n"
        "getpixel a b\nmove 1\nadd far\nregion 0 north\nclearflag 0 nothing\nflag 0 test notacolour\ntest\n"
        "bogus\n\nwrite\nquit\n"
    )
    rc, out, err = run("daz", "r.exr", "--interactive", stdin=script)
    lines = shell_lines(out)
    assert rc == 0 and "Traceback" not in out + err
    assert lines[1:17] == [
        "Error - 'x' is not a split index",
        "Error - ALLOCATE {index} {levels}",
        "Error - index 7 out of range (1 registered splits)",
        "Error - index -1 out of range (1 registered splits)",
        "Error - REMOVE {index}",
        "Error - index 4 out of range (1 registered splits)",
        "Error - index 9 out of range (1 registered splits)",
        "Error - index 2 out of range (1 registered splits)",
        "Error - GETPIXEL {x} {y}",
        "Error - MOVE {from} {to}",
        "Error - ADD {depth}",
        "Error - REGION must be an integer, not 'north'",
        "Error - split 0 has no flag 'nothing'",
        "000: test = notacolour",
        "Error - split 0: TEST is not a colour Pillow knows: 'notacolour'",
        "*** Unknown syntax: bogus",
    ]
    assert lines[17] == "mapping status was: Success"
    assert (tmp_path / "r.depth.png").exists() and not (tmp_path / "r.test.png").exists()


def test_negative_levels_are_refused(run, tmp_path):
    write_exr(tmp_path / "r.exr", [1.0, 2.0])
    _, out, _ = run("daz", "r.exr", "--interactive", stdin="allocate 0 -10\ntotals\nquit\n")
    assert shell_lines(out)[1:] == [
        "Error - levels must be 0 or more, not -10",
        "256 levels allocated.",
        "Does not exceed maximum allocable levels, 256.",
    ]


def test_getpixel_checks_bounds(run, tmp_path):
    write_exr(tmp_path / "r.exr", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]])
    _, out, _ = run("daz", "r.exr", "--interactive", stdin="getpixel 2 1\ngetpixel 3 0\ngetpixel 0 -1\nquit\n")
    assert shell_lines(out)[1:] == [
        "Value at 2:1 (offset 5): 6.5",
        "Error - pixel 3 0 is outside the image (3x2: x 0 to 2, y 0 to 1)",
        "Error - pixel 0 -1 is outside the image (3x2: x 0 to 2, y 0 to 1)",
    ]


def test_over_allocation_writes_nothing_and_exits_non_zero(run, tmp_path):
    write_exr(tmp_path / "r.exr", [1.0, 2.0, 3.0, 4.0])
    script = "add 2\nallocate 1 10\ntotals\nwrite\nquit\n"
    rc, out, _ = run("daz", "r.exr", "--interactive", "--mask", stdin=script)
    assert rc == 2
    assert shell_lines(out)[3:] == [
        "266 levels allocated.",
        "Exceeds maximum allocable levels, 256.",
        "mapping status was: Failure to map: 266 levels allocated.",
        "as the mapping process was unsuccessful, no files will be written",
        "(did you allocate too many levels?)",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.exr"]


def test_fixing_an_over_allocation_before_quitting_exits_zero(run, tmp_path):
    write_exr(tmp_path / "r.exr", [1.0, 2.0, 3.0, 4.0])
    rc, _, _ = run("daz", "r.exr", "--interactive", stdin="add 2\nallocate 1 10\nwrite\nallocate 0 246\nwrite\n")
    assert rc == 0 and (tmp_path / "r.depth.png").exists()


def test_compression_toggle_does_not_leak_into_the_next_file(run, tmp_path):
    values = [10.0, 200.0, 250.0, 350.0]
    write_exr(tmp_path / "a.exr", values)
    write_exr(tmp_path / "b.exr", values)
    rc, out, _ = run("daz", "a.exr", "b.exr", "--interactive", stdin="compression\nwrite\nquit\nwrite\nquit\n")
    assert rc == 0 and out.count("Map compression toggled, now: True.") == 1
    assert png(tmp_path / "a.depth.png").tolist() == [[255, 170, 84, 0]]  # compressed
    assert png(tmp_path / "b.depth.png").tolist() == [[255, 112, 74, 0]]  # not


def test_eof_without_quit_ends_cleanly(tmp_path):
    write_exr(tmp_path / "a.exr", [1.0, 2.0])
    write_exr(tmp_path / "b.exr", [1.0, 2.0])
    proc = run_process("daz", "a.exr", "b.exr", "--interactive", cwd=tmp_path, stdin="totals\nwrite\n", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Welcome to the interactive shell.") == 2
    assert proc.stdout.count("mapping status was: Success") == 1
    assert (tmp_path / "a.depth.png").exists() and not (tmp_path / "b.depth.png").exists()


def test_user_errors_exit_2_with_one_line_in_a_real_process(tmp_path):
    write_exr(tmp_path / "z.exr", [1.0, 2.0], channel="Z")
    proc = run_process("daz", "z.exr", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_error_line(proc.stderr).startswith("depthcore daz: error: z.exr: no channel 'Y'")


def test_clearflag_works(run, tmp_path):
    write_exr(tmp_path / "r.exr", [1.0, 2.0])
    _, out, _ = run("daz", "r.exr", "--interactive", stdin="flag 0 region 2\nclearflag 0 REGION\nflag 0\nquit\n")
    assert shell_lines(out)[1:] == ["000: region = 2", "Success", " ** 000: label: Default"]


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, FLT_MAX])
def test_background_pixels_are_black_in_the_mask_too(run, tmp_path, bad):
    """QA: background (black in the depth map) was white, i.e. 'subject', in the mask."""
    values = [10.0, 200.0, 250.0, 350.0, bad, bad]
    write_exr(tmp_path / "x.exr", values)
    assert run("daz", "x.exr", "--mask")[0] == 0
    assert png(tmp_path / "x.depth.png").tolist() == [[255, 112, 74, 0, 0, 0]]
    assert png(tmp_path / "x.mask.png").tolist() == [[255, 255, 255, 0, 0, 0]]


def test_background_pixels_are_black_in_the_interactive_mask(run, tmp_path):
    write_exr(tmp_path / "x.exr", [10.0, 200.0, 250.0, 350.0, np.inf])
    assert run("daz", "x.exr", "--interactive", "--mask", stdin="write\nquit\n")[0] == 0
    assert png(tmp_path / "x.mask.png").tolist() == [[255, 255, 255, 0, 0]]


def test_output_name_taken_by_a_folder_is_one_line_error(run, tmp_path):
    """QA: a folder named like the output (x.depth.png/) gave an IsADirectoryError traceback."""
    write_exr(tmp_path / "x.exr", [10.0, 200.0, 250.0, 350.0])
    (tmp_path / "x.depth.png").mkdir()
    rc, out, err = run("daz", "x.exr", "--mask")
    assert rc == 2 and "x.depth.png" in one_error_line(err) and "is a folder" in err
    assert "mapping status was: Success" not in out
    assert not (tmp_path / "x.mask.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.depth.png", "x.exr"]
