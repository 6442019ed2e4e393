#!/usr/bin/env bash
# Builds Depthcore's environment in the repository root (idempotent; a rerun with unchanged pins takes seconds).
#
#   .blender/4.2/python   venv (Python 3.11): bpy 4.2, depthcore (editable), tests, torch CPU, and every package
#                         BlenderProc 2.8.0 would pip-install into Blender, at its pins.
#   .blender/blender      the bpy-backed `blender` launcher (scripts/blender_launcher.py), so `.blender` passes as a
#                         Blender 4.2 install for `blenderproc run --custom-blender-path .blender`.
#   .blender/custom-python-packages/installed_packages_cache_v2.json
#                         BlenderProc's record of installed packages: with it, `blenderproc run` never calls pip.
#   .venvs/blenderproc    the blenderproc 2.8.0 CLI alone (it must not live in the bpy venv).
#
# Environment: PYTHON (default python3.11) picks the interpreter for new venvs; DEPTHCORE_FORCE_INSTALL=1 ignores
# the stamp. Existing venvs are never deleted: pins are applied on top of them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$(date +%s)
PYTHON="${PYTHON:-python3.11}"
BLENDER_DIR="$ROOT/.blender"
BPY_VENV="$BLENDER_DIR/4.2/python"
BPY_PY="$BPY_VENV/bin/python3.11"
BPROC_VENV="$ROOT/.venvs/blenderproc"
STAMP="$BLENDER_DIR/.install-stamp"
PIP_FLAGS=(--disable-pip-version-check --no-input)

# pip's notes about the machine's extra (file://) indexes not holding a package are noise here.
quiet_pip() { "$@" 2>&1 | { grep -v "^WARNING: Location 'file://" || true; }; }
say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

# The stamp is keyed on everything that decides what gets installed.
pins_hash() {
    cat requirements/blender-python.txt requirements/blender-python.lock.txt requirements/blenderproc-cli.txt \
        pyproject.toml scripts/install.sh | sha256sum | cut -d' ' -f1
}
HASH="$(pins_hash)"

make_venv() {  # make_venv DIR: create a Python 3.11 venv unless one is there
    local dir="$1"
    if [[ -x "$dir/bin/python3.11" ]]; then
        say "venv $dir exists (kept)"
        return
    fi
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set PYTHON to a Python 3.11 interpreter)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
        || die "$PYTHON is not Python 3.11 (bpy 4.2 and BlenderProc's Blender 4.2 layout need 3.11)"
    say "creating venv $dir"
    mkdir -p "$(dirname "$dir")"
    "$PYTHON" -m venv "$dir"
}

install_launcher() {  # .blender/blender = the launcher with a shebang to the venv's python3.11 (path kept as is:
    # BlenderProc derives the Blender root from sys.executable)
    local dest="$BLENDER_DIR/blender" tmp
    tmp="$(mktemp "$BLENDER_DIR/.blender.XXXXXX")"
    { printf '#!%s\n' "$BPY_PY"; tail -n +2 scripts/blender_launcher.py; } >"$tmp"
    chmod 755 "$tmp"
    if [[ -f "$dest" ]] && cmp -s "$tmp" "$dest"; then
        rm -f "$tmp"
    else
        mv -f "$tmp" "$dest"
        say "installed launcher $dest"
    fi
}

record_blenderproc_packages() {
    # Writes the file BlenderProc's SetupUtility._ensure_pip writes after `pip list --format=freeze --path=...`,
    # without its side effects (ensurepip and `pip install --upgrade pip` into the venv, over the network).
    local dir="$BLENDER_DIR/custom-python-packages"
    mkdir -p "$dir/lib/python3.11/site-packages"
    "$BPY_PY" - "$BPY_VENV/lib/python3.11/site-packages" "$dir/installed_packages_cache_v2.json" <<'PY'
import json, os, subprocess, sys
site, dest = sys.argv[1:3]
out = subprocess.check_output([sys.executable, "-m", "pip", "list", "--format=freeze", f"--path={site}"], text=True)
packages = dict(line.lower().split("==", 1) for line in out.splitlines() if "==" in line)
tmp = dest + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    json.dump(packages, f)
os.replace(tmp, dest)
print(f"install: recorded {len(packages)} packages in {dest}")
PY
    # Ask BlenderProc's own code whether `blenderproc run` would still call pip.
    OUTSIDE_OF_THE_INTERNAL_BLENDER_PYTHON_ENVIRONMENT_BUT_IN_RUN_SCRIPT=1 "$BPROC_VENV/bin/python" - "$BLENDER_DIR" <<'PY'
import os, sys
from blenderproc.python.utility.DefaultConfig import DefaultConfig
from blenderproc.python.utility.SetupUtility import SetupUtility
python_bin, packages_path, import_path, site = SetupUtility.determine_python_paths(sys.argv[1], "4.2")
SetupUtility._ensure_pip(python_bin, packages_path, import_path, site)  # reads the cache written above
missing = [p for p in DefaultConfig.default_pip_packages
           if SetupUtility._pip_install_packages([p], python_bin, packages_path, dry_run=True)]
if missing:
    sys.exit(f"install: error: BlenderProc would pip-install {missing} at run time; fix requirements/")
print("install: BlenderProc's default packages all present at its pins: `blenderproc run` will not call pip")
PY
}

if [[ "${DEPTHCORE_FORCE_INSTALL:-0}" != 1 && -f "$STAMP" && "$(cat "$STAMP")" == "$HASH" \
      && -x "$BPY_PY" && -x "$BPROC_VENV/bin/blenderproc" \
      && -f "$BLENDER_DIR/custom-python-packages/installed_packages_cache_v2.json" ]]; then
    install_launcher
    say "up to date (stamp $STAMP matches the pins); $(($(date +%s) - START)) s"
    exit 0
fi

make_venv "$BPY_VENV"
say "installing pinned packages + depthcore (editable) into $BPY_VENV"
quiet_pip "$BPY_PY" -m pip install "${PIP_FLAGS[@]}" -q -r requirements/blender-python.txt \
    -c requirements/blender-python.lock.txt -e .

make_venv "$BPROC_VENV"
say "installing the blenderproc CLI into $BPROC_VENV"
quiet_pip "$BPROC_VENV/bin/python3.11" -m pip install "${PIP_FLAGS[@]}" -q -r requirements/blenderproc-cli.txt

install_launcher
record_blenderproc_packages
USER_RESOURCES="$(mktemp -d)"  # keep bpy out of ~/.config/blender
BLENDER_USER_RESOURCES="$USER_RESOURCES" "$BLENDER_DIR/blender" --version >/dev/null \
    || die "the launcher does not start: $BLENDER_DIR/blender --version"
rm -rf "$USER_RESOURCES"

echo "$HASH" >"$STAMP"
say "done in $(($(date +%s) - START)) s: $(du -sh "$BLENDER_DIR" "$BPROC_VENV" 2>/dev/null | awk '{printf "%s %s  ", $2, $1}')"
