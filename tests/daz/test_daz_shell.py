"""`depthcore daz --interactive`: the original's shell driven through stdin, its text and its pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import ddp_model as ddp
from .conftest import png, shell_lines, write_exr

INTRO = "Welcome to the interactive shell. Type help or ? to list commands."

# The seed README's "manually-specified depth zones": minimum..306 64 levels, 306..317 64 (the face),
# 317..319.9 32, 319.9..321 64 (the hand), 321..370 32, then a final split to the end with no levels.
FACE_HAND = """\
add 306
add 317
add 319.9
add 321
add 370
allocate 0 64
allocate 1 64
allocate 2 32
allocate 3 64
allocate 4 32
rename 1 face
rename 3 hand
totals
show_splits
write
quit
"""


def pose(tmp_path):
    values = np.linspace(290.0, 400.0, 40 * 30, dtype=np.float32).reshape(30, 40)
    write_exr(tmp_path / "pose.exr", values)
    return values


def test_face_and_hand_spans_from_the_seed(run, tmp_path):
    values = pose(tmp_path)
    rc, out, err = run("daz", "pose.exr", "--interactive", stdin=FACE_HAND)
    assert rc == 0 and err == ""
    lines = shell_lines(out)
    assert lines[0] == INTRO
    assert lines[1:6] == ["Success"] * 5
    assert lines[6:11] == [f"{n} levels allocated." for n in (64, 128, 160, 224, 256)]
    assert lines[11:13] == ["001: LABEL = face", "003: LABEL = hand"]
    assert lines[13:15] == ["256 levels allocated.", "Does not exceed maximum allocable levels, 256."]
    assert lines[15:21] == [
        " ** 000: 290.0 to 306.0 - 64 levels assigned (label: Default)",
        " ** 001: 306.0 to 317.0 - 64 levels assigned (label: face)",
        " ** 002: 317.0 to 319.9 - 32 levels assigned (No Flags)",
        " ** 003: 319.9 to 321.0 - 64 levels assigned (label: hand)",
        " ** 004: 321.0 to 370.0 - 32 levels assigned (No Flags)",
        " ** 005: 370.0 to 400.01 - 0 levels assigned (No Flags)",
    ]
    assert lines[21] == "mapping status was: Success"
    splits = [
        (290.0, 306.0, 64),
        (306.0, 317.0, 64),
        (317.0, 319.9, 32),
        (319.9, 321.0, 64),
        (321.0, 370.0, 32),
        (370.0, 400.0 + 0.01, 0),
    ]
    points = [float(x) for x in values.ravel()]
    expected = np.asarray(ddp.grey(ddp.levels(points, splits)), dtype=np.uint8).reshape(values.shape)
    assert np.array_equal(png(tmp_path / "pose.depth.png"), expected)
    assert (png(tmp_path / "pose.depth.png")[values >= 370] == 0).all()  # the 0-level span is black


def test_cutoff_makes_a_zero_level_split_named_cutoff(run, tmp_path):
    pose(tmp_path)
    rc, out, _ = run("daz", "pose.exr", "--interactive", "--depth_cutoff", "380", stdin="show_splits\nquit\n")
    lines = shell_lines(out)
    assert rc == 0
    assert lines == [
        "001: LABEL = Cutoff",
        INTRO,
        " ** 000: 290.0 to 380.0 - 256 levels assigned (label: Default)",
        " ** 001: 380.0 to 400.01 - 0 levels assigned (label: Cutoff)",
    ]
    assert not (tmp_path / "pose.depth.png").exists()  # quit writes nothing


def test_histo_prints_the_histogram_before_the_intro(run, tmp_path):
    values = pose(tmp_path)
    _, out, _ = run("daz", "pose.exr", "--interactive", "--depth_cutoff", "histo", stdin="quit\n")
    lines = shell_lines(out)
    assert lines[:20] == ddp.histogram([float(x) for x in values.ravel()])
    assert lines[20] == INTRO


def test_offsets_appear_as_flags_after_a_write_and_flag_commands(run, tmp_path):
    pose(tmp_path)
    script = "add 350\nallocate 0 200\nallocate 1 56\nwrite\nshow_splits\nflag 1\nflag 1 test red\nflag 1 nope\nquit\n"
    _, out, _ = run("daz", "pose.exr", "--interactive", stdin=script)
    lines = shell_lines(out)
    assert lines[5:7] == [
        " ** 000: 290.0 to 350.0 - 200 levels assigned (label: Default, offset: 0)",
        " ** 001: 350.0 to 400.01 - 56 levels assigned (offset: 200)",
    ]
    assert lines[7:] == [
        " ** 001: offset: 200",
        "001: test = red",
        "Success",
        "001: nope = None",
    ]


def test_inspect_prints_info_and_the_split_histogram(run, tmp_path):
    values = pose(tmp_path)
    _, out, _ = run("daz", "pose.exr", "--interactive", stdin="add 306\ninspect 0\nquit\n")
    lines = shell_lines(out)
    inside = [float(x) for x in values.ravel() if 290.0 <= x < 306.0]
    assert lines[2:9] == [
        "Split 000:",
        " - start: 290.0",
        " - end: 306.0",
        " - levels: 256",
        " - flag: label: Default",
        f" - point_count: {len(inside)}",
        f" - point_max: {max(inside)}",
    ]
    assert lines[9:11] == [f" - point_min: {min(inside)}", "Histogram:"]
    assert lines[11:31] == [f" - {line}" for line in ddp.histogram(inside)]


def test_remove_move_and_compression_text(run, tmp_path):
    pose(tmp_path)
    script = (
        "add 300\nadd 350\nmove 300 310\nmove 310 290\nmove 310 350\nmove 290 295\nmove 400.01 399\nmove 1 2\n"
        "remove 0\nshow_splits\nremove 1\nremove 0\ncompression\ncompress\nquit\n"
    )
    _, out, _ = run("daz", "pose.exr", "--interactive", stdin=script)
    assert shell_lines(out)[1:] == [
        "Success",
        "Success",
        "Success",
        "Error - will not move the start of split 1 past the beginning of split 0 - are you trying to delete a split?",
        "Error - will not move the start of split 1 past its own ending - are you trying to delete a split?",
        "Error - will not move the start of the first split as this would cause the SplitManager to not cover the "
        "entire depthmap. Add a split at your proposed position instead.",
        "Error - will not move the end of the last split as this would cause the SplitManager to not cover the "
        "entire depthmap. Add a split at your proposed position instead.",
        "Error - could not identify 1.0 as uniquely pointing to the start or end of any split.",
        "Success - Removed split 0 and expanded split 1 backwards.",
        " ** 000: 290.0 to 350.0 - 0 levels assigned (No Flags)",
        " ** 001: 350.0 to 400.01 - 0 levels assigned (No Flags)",
        "Success - Removed split 1 and expanded split 0 forwards.",
        "Error - you cannot remove a split from a manager with only one split.",
        "Map compression toggled, now: True.",
        "Map compression toggled, now: False.",
    ]


def test_add_clamps_outside_depths_like_the_original(run, tmp_path):
    pose(tmp_path)
    _, out, _ = run("daz", "pose.exr", "--interactive", stdin="add 1000\nadd -5\nshow_splits\nquit\n")
    lines = shell_lines(out)
    assert lines[1:3] == ["Success", "Success"]
    assert lines[3:] == [
        " ** 000: 290.0 to 290.01 - 256 levels assigned (label: Default)",
        " ** 001: 290.01 to 399.99 - 0 levels assigned (No Flags)",
        " ** 002: 399.99 to 400.01 - 0 levels assigned (No Flags)",
    ]


def test_write_to_another_name_and_test_colours(run, tmp_path):
    values = pose(tmp_path)
    script = "add 350\nallocate 0 128\nallocate 1 128\nflag 1 test red\ntest\nwrite out/other.exr\nquit\n"
    (tmp_path / "out").mkdir()
    rc, _, _ = run("daz", "pose.exr", "--interactive", stdin=script)
    assert rc == 0
    assert (tmp_path / "out" / "other.depth.png").exists()
    test = png(tmp_path / "pose.test.png")
    assert test.shape == (30, 40, 3)
    assert (test[values >= 350] == [255, 0, 0]).all()
    grey = png(tmp_path / "out" / "other.depth.png")
    assert np.array_equal(test[values < 350], np.repeat(grey[values < 350][:, None], 3, axis=1))
    assert not (tmp_path / "pose.depth.png").exists()  # test writes only the .test.png


def test_interactive_compression_matches_the_model(run, tmp_path):
    values = np.repeat(np.asarray([10.0, 200.0, 250.0, 350.0, 200.0, 10.0], dtype=np.float32)[None], 3, axis=0)
    write_exr(tmp_path / "c.exr", values)
    run("daz", "c.exr", "--interactive", stdin="add 220\nallocate 0 100\nallocate 1 100\ncompression\nwrite\nquit\n")
    points = [float(x) for x in values.ravel()]
    splits = [(10.0, 220.0, 100), (220.0, 350.01, 100)]
    expected = np.asarray(ddp.grey(ddp.levels(points, splits, compress=True)), dtype=np.uint8).reshape(values.shape)
    assert np.array_equal(png(tmp_path / "c.depth.png"), expected)


def test_cutoff_outside_the_range_prints_the_original_error_and_goes_on(run, tmp_path):
    pose(tmp_path)
    rc, out, _ = run("daz", "pose.exr", "--interactive", "--depth_cutoff", "1000", stdin="totals\nquit\n")
    assert rc == 0
    assert shell_lines(out)[:3] == [
        "Error - this point is outside the range of this depth map.",
        INTRO,
        "256 levels allocated.",
    ]


def test_write_into_a_missing_folder_is_an_error_not_a_success(run, tmp_path):
    """QA: 'write out/sub/name' printed 'mapping status was: Success' and then an error, and a failed write
    after a good one left the exit status 0."""
    pose(tmp_path)
    rc, out, _ = run("daz", "pose.exr", "--interactive", stdin="write\nwrite nowhere/name\nquit\n")
    lines = shell_lines(out)
    assert out.count("mapping status was: Success") == 1
    assert "Error - nowhere: output folder does not exist" in lines
    assert rc == 2  # the file's last write failed
    assert not (tmp_path / "nowhere").exists()


def test_help_does_not_list_eof_as_a_command(run, tmp_path):
    pose(tmp_path)
    _, out, _ = run("daz", "pose.exr", "--interactive", stdin="help\nquit\n")
    assert "allocate" in out and "show_splits" in out
    assert "EOF" not in out


def test_write_into_an_unwritable_folder_is_an_error_not_a_success(run, tmp_path):
    """QA: 'write /sys/x' printed 'mapping status was: Success' before failing to write."""
    import os

    pose(tmp_path)
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root ignores permissions: use a folder no one can create files in
        folder = Path("/proc")
    rc, out, _ = run("daz", "pose.exr", "--interactive", stdin=f"write {folder}/name\nquit\n")
    assert "mapping status was: Success" not in out
    assert f"Error - {folder}: output folder is not writable" in out
    assert rc == 2


def test_ctrl_c_at_the_prompt_keeps_the_session(tmp_path):
    """QA: Ctrl-C at the prompt ended the whole program, losing the splits made so far; now it drops the line."""
    import os
    import pty
    import select
    import sys
    import time

    write_exr(tmp_path / "r.exr", [10.0, 200.0, 250.0, 350.0])
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command on a real terminal
        os.chdir(tmp_path)
        os.environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
        os.execv(sys.executable, [sys.executable, "-m", "depthcore", "daz", "r.exr", "--interactive"])

    def read_until(text: str, timeout: float = 60) -> str:
        seen, end = "", time.monotonic() + timeout
        while text not in seen and time.monotonic() < end:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    seen += os.read(fd, 4096).decode(errors="replace")
                except OSError:
                    break
        return seen

    assert "> " in read_until("> ")
    os.write(fd, b"add 300\n")
    assert "Success" in read_until("Success\r\n> ")
    time.sleep(0.2)  # let readline wait for input
    os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT
    out = read_until("leaves this file", timeout=3)
    if "leaves this file" not in out:
        # SIGINT landed just before readline blocked: Python raises it once input arrives, as at any prompt
        os.write(fd, b"\n")
        out += read_until("leaves this file")
    assert "^C (QUIT or Ctrl-D leaves this file)" in out
    os.write(fd, b"show_splits\n")
    out = read_until("levels assigned (No Flags)")
    assert " ** 001: 300.0 to 350.01 - 0 levels assigned (No Flags)" in out  # the split survived
    os.write(fd, b"quit\n")
    read_until("never appears", timeout=5)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
