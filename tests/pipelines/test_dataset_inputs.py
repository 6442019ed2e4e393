"""camera_positions parsing, frame ranges, sharding and input checks (pure depthcore.dataset)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depthcore.dataset import (
    Shard,
    parse_frame_range,
    parse_shard,
    read_camera_positions,
    resolve_shard,
    shard_frames,
)
from depthcore.dataset.inputs import check_blend_file, parse_resolution, prepare_output_dir, read_intrinsics_json
from depthcore.errors import UserError


def test_camera_positions_parsed_with_comments_and_blank_lines(tmp_path: Path) -> None:
    f = tmp_path / "cams"
    f.write_text("# header\n0 -13.741 4.1242  1.3 0 0\n\n1.9488 -6.5202 0.23291 1.84 0 0.5  # second\n")
    poses = read_camera_positions(f)
    assert [p.line for p in poses] == [2, 4]
    assert poses[0].location == (0.0, -13.741, 4.1242)
    assert poses[1].rotation_euler == (1.84, 0.0, 0.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0 1 0 0 0\n0 1 2 3 4\n", "line 2: expected 6 numbers 'x y z rx ry rz', got 5"),
        ("0 0 1 0 0 0 7\n", "line 1: expected 6 numbers"),
        ("0 0 1 0 zero 0\n", "line 1: 'zero' is not a number"),
        ("0 0 nan 0 0 0\n", "line 1: values must be finite"),
        ("# nothing\n\n", "no camera poses"),
    ],
)
def test_bad_camera_positions_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "cams.txt"
    f.write_text(text)
    with pytest.raises(UserError) as err:
        read_camera_positions(f)
    assert str(err.value).startswith(f"{f}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_and_binary_camera_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        read_camera_positions(tmp_path / "nope")
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(UserError, match="not text"):
        read_camera_positions(binary)


def test_frame_range_forms() -> None:
    frames = list(range(1, 251))
    assert parse_frame_range("1-250", frames) == frames
    assert parse_frame_range(None, frames) == frames
    assert parse_frame_range("3", frames) == [3]
    assert parse_frame_range("1-3, 10,12-13", frames) == [1, 2, 3, 10, 12, 13]
    for bad in ("0-3", "5-2", "a-b", "1-300"):
        with pytest.raises(UserError):
            parse_frame_range(bad, frames)


@given(st.lists(st.integers(-50, 500), unique=True, min_size=0, max_size=60), st.integers(1, 9))
def test_shards_cover_every_frame_exactly_once(frames: list[int], count: int) -> None:
    parts = [shard_frames(frames, Shard(i, count)) for i in range(count)]
    merged = sorted(f for part in parts for f in part)
    assert merged == sorted(frames)
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1  # balanced


def test_shard_option_and_slurm_variables() -> None:
    assert parse_shard("2/5") == Shard(2, 5)
    for bad in ("5/5", "-1/3", "1", "a/b", "1/0"):
        with pytest.raises(UserError):
            parse_shard(bad)
    assert resolve_shard(None, {}) == Shard(0, 1)
    assert resolve_shard(None, {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"}) == Shard(3, 4)
    # --array=1-4: ids start at 1
    env = {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"}
    assert resolve_shard(None, env) == Shard(0, 4)
    assert resolve_shard("1/2", env) == Shard(1, 2)  # the option wins


def test_blend_header_check(tmp_path: Path) -> None:
    good = tmp_path / "a.blend"
    good.write_bytes(b"BLENDER-v402" + b"\0" * 20)
    assert check_blend_file(good) == good
    bad = tmp_path / "b.blend"
    bad.write_text("this is not a blend file")
    with pytest.raises(UserError, match=r"b\.blend: not a \.blend file"):
        check_blend_file(bad)
    with pytest.raises(UserError, match="scene file not found"):
        check_blend_file(tmp_path / "missing.blend")


def test_output_dir_checks(tmp_path: Path) -> None:
    assert prepare_output_dir(tmp_path / "new" / "deep").is_dir()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        prepare_output_dir(a_file)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not _can_write(locked):
            with pytest.raises(UserError, match="not writable"):
                prepare_output_dir(locked / "out")
    finally:
        locked.chmod(0o700)


def _can_write(folder: Path) -> bool:
    try:
        (folder / "probe").write_text("x")
    except OSError:
        return False
    (folder / "probe").unlink()
    return True  # running as root: permissions do not stop us


def test_resolution_and_intrinsics(tmp_path: Path) -> None:
    assert parse_resolution("640x480") == (640, 480)
    with pytest.raises(UserError):
        parse_resolution("640*480")
    k = tmp_path / "k.json"
    k.write_text('{"intrinsics": {"fx": 100, "fy": 100, "cx": 31.5, "cy": 23.5, "width": 64, "height": 48}}')
    K = read_intrinsics_json(k)
    assert (K.width, K.height, K.cx) == (64, 48, 31.5)
    k.write_text('{"fx": 1}')
    with pytest.raises(UserError, match=r"k\.json"):
        read_intrinsics_json(k)


def test_ctrl_c_is_one_line_and_exit_130_not_a_traceback(capsys) -> None:
    """QA: Ctrl-C during a render printed a KeyboardInterrupt traceback from inside Cycles."""
    from pipelines._bootstrap import run_main

    def main(argv: list[str]) -> int:
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exc:
        run_main(main, [])
    assert exc.value.code == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines() == [
        "interrupted: complete frames are kept; run the same command again to resume"
    ]


def test_camera_positions_saved_with_a_bom_and_crlf(tmp_path: Path) -> None:
    """QA: a file from a Windows editor (UTF-8 BOM, CRLF) failed with "line 1: '\\ufeff0' is not a number"."""
    f = tmp_path / "cams.txt"
    f.write_bytes(b"\xef\xbb\xbf0 -6 3 1.1 0 0\r\n1 2 3 0 0 0.5\r\n")
    poses = read_camera_positions(f)
    assert [p.location for p in poses] == [(0.0, -6.0, 3.0), (1.0, 2.0, 3.0)]
    assert poses[1].rotation_euler == (0.0, 0.0, 0.5)
    f.write_text("0,-6,3,1.1,0,0\n")
    with pytest.raises(UserError, match=r"line 1: expected 6 numbers .*got 1 \(separate them with spaces"):
        read_camera_positions(f)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"fx": 100, "fy": 100, "cx": 31.5, "cy": 31.5}, "lacks width, height"),
        ({"fx": 100, "fy": 100, "cx": 31.5, "cy": 31.5, "width": 64, "height": 0}, "whole numbers >= 1"),
        ({"fx": 100, "fy": 100, "cx": 31.5, "cy": 31.5, "width": 64.5, "height": 64}, "whole numbers >= 1"),
        ({"fx": -100, "fy": 100, "cx": 31.5, "cy": 31.5, "width": 64, "height": 64}, "fx and fy must be positive"),
    ],
)
def test_bad_intrinsics_values_are_refused(tmp_path: Path, record: dict, message: str) -> None:
    """QA: height 0 (rendered 64x4 with height 0 in the camera JSON), width 64.5 and fx < 0 were all accepted."""
    import json

    f = tmp_path / "K.json"
    f.write_text(json.dumps(record))
    with pytest.raises(UserError) as err:
        read_intrinsics_json(f)
    assert str(err.value).startswith(f"{f}: ") and message in str(err.value)
