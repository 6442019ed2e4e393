"""Build the installable Blender extension zip of the Depthcore add-on.

Stages ``blender_addon/`` with the repository's ``blender_manifest.toml``, bundles the wheels the add-on
needs inside Blender (a pure-Python ``depthcore`` wheel built from this repository, plus OpenEXR and Pillow,
which Blender does not ship), writes them into the staged manifest's ``wheels = [...]``, then runs Blender's
own ``blender_ext.py validate`` and ``build``.

    python scripts/build_extension.py                      # all platforms whose wheels can be fetched
    python scripts/build_extension.py --platforms linux-x64 --offline

The zip lands in ``dist/`` (``--output-dir``). Exit status 2 with a one-line message on a user mistake.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADDON_DIR = REPO / "blender_addon"
MANIFEST = REPO / "blender_manifest.toml"
WHEEL_CACHE = REPO / "build" / "wheel_cache"

# Blender platform name -> pip --platform tags tried in order (the first that has a wheel wins).
PLATFORM_TAGS: dict[str, list[str]] = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "windows-x64": ["win_amd64"],
    "macos-arm64": ["macosx_11_0_arm64"],
    "macos-x64": ["macosx_10_15_x86_64", "macosx_10_9_x86_64"],
}
# Third-party runtime packages of depthcore that Blender's Python lacks (it ships numpy).
BUNDLED = ("OpenEXR", "Pillow")
PYTHON_VERSION = "3.11"  # Blender 4.2 LTS .. 5.0 all embed CPython 3.11.


class BuildError(Exception):
    """A build step failed; printed as one line."""


def blender_ext_script() -> Path:
    """Locate Blender's ``blender_ext.py`` inside the installed bpy package (no bpy import needed)."""
    try:
        dist = metadata.distribution("bpy")
    except metadata.PackageNotFoundError as exc:
        raise BuildError("the bpy package is not installed in this Python; it provides blender_ext.py") from exc
    root = Path(str(dist.locate_file("bpy")))
    found = sorted(root.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if not found:
        raise BuildError(f"{root}: no */scripts/addons_core/bl_pkg/cli/blender_ext.py inside the bpy package")
    return found[-1]


def run(cmd: list[str], what: str) -> str:
    """Run a command; raise BuildError with its last output line on failure."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise BuildError(f"{what} failed: {tail}")
    return proc.stdout


def build_depthcore_wheel(dest: Path) -> Path:
    """``pip wheel --no-deps`` of this repository's ``depthcore`` (pure Python), built from a clean copy."""
    for old in dest.glob("depthcore-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (REPO / name).is_file():
                shutil.copy2(REPO / name, src / name)
        shutil.copytree(REPO / "depthcore", src / "depthcore", ignore=shutil.ignore_patterns("__pycache__"))
        base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dest), str(src)]
        try:
            run([*base, "--no-build-isolation"], "pip wheel (no build isolation)")
        except BuildError:
            run(base, "pip wheel")
    wheels = sorted(dest.glob("depthcore-*.whl"))
    if len(wheels) != 1 or not wheels[0].name.endswith("-py3-none-any.whl"):
        raise BuildError(f"expected one pure-Python depthcore wheel, got {[w.name for w in wheels]}")
    return wheels[0]


def pinned_version(package: str) -> str | None:
    """The version installed in this Python, so the bundle matches what the tests use."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


# Words a wheel's platform tag must contain to suit a Blender platform.
PLATFORM_WORDS: dict[str, tuple[str, str]] = {
    "linux-x64": ("manylinux", "x86_64"),
    "windows-x64": ("win", "amd64"),
    "macos-arm64": ("macosx", "arm64"),
    "macos-x64": ("macosx", "x86_64"),
}


def cached_wheel(package: str, version: str | None, platform: str) -> Path | None:
    """A cp311 wheel already in the cache for ``package`` that suits ``platform``."""
    norm = re.sub(r"[-_.]+", "_", package).lower()
    for wheel in sorted(WHEEL_CACHE.glob("*.whl")):
        name, ver, *_rest, plat_tag = wheel.stem.split("-")
        if name.lower() != norm or (version and ver != version) or "-cp311-" not in wheel.name:
            continue
        words = PLATFORM_WORDS[platform]
        if all(word in plat_tag for word in words) or (words[0] == "macosx" and "universal2" in plat_tag):
            return wheel
    return None


def fetch_wheel(package: str, platform: str, offline: bool) -> Path | None:
    """A cp311 binary wheel of ``package`` for a Blender platform, from the cache or via ``pip download``."""
    version = pinned_version(package)
    tags = PLATFORM_TAGS[platform]
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    if (hit := cached_wheel(package, version, platform)) is not None:
        return hit
    if offline:
        return None
    spec = f"{package}=={version}" if version else package
    for tag in tags:
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--no-deps",
                 "--platform", tag, "--python-version", PYTHON_VERSION, "--implementation", "cp",
                 "--dest", tmp, spec],
                capture_output=True, text=True,
            )
            got = sorted(Path(tmp).glob("*.whl"))
            if proc.returncode == 0 and got:
                target = WHEEL_CACHE / got[0].name
                shutil.copy2(got[0], target)
                return target
    return None


def stage(stage_dir: Path, wheels: list[Path], platforms: list[str]) -> None:
    """Copy the add-on package and the manifest (with its wheels and platforms) into ``stage_dir``."""
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    shutil.copytree(ADDON_DIR, stage_dir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (stage_dir / "wheels").mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, stage_dir / "wheels" / wheel.name)
    listed = ", ".join(f'"./wheels/{w.name}"' for w in wheels)
    text = MANIFEST.read_text(encoding="utf-8")
    declared = ", ".join(f'"{p}"' for p in platforms)
    text, n = re.subn(r"(?m)^wheels\s*=\s*\[[^\]]*\]", f"wheels = [{listed}]\nplatforms = [{declared}]", text)
    if n != 1:
        raise BuildError(f"{MANIFEST}: expected exactly one 'wheels = [...]' line")
    (stage_dir / "blender_manifest.toml").write_text(text, encoding="utf-8")


def build(platforms: list[str], output_dir: Path, offline: bool, split: bool) -> list[Path]:
    """Stage, validate and build; return the built zip paths."""
    ext = blender_ext_script()
    build_root = REPO / "build" / "extension"
    build_root.mkdir(parents=True, exist_ok=True)
    wheel_dir = build_root / "wheels"
    wheel_dir.mkdir(exist_ok=True)
    wheels = [build_depthcore_wheel(wheel_dir)]
    complete: list[str] = []
    for platform in platforms:  # a platform is bundled only when every package has a wheel for it
        found = [fetch_wheel(package, platform, offline) for package in BUNDLED]
        if None in found:
            missing = BUNDLED[found.index(None)]
            if platform == "linux-x64" or len(platforms) == 1:
                raise BuildError(f"no cp311 {platform} wheel of {missing} (cache {WHEEL_CACHE})")
            print(f"warning: no {platform} wheel of {missing}; {platform} left out", file=sys.stderr)
            continue
        complete.append(platform)
        wheels += [w for w in found if w not in wheels]
    stage_dir = build_root / "depthcore"
    stage(stage_dir, wheels, complete)
    run([sys.executable, str(ext), "validate", str(stage_dir)], "blender_ext.py validate")
    output_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(ext), "build", "--source-dir", str(stage_dir), "--output-dir", str(output_dir)]
    if split:
        cmd.append("--split-platforms")
    before = {p: p.stat().st_mtime_ns for p in output_dir.glob("depthcore-*.zip")}
    run(cmd, "blender_ext.py build")
    return sorted(p for p in output_dir.glob("depthcore-*.zip") if before.get(p) != p.stat().st_mtime_ns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platforms", nargs="+", choices=sorted(PLATFORM_TAGS), default=sorted(PLATFORM_TAGS),
                        help="Blender platforms to bundle wheels for (default: all)")
    parser.add_argument("--output-dir", type=Path, default=REPO / "dist", help="where the zip goes (dist/)")
    parser.add_argument("--offline", action="store_true", help="use only wheels already in build/wheel_cache")
    parser.add_argument("--split-platforms", action="store_true", help="one zip per platform")
    args = parser.parse_args(argv)
    try:
        zips = build(args.platforms, args.output_dir.resolve(), args.offline, args.split_platforms)
    except BuildError as exc:
        print(f"build_extension: {exc}", file=sys.stderr)
        return 2
    for z in zips:
        print(z)
    return 0


if __name__ == "__main__":
    sys.exit(main())
