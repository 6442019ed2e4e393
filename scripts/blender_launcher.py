#!/usr/bin/env python3
"""A `blender` command for machines that have the bpy module but no Blender.

scripts/install.sh copies this file to `.blender/blender` with a shebang to `.blender/4.2/python/bin/python3.11`,
so `.blender` looks like a Blender 4.2 install: BlenderProc 2.8.0 runs through it with
`blenderproc run --custom-blender-path .blender script.py`, and `.blender/blender -b scene.blend --python x.py -- args`
works like the real thing. Real Blender never runs this file: with a real Blender 4.2 none of it (nor its two
workarounds) is involved.

It implements the part of Blender's command line that BlenderProc and batch users call, processed in order like
Blender does: -b/--background, --python-use-system-env, --python-exit-code N, a .blend path, -P/--python FILE,
--python-expr EXPR, -E/--engine, -o/--render-output, -F/--render-format, -s/-e/-j, -f/--render-frame, -a/--render-anim,
-t/--threads, -y/-Y, --factory-startup, --addons, -v/--version, -h/--help, and `--` (the rest is left to the script).
`sys.argv` is exactly what Blender sets: [binary, every argument...], including the part after `--`.

Exit codes follow Blender: an exception in a --python script prints the traceback and, unless --python-exit-code N
was given before it, processing goes on and the exit code is 0 (Blender's default). sys.exit(N) in a script exits
with N at once. A file that cannot be opened, an unknown argument or a failed render gives a one-line error and
exit code 1.

Two workarounds for rough edges of the bpy wheel (both on by default; DEPTHCORE_LAUNCHER_WORKAROUNDS=0 turns both
off, or name the ones to keep, comma-separated: "language", "hard-exit"):
- language: bpy wheels are built without translations, so the UI language enum holds only "DEFAULT" and
  BlenderProc's init() fails at `preferences.view.language = "en_US"` (TypeError). BlenderProc's files stay
  byte-identical: an import hook gives its Initializer module a view of `bpy` in which assigning a language that
  this build does not have is a no-op (with a note on stderr). Nothing else sees the wrapper.
- hard-exit: after blenderproc was imported the interpreter can segfault while tearing down bpy classes after
  finalisation, turning success into a crash. At the end the launcher runs the atexit handlers (bpy's own exit
  handler among them), flushes stdio and leaves with os._exit(code), skipping the teardown.
"""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.machinery
import os
import re
import sys
import traceback
import types
from pathlib import Path

WORKAROUNDS_ENV = "DEPTHCORE_LAUNCHER_WORKAROUNDS"
ALL_WORKAROUNDS = ("language", "hard-exit")

# Options taking one value, by every spelling Blender accepts.
_VALUE_OPTIONS = {
    "-P": "--python", "--python": "--python", "--python-expr": "--python-expr",
    "--python-exit-code": "--python-exit-code", "-E": "--engine", "--engine": "--engine",
    "-o": "--render-output", "--render-output": "--render-output", "-F": "--render-format",
    "--render-format": "--render-format", "-f": "--render-frame", "--render-frame": "--render-frame",
    "-s": "--frame-start", "--frame-start": "--frame-start", "-e": "--frame-end", "--frame-end": "--frame-end",
    "-j": "--frame-jump", "--frame-jump": "--frame-jump", "-t": "--threads", "--threads": "--threads",
    "--addons": "--addons", "--log": "--log", "--log-level": "--log-level", "--log-file": "--log-file",
}
# Flags that need no action here (headless, environment always honoured, no audio, no GUI).
_IGNORED_FLAGS = {
    "-b", "--background", "--python-use-system-env", "--factory-startup", "-noaudio", "--noaudio",
    "--no-window-focus", "--offline-mode", "--online-mode", "--disable-crash-handler", "--disable-abort-handler",
    "--log-show-basename", "--log-show-backtrace", "--log-show-timestamp", "-d", "--debug", "--debug-all",
    "--debug-python", "--debug-events", "--debug-handlers", "--debug-depsgraph", "--debug-memory",
    "--quiet", "-q",
}
# Blender's short names for -F, besides the enum identifiers themselves.
_FORMAT_ALIASES = {
    "TGA": "TARGA", "RAWTGA": "TARGA_RAW", "EXR": "OPEN_EXR", "MULTILAYER": "OPEN_EXR_MULTILAYER",
    "JP2": "JPEG2000", "IRIZ": "IRIS", "MPEG": "FFMPEG",
}
_BLEND_MAGIC = (b"BLENDER", b"\x1f\x8b", b"\x28\xb5\x2f\xfd")  # plain, gzip, zstd


class LauncherError(Exception):
    """A problem with the command line or its files: reported as one line, exit code 1."""


class _Exit(Exception):
    """Stop processing arguments and exit with `code` (sys.exit in a script, or --python-exit-code)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def enabled_workarounds() -> set[str]:
    """The workarounds switched on by DEPTHCORE_LAUNCHER_WORKAROUNDS (unset or "1": all; "0": none)."""
    value = os.environ.get(WORKAROUNDS_ENV, "1").strip().lower()
    if value in ("", "1", "all", "on", "true", "yes"):
        return set(ALL_WORKAROUNDS)
    if value in ("0", "none", "off", "false", "no"):
        return set()
    return {name.strip() for name in value.split(",") if name.strip() in ALL_WORKAROUNDS}


# --- workaround "language" ----------------------------------------------------------------------------------


class _Forward:
    """Forwards every attribute read and write to the wrapped object."""

    def __init__(self, target: object) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> object:
        return getattr(object.__getattribute__(self, "_target"), name)

    def __setattr__(self, name: str, value: object) -> None:
        setattr(object.__getattribute__(self, "_target"), name, value)


class _ViewWithoutMissingLanguages(_Forward):
    def __setattr__(self, name: str, value: object) -> None:
        if name == "language":
            view = object.__getattribute__(self, "_target")
            known = {item.identifier for item in view.bl_rna.properties["language"].enum_items}
            if value not in known:
                print(f"blender launcher: this bpy build has no translations; language {value!r} not set "
                      f"(see {WORKAROUNDS_ENV})", file=sys.stderr)
                return
        super().__setattr__(name, value)


class _Preferences(_Forward):
    @property
    def view(self) -> object:
        return _ViewWithoutMissingLanguages(object.__getattribute__(self, "_target").view)


class _Context(_Forward):
    @property
    def preferences(self) -> object:
        return _Preferences(object.__getattribute__(self, "_target").preferences)


class _Bpy(_Forward):
    @property
    def context(self) -> object:
        return _Context(object.__getattribute__(self, "_target").context)


class _LanguageShimFinder(importlib.abc.MetaPathFinder):
    """Gives BlenderProc's Initializer module (and only it) the `_Bpy` view of bpy; its file is untouched."""

    module_name = "blenderproc.python.utility.Initializer"

    def find_spec(self, fullname: str, path: object, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.module_name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        original_exec = spec.loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            original_exec(module)
            if isinstance(getattr(module, "bpy", None), types.ModuleType):
                module.bpy = _Bpy(module.bpy)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


# --- command line -------------------------------------------------------------------------------------------


def _usage() -> str:
    return (
        "usage: blender -b [file.blend] [-E ENGINE] [-o PATH] [-F FORMAT] [-s N] [-e N] [-f N | -a]\n"
        "               [--python-exit-code N] [--python FILE | --python-expr EXPR] ... [-- script args]\n"
        "Depthcore's bpy-backed Blender launcher (no GUI); see README.md, section 'Environment'."
    )


def _int_arg(option: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise LauncherError(f"{option} expects an integer, got {value!r}") from None


def _engines(render: object) -> list[str]:
    """The registered render engines: the enum is dynamic, only the property's own error message lists them."""
    try:
        render.engine = "?"
    except TypeError as error:
        return re.findall(r"'([^']+)'", str(error).split("not found in", 1)[-1])
    return []


def _frames(spec: str, scene: object) -> list[int]:
    """Blender's -f syntax: N, +N (from start), -N (from end), comma lists and inclusive A..B ranges."""

    def one(text: str) -> int:
        if text.startswith("+"):
            return scene.frame_start + _int_arg("-f", text[1:])
        if text.startswith("-"):
            return scene.frame_end - _int_arg("-f", text[1:])
        return _int_arg("-f", text)

    frames: list[int] = []
    for part in spec.split(","):
        if ".." in part:
            first, last = part.split("..", 1)
            frames.extend(range(one(first), one(last) + 1))
        else:
            frames.append(one(part))
    return frames


class Launcher:
    """Runs Blender's command line, argument by argument, on the bpy module."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.python_exit_code = 0
        self.threads: int | None = None
        self.bpy: types.ModuleType | None = None

    def _bpy(self) -> types.ModuleType:
        if self.bpy is None:
            import bpy  # the environment shim may import bpy; depthcore/ never does

            self.bpy = bpy
        return self.bpy

    def run(self) -> int:
        args = self.argv[1:]
        if "--" in args:
            args = args[: args.index("--")]
        if any(a in ("-v", "--version") for a in args):
            print(f"Blender {self._bpy().app.version_string} (bpy module, Depthcore launcher)")
            return 0
        if any(a in ("-h", "--help") for a in args):
            print(_usage())
            return 0
        if not any(a in ("-b", "--background") for a in args):
            raise LauncherError("this launcher has no GUI: pass -b/--background (see README.md, section 'Environment')")
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in _VALUE_OPTIONS:
                if i + 1 >= len(args):
                    raise LauncherError(f"{arg} expects a value")
                self._apply(_VALUE_OPTIONS[arg], args[i + 1])
                i += 2
            elif arg in ("-a", "--render-anim"):
                self._render_animation()
                i += 1
            elif arg in ("-y", "--enable-autoexec", "-Y", "--disable-autoexec"):
                self._bpy().context.preferences.filepaths.use_scripts_auto_execute = arg in ("-y", "--enable-autoexec")
                i += 1
            elif arg in _IGNORED_FLAGS or arg.startswith("--debug") or arg.startswith("--env-"):
                i += 1
            elif arg.startswith("-"):
                raise LauncherError(f"unknown or unsupported argument {arg!r}")
            else:
                self._open_blend(arg)
                i += 1
        return 0

    def _apply(self, option: str, value: str) -> None:
        if option == "--python":
            self._run_script(value)
        elif option == "--python-expr":
            self._run_code(value, "<string>", None)
        elif option == "--python-exit-code":
            code = _int_arg(option, value)
            if not 0 <= code <= 255:
                raise LauncherError(f"--python-exit-code expects 0..255, got {code}")
            self.python_exit_code = code
        elif option in ("--log", "--log-level", "--log-file"):
            pass
        elif option == "--addons":
            import addon_utils  # part of bpy's scripts/modules

            for name in filter(None, value.split(",")):
                addon_utils.enable(name, default_set=True)
        else:
            self._scene_option(option, value)

    def _scene_option(self, option: str, value: str) -> None:
        scene = self._bpy().context.scene
        render = scene.render
        if option == "--engine":
            if value == "help":
                print("Blender Engine Listing:\n" + "\n".join(f"\t{name}" for name in _engines(render)))
                return
            try:
                render.engine = value
            except TypeError:
                raise LauncherError(f"-E: unknown render engine {value!r} "
                                    f"(have: {', '.join(_engines(render))})") from None
        elif option == "--render-output":
            render.filepath = value
        elif option == "--render-format":
            formats = [item.identifier for item in render.image_settings.bl_rna.properties["file_format"].enum_items]
            name = _FORMAT_ALIASES.get(value, value)
            if name not in formats:
                raise LauncherError(f"-F: unsupported format {value!r} (have: {', '.join(formats)})")
            render.image_settings.file_format = name
        elif option == "--frame-start":
            scene.frame_start = _int_arg(option, value)
        elif option == "--frame-end":
            scene.frame_end = _int_arg(option, value)
        elif option == "--frame-jump":
            scene.frame_step = _int_arg(option, value)
        elif option == "--threads":
            self.threads = _int_arg(option, value)
        elif option == "--render-frame":
            for frame in _frames(value, scene):
                self._render_frame(frame)

    def _apply_threads(self) -> None:
        if self.threads is not None:
            render = self._bpy().context.scene.render
            render.threads_mode = "FIXED" if self.threads > 0 else "AUTO"
            if self.threads > 0:
                render.threads = self.threads

    def _render_frame(self, frame: int) -> None:
        # Blender's -f renders an animation of one frame (RE_RenderAnim(frame, frame)): same file names as -a.
        scene = self._bpy().context.scene
        self._apply_threads()
        start, end = scene.frame_start, scene.frame_end
        scene.frame_start = scene.frame_end = frame
        try:
            self._render_animation()
        finally:
            scene.frame_start, scene.frame_end = start, end

    def _render_animation(self) -> None:
        self._apply_threads()
        try:
            self._bpy().ops.render.render(animation=True)
        except RuntimeError as error:  # e.g. no camera; Blender prints it, we also exit 1
            message = " ".join(str(error).split()) or "unknown error"
            raise LauncherError(f"render failed: {message}") from None

    def _open_blend(self, path: str) -> None:
        file = Path(path)
        if not file.is_file():
            raise LauncherError(f"{path}: cannot read file: no such file")
        with file.open("rb") as handle:
            head = handle.read(8)
        if not head.startswith(_BLEND_MAGIC):
            raise LauncherError(f"{path}: not a .blend file")
        try:
            self._bpy().ops.wm.open_mainfile(filepath=os.path.abspath(path))
        except RuntimeError as error:
            detail = str(error).strip().splitlines()[-1] if str(error).strip() else "cannot open"
            raise LauncherError(f"{path}: cannot open .blend file: {detail}") from None

    def _run_script(self, path: str) -> None:
        try:
            source = Path(path).read_bytes()
        except OSError as error:
            raise LauncherError(f"{path}: cannot read Python script: {error.strerror}") from None
        absolute = os.path.abspath(path)  # Blender makes the path absolute (BLI_path_abs_from_cwd)
        self._run_code(source, absolute, absolute)

    def _run_code(self, source: str | bytes, filename: str, file: str | None) -> None:
        """Runs code as Blender does: a fresh `__main__` module, `__file__` set, sys.argv untouched."""
        self._bpy()
        module = types.ModuleType("__main__")
        if file is not None:
            module.__file__ = file
        module.__builtins__ = __builtins__
        previous_main = sys.modules.get("__main__")
        sys.modules["__main__"] = module
        try:
            exec(compile(source, filename, "exec"), module.__dict__)
        except SystemExit as stop:
            raise _Exit(_system_exit_code(stop)) from None
        except BaseException:
            traceback.print_exc()
            if self.python_exit_code:
                print(f"Error: script failed, file: '{filename}', exiting with code {self.python_exit_code}.",
                      file=sys.stderr)
                raise _Exit(self.python_exit_code) from None
        finally:
            if previous_main is not None:
                sys.modules["__main__"] = previous_main


def _system_exit_code(stop: SystemExit) -> int:
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    print(stop.code, file=sys.stderr)
    return 1


def _finish(code: int, workarounds: set[str]) -> None:
    """Exit with `code`; with the hard-exit workaround, skip the interpreter teardown that can segfault."""
    if "hard-exit" not in workarounds:
        sys.exit(code)
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def main() -> None:
    workarounds = enabled_workarounds()
    # Blender does not put its own folder on sys.path; neither do we.
    launcher_dir = os.path.dirname(os.path.abspath(sys.argv[0]))
    if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == launcher_dir:
        del sys.path[0]
    if "language" in workarounds:
        sys.meta_path.insert(0, _LanguageShimFinder())
    try:
        code = Launcher(sys.argv).run()
    except LauncherError as error:
        print(f"blender: error: {error}", file=sys.stderr)
        code = 1
    except _Exit as stop:
        code = stop.code
    _finish(code, workarounds)


if __name__ == "__main__":
    main()
