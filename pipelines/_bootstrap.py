"""Shared start-up for the entry scripts: repo root on sys.path, one-line errors for user mistakes.

Blender's ``--python`` does not put the script's folder on ``sys.path`` and BlenderProc clears
``PYTHONPATH``, so each entry script adds the repository root itself before importing this module.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from depthcore.errors import UserError  # noqa: E402


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose mistakes are UserErrors: one line, exit status 2, like every other user mistake."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{self.prog}: {message} (see --help)")


def script_args(argv: list[str] | None = None) -> list[str]:
    """Arguments after Blender's ``--`` (or all of them when there is none)."""
    argv = sys.argv if argv is None else argv
    return argv[argv.index("--") + 1 :] if "--" in argv else argv[1:]


def run_main(main: Callable[[list[str]], int | None], argv: list[str]) -> None:
    """Run ``main(argv)``; a UserError becomes one line on stderr and exit status 2.

    Any other exception prints its traceback and exits 1 even without ``--python-exit-code`` (Blender
    would otherwise exit 0 after a failed script, and a render farm would count the job as done).
    Ctrl-C is not a failure of the script: one line saying how to resume, exit status 130 (as shells use).
    """
    try:
        code = main(argv) or 0
    except UserError as exc:
        sys.stdout.flush()
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stdout.flush()
        message = "interrupted: complete frames are kept; run the same command again to resume"
        print(message, file=sys.stderr, flush=True)
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        sys.stderr.flush()
        sys.exit(1)
    sys.stdout.flush()
    sys.stderr.flush()
    if code:
        sys.exit(code)
