"""The bpy-backed `blender` launcher: argv, exit codes, .blend handling and -E/-o/-F/-f/-a rendering."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import OpenEXR
import pytest
from PIL import Image

from .conftest import ROOT, run

pytestmark = pytest.mark.blender

ARGV_SCRIPT = """\
import json, sys
import bpy
with open(sys.argv[sys.argv.index("--") + 1], "w") as f:
    json.dump({"argv": sys.argv, "name": __name__, "file": __file__, "scene": bpy.context.scene.name,
               "background": bpy.app.background}, f)
"""

SCENE_SCRIPT = """\
import sys
import bpy
out = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
bpy.ops.mesh.primitive_cube_add(location=(0, 0, 0))
cam_data = bpy.data.cameras.new("Cam")
cam = bpy.data.objects.new("Cam", cam_data)
scene.collection.objects.link(cam)
cam.location = (0, -6, 0)
cam.rotation_euler = (1.5707963, 0, 0)
scene.camera = cam
scene.render.engine = "BLENDER_WORKBENCH"
scene.render.resolution_x = scene.render.resolution_y = 32
scene.render.resolution_percentage = 100
scene.cycles.samples = 2
scene.render.film_transparent = True
scene.render.image_settings.color_mode = "RGBA"
scene.frame_start, scene.frame_end = 1, 5
bpy.ops.wm.save_as_mainfile(filepath=out)
"""


def load_launcher_module():
    spec = importlib.util.spec_from_file_location("blender_launcher", ROOT / "scripts" / "blender_launcher.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_version(launcher, env):
    result = run([launcher, "--version"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Blender 4.2")


def test_argv_name_and_file_as_blender_sets_them(launcher, env, tmp_path):
    script = tmp_path / "show_argv.py"
    script.write_text(ARGV_SCRIPT)
    out = tmp_path / "argv.json"
    args = ["-b", "--python-use-system-env", "--python", str(script), "--", str(out), "--flag", "x y"]
    result = run([launcher, *args], env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(out.read_text())
    assert seen["argv"] == [str(launcher), *args]
    assert seen["name"] == "__main__"
    assert seen["file"] == str(script)
    assert seen["background"] is True


def test_relative_script_path_gives_absolute_file(launcher, env, tmp_path):
    (tmp_path / "show_argv.py").write_text(ARGV_SCRIPT)
    result = run([launcher, "-b", "--python", "show_argv.py", "--", "argv.json"], env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads((tmp_path / "argv.json").read_text())
    assert seen["file"] == str(tmp_path / "show_argv.py")
    assert seen["argv"][2:4] == ["--python", "show_argv.py"]


@pytest.mark.parametrize("workarounds", ["1", "0"])
def test_atexit_handlers_and_unflushed_output_survive_the_exit(launcher, env, tmp_path, workarounds):
    env["DEPTHCORE_LAUNCHER_WORKAROUNDS"] = workarounds
    marker = tmp_path / "atexit"
    expr = f"import atexit, sys; atexit.register(open, {str(marker)!r}, 'w'); sys.stdout.write('no newline')"
    result = run([launcher, "-b", "--python-expr", expr], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("no newline")
    assert marker.exists()


def test_python_expr_and_arguments_run_in_order(launcher, env, tmp_path):
    log = tmp_path / "log.txt"
    expr = "open({!r}, 'a').write({!r})"
    result = run([launcher, "-b", "--python-expr", expr.format(str(log), "1"),
                  "--python-expr", expr.format(str(log), "2")], env)
    assert result.returncode == 0, result.stderr
    assert log.read_text() == "12"


def test_failing_script_exits_0_by_default_like_blender(launcher, env, tmp_path):
    script = tmp_path / "boom.py"
    script.write_text("raise ValueError('boom')\n")
    marker = tmp_path / "after"
    result = run([launcher, "-b", "--python", script, "--python-expr", f"open({str(marker)!r}, 'w')"], env)
    assert result.returncode == 0
    assert "ValueError: boom" in result.stderr
    assert marker.exists(), "Blender goes on with the next argument after a failing script"


def test_python_exit_code_is_used_for_a_failing_script(launcher, env, tmp_path):
    script = tmp_path / "boom.py"
    script.write_text("raise ValueError('boom')\n")
    marker = tmp_path / "after"
    result = run([launcher, "-b", "--python-exit-code", "3", "--python", script,
                  "--python-expr", f"open({str(marker)!r}, 'w')"], env)
    assert result.returncode == 3
    assert "ValueError: boom" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize(("code", "expected"), [("sys.exit(7)", 7), ("sys.exit(0)", 0), ("sys.exit()", 0)])
def test_sys_exit_in_a_script_exits_at_once(launcher, env, tmp_path, code, expected):
    marker = tmp_path / "after"
    result = run([launcher, "-b", "--python-exit-code", "9", "--python-expr", f"import sys; {code}",
                  "--python-expr", f"open({str(marker)!r}, 'w')"], env)
    assert result.returncode == expected, result.stderr
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"hello, not a blend\n", None])
def test_bad_blend_gives_one_line_error(launcher, env, tmp_path, content):
    path = tmp_path / "scene.blend"
    if content is not None:
        path.write_bytes(content)
    result = run([launcher, "-b", path, "--python-expr", "print('SHOULD NOT RUN')"], env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    assert "Traceback" not in result.stderr
    assert "SHOULD NOT RUN" not in result.stdout


def test_truncated_blend_gives_one_line_error(launcher, env, tmp_path):
    path = tmp_path / "broken.blend"
    path.write_bytes(b"BLENDER-v402RENDH\x00\x00")
    result = run([launcher, "-b", path], env)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert str(path) in result.stderr


@pytest.mark.parametrize("args", [["--no-such-flag"], ["--python-exit-code", "x"], ["-F", "GIF"], []])
def test_command_line_mistakes_give_one_line_errors(launcher, env, args):
    extra = ["-b"] if args else []
    result = run([launcher, *extra, *args], env)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("blender: error:")


@pytest.fixture
def scene_file(launcher, env, tmp_path) -> Path:
    script = tmp_path / "make_scene.py"
    script.write_text(SCENE_SCRIPT)
    blend = tmp_path / "scene.blend"
    result = run([launcher, "-b", "--python-exit-code", "1", "--python", script, "--", blend], env)
    assert result.returncode == 0, result.stderr
    assert blend.read_bytes()[:7] == b"BLENDER"
    return blend


def test_open_blend_then_script_sees_the_scene(launcher, env, scene_file, tmp_path):
    out = tmp_path / "objects.json"
    expr = ("import bpy, json; json.dump(sorted(o.name for o in bpy.data.objects), open({!r}, 'w'));"
            " json.dump(bpy.data.filepath, open({!r}, 'w'))")
    path_out = tmp_path / "filepath.json"
    result = run([launcher, "-b", scene_file, "--python-expr", expr.format(str(out), str(path_out))], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text()) == ["Cam", "Cube"]
    assert Path(json.loads(path_out.read_text())) == scene_file.resolve()


def test_render_frame_with_engine_output_and_format(launcher, env, scene_file, tmp_path):
    out = tmp_path / "render" / "frame_"
    result = run([launcher, "-b", scene_file, "-E", "CYCLES", "-o", str(out), "-F", "PNG", "-f", "2"], env)
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(tmp_path / "render" / "frame_0002.png"))
    assert image.shape == (32, 32, 4)
    assert image[16, 16, 3] == 255 and image[0, 0, 3] == 0, "the cube covers the centre, the corner is empty"


def test_render_animation_range_as_exr(launcher, env, scene_file, tmp_path):
    out = tmp_path / "anim" / "f_####"
    result = run([launcher, "-b", scene_file, "-o", str(out), "-F", "EXR", "-s", "2", "-e", "3", "-a"], env)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "anim").iterdir())
    assert written == ["f_0002.exr", "f_0003.exr"]
    with OpenEXR.File(str(tmp_path / "anim" / "f_0002.exr")) as exr:
        assert exr.header()["dataWindow"][1].tolist() == [31, 31]


def test_render_without_camera_gives_one_line_error(launcher, env, tmp_path):
    result = run([launcher, "-b", "--factory-startup", "--python-expr",
                  "import bpy; bpy.data.objects.remove(bpy.data.objects['Camera'])", "-f", "1"], env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("blender: error: render failed:")
    assert "Traceback" not in result.stderr


def test_workaround_switch_parsing(monkeypatch):
    module = load_launcher_module()
    for value, expected in [(None, {"language", "hard-exit"}), ("0", set()), ("language", {"language"}),
                            ("hard-exit, bogus", {"hard-exit"}), ("1", {"language", "hard-exit"})]:
        if value is None:
            monkeypatch.delenv(module.WORKAROUNDS_ENV, raising=False)
        else:
            monkeypatch.setenv(module.WORKAROUNDS_ENV, value)
        assert module.enabled_workarounds() == expected, value


def test_frame_spec_parsing():
    module = load_launcher_module()
    scene = SimpleNamespace(frame_start=10, frame_end=20)
    assert module._frames("3", scene) == [3]
    assert module._frames("1,4..6", scene) == [1, 4, 5, 6]
    assert module._frames("+2", scene) == [12]
    assert module._frames("-1", scene) == [19]
    with pytest.raises(module.LauncherError):
        module._frames("x", scene)
