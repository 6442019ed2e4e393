#!/usr/bin/env bash
# Builds/refreshes the environment (scripts/install.sh), then runs `ruff check .` and the whole pytest suite from
# the repository root. Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/env -x`).
# Exit code: install's if it failed, else pytest's (exit 5, "no tests collected", counts as success), else ruff's.
# DEPTHCORE_SKIP_RUFF=1 skips the lint step.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/install.sh || { rc=$?; echo "test: scripts/install.sh failed (exit $rc)" >&2; exit "$rc"; }

BIN="$ROOT/.blender/4.2/python/bin"
USER_RESOURCES="$(mktemp -d)"
trap 'rm -rf "$USER_RESOURCES"' EXIT
export BLENDER_USER_RESOURCES="${BLENDER_USER_RESOURCES:-$USER_RESOURCES}"  # keep bpy out of ~/.config/blender
export MPLBACKEND="${MPLBACKEND:-Agg}"

ruff_rc=0
if [[ "${DEPTHCORE_SKIP_RUFF:-0}" != 1 ]]; then
    echo "test: ruff check ."
    "$BIN/ruff" check . || ruff_rc=$?
fi

echo "test: pytest"
"$BIN/python" -m pytest -q "$@"
pytest_rc=$?
if [[ $pytest_rc -eq 5 ]]; then
    echo "test: pytest collected no tests (exit 5), treated as success"
    pytest_rc=0
fi

if [[ $pytest_rc -ne 0 ]]; then
    exit "$pytest_rc"
fi
if [[ $ruff_rc -ne 0 ]]; then
    echo "test: tests passed but ruff found problems (exit $ruff_rc)" >&2
fi
exit "$ruff_rc"
