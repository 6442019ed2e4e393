"""`depthcore shell`: the same shell over any depth file, writing with depthcore's modern rule."""

from __future__ import annotations

import json

import numpy as np

from depthcore.io import png_text
from depthcore.plan import SpanPlan

from .conftest import png, run_process, shell_lines, write_exr


def blender_exr(tmp_path):
    values = np.linspace(2.0, 6.0, 8 * 16, dtype=np.float32).reshape(8, 16)
    values[0, :4] = 1e10  # Cycles background
    write_exr(tmp_path / "frame.exr", values, channel="ViewLayer.Depth.Z")
    return values


def test_modern_write_reads_blender_channels_and_marks_background(run, tmp_path):
    values = blender_exr(tmp_path)
    rc, out, err = run("shell", "frame.exr", "--mask", stdin="show_splits\nwrite\nquit\n")
    assert rc == 0 and err == ""
    lines = shell_lines(out)
    assert lines[0].startswith("frame.exr: 16x8, depths ")
    assert lines[2] == f" ** 000: {float(values[0, 4])} to 6.0 - 256 levels assigned (label: Default)"
    assert "wrote frame.depth.png" in lines and "wrote frame.mask.png" in lines
    grey, mask = png(tmp_path / "frame.depth.png"), png(tmp_path / "frame.mask.png")
    assert grey.dtype == np.uint8
    assert grey[0, 4] == 255 and grey[-1, -1] == 0  # nearest white, farthest black (last span closed)
    assert (grey[0, :4] == 0).all() and (mask[0, :4] == 0).all() and (mask[1:] == 255).all()
    fg = values < 1e9
    order = np.argsort(values[fg])
    assert (np.diff(grey[fg][order].astype(int)) <= 0).all()  # nearer is never darker
    meta = png_text(tmp_path / "frame.depth.png")
    assert json.loads(meta["depthcore:plan"])["spans"][0]["levels"] == 256


def test_sixteen_bit_and_invert(run, tmp_path):
    blender_exr(tmp_path)
    assert run("shell", "frame.exr", "--bits", "16", "--invert", stdin="write\n")[0] == 0
    grey = png(tmp_path / "frame.depth.png")
    assert grey.dtype == np.uint16 and grey[0, 4] == 0 and grey[-1, -1] == 65535 and (grey[0, :4] == 65535).all()


def test_save_load_undo_and_help(run, tmp_path):
    blender_exr(tmp_path)
    script = (
        "add 4\nallocate 0 100\nallocate 1 156\nrename 1 back wall\nsave plan.json\nallocate 1 0\nundo\nundo\n"
        "totals\nload plan.json\nshow_splits\nundo\nundo\nhelp save\nhelp\nquit\n"
    )
    rc, out, _ = run("shell", "frame.exr", stdin=script)
    lines = shell_lines(out)
    assert rc == 0
    plan = SpanPlan.load(tmp_path / "plan.json")
    assert [s.levels for s in plan] == [100, 156] and plan[1].name == "back wall" and plan[1].start == 4.0
    assert "Plan saved to plan.json." in lines
    assert "Undone: allocate 1 0" in lines and "Undone: rename 1 back wall" in lines
    assert "Plan loaded from plan.json: 2 splits, 256 levels allocated." in lines
    assert " ** 001: 4.0 to 6.0 - 156 levels assigned (label: back wall)" in lines
    assert "Undone: load plan.json" in lines and "Undone: allocate 1 156" in lines
    assert any("SAVE {file.json}" in line for line in lines)
    helped = out[out.index("Documented commands") :]
    for command in (
        "add",
        "allocate",
        "clearflag",
        "compress",
        "compression",
        "exit",
        "flag",
        "getpixel",
        "histogram",
        "inspect",
        "load",
        "merge",
        "move",
        "quit",
        "region",
        "remove",
        "rename",
        "save",
        "show_splits",
        "split",
        "test",
        "totals",
        "undo",
        "write",
    ):
        assert command in helped


def test_a_saved_plan_drives_a_fresh_shell(run, tmp_path):
    values = blender_exr(tmp_path)
    SpanPlan.single(2.0, 6.0, 200).save(tmp_path / "p.json")  # a 200-level budget scaled onto 256 levels
    rc, out, _ = run("shell", "frame.exr", "--plan", "p.json", stdin="totals\nwrite\n")
    assert rc == 0 and "200 levels allocated." in out
    fg = values < 1e9
    expected = 255 - np.rint((values[fg].astype(np.float64) - 2.0) / 4.0 * 255)
    assert np.array_equal(png(tmp_path / "frame.depth.png")[fg], expected.astype(np.uint8))


def test_modern_over_allocation_and_bad_file(run, tmp_path):
    blender_exr(tmp_path)
    rc, out, _ = run("shell", "frame.exr", stdin="add 3\nallocate 1 1\nwrite\n")
    assert rc == 2 and "as the mapping process was unsuccessful, no files will be written" in out
    assert not (tmp_path / "frame.depth.png").exists()
    rc, _, err = run("shell", "missing.exr", stdin="")
    assert rc == 2 and err.strip().count("\n") == 0 and "missing.exr" in err


def test_modern_shell_ends_on_eof_in_a_real_process(tmp_path):
    blender_exr(tmp_path)
    proc = run_process("shell", "frame.exr", cwd=tmp_path, stdin="histogram\n", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("** - ") == 20


def test_modern_write_over_the_input_reports_no_success_and_writes_nothing(run, tmp_path):
    """QA: the modern writer printed 'mapping status was: Success' before refusing to overwrite the input."""
    from PIL import Image

    Image.fromarray(np.linspace(0, 60000, 32).astype(np.uint16).reshape(4, 8)).save(tmp_path / "shot.depth.png")
    before = (tmp_path / "shot.depth.png").read_bytes()
    rc, out, _ = run("shell", "shot.depth.png", "--mask", stdin="write shot\nquit\n")
    lines = shell_lines(out)
    assert "mapping status was: Success" not in out
    assert any(line.startswith("Error - shot.depth.png: refusing to overwrite an input file") for line in lines)
    assert (tmp_path / "shot.depth.png").read_bytes() == before
    assert not (tmp_path / "shot.mask.png").exists()
    assert rc == 2


def test_a_16_bit_plan_writes_in_the_modern_shell(run, tmp_path):
    """QA: a plan with a 65536-level budget passed `totals` but every `write` failed with 'Failure to map'."""
    from depthcore.plan import Span

    blender_exr(tmp_path)
    SpanPlan([Span(2.0, 4.0, 40000, "near"), Span(4.0, 6.0, 25536, "far")], 65536).save(tmp_path / "p16.json")
    rc, out, _ = run("shell", "frame.exr", "--plan", "p16.json", "--bits", "16", stdin="write\nquit\n")
    assert rc == 0 and "wrote frame.depth.png" in out and "Failure" not in out
    grey = png(tmp_path / "frame.depth.png")
    assert grey.dtype == np.uint16 and grey.max() > 60000 and len(np.unique(grey)) > 100
    rc, out, _ = run("shell", "frame.exr", "--plan", "p16.json", stdin="allocate 0 40001\nwrite\nquit\n")
    assert rc == 2 and "Failure to map: 65537 levels allocated." in out
